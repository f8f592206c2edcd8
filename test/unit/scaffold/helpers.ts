import {spawnSync} from 'node:child_process'
import {cp, mkdtemp, readFile, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

export async function temporaryDirectory(): Promise<{dir: string; remove: () => Promise<void>}> {
  const dir = await mkdtemp(path.join(tmpdir(), 'twoliter-scaffold-'))
  return {dir, remove: () => rm(dir, {recursive: true, force: true})}
}

/** Every file below `dir` with its content, to show that a refused command changed nothing. */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {}
  for (const entry of await readdir(dir, {recursive: true, withFileTypes: true})) {
    if (!entry.isFile()) continue
    const file = path.join(entry.parentPath, entry.name)
    files[path.relative(dir, file)] = await readFile(file, 'utf8')
  }

  return files
}

export const hasCargo = spawnSync('cargo', ['--version']).status === 0

/** What cargo itself writes as Cargo.lock for the workspace, with the format version line left out. */
export async function cargoGeneratedLock(projectRoot: string): Promise<string> {
  const copy = await mkdtemp(path.join(tmpdir(), 'twoliter-cargo-'))
  try {
    await cp(projectRoot, copy, {recursive: true})
    await rm(path.join(copy, 'Cargo.lock'))
    const result = spawnSync('cargo', ['generate-lockfile', '--offline'], {cwd: copy, encoding: 'utf8'})
    if (result.status !== 0) throw new Error(`cargo generate-lockfile failed: ${result.stderr}`)
    return withoutVersionLine(await readFile(path.join(copy, 'Cargo.lock'), 'utf8'))
  } finally {
    await rm(copy, {recursive: true, force: true})
  }
}

export function withoutVersionLine(lock: string): string {
  return lock.replace(/^version = \d+\n/m, '')
}
