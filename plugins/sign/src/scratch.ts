import {mkdtemp, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

/**
 * Runs `work` with a fresh directory in the OS temp directory, removed afterwards. Its name carries this
 * process's id, so that directories left by a run that was killed (which may hold a copy of a secret key)
 * are removed by the next run once their process is gone.
 */
export async function withScratchDirectory<T>(prefix: string, work: (dir: string) => Promise<T>): Promise<T> {
  await removeOrphans(prefix)
  const dir = await mkdtemp(path.join(tmpdir(), `${prefix}${process.pid}-`))
  try {
    return await work(dir)
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

/** Removes `<prefix><pid>-*` directories whose process no longer runs. */
export async function removeOrphans(prefix: string, base = tmpdir()): Promise<string[]> {
  const names = await readdir(base).catch(() => [] as string[])
  const orphans = names.filter((name) => {
    const match = name.startsWith(prefix) ? /^(\d+)-/.exec(name.slice(prefix.length)) : null
    return match !== null && !processRuns(Number(match[1]))
  })
  await Promise.all(orphans.map((name) => rm(path.join(base, name), {recursive: true, force: true})))
  return orphans
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}
