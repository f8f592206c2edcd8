import {randomBytes} from 'node:crypto'
import {cp, mkdir, readdir, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {TwoliterError} from '../errors.js'
import {SDK_RECIPE_DIR} from './recipe.js'

/** assets/sdk-tools/: the files twoliter runs inside the SDK container. */
export const SDK_TOOLS_DIR = fileURLToPath(new URL('../../../assets/sdk-tools/', import.meta.url))

// Written into every directory installSdkTools fills, so that only such a directory is ever replaced.
const MARKER = '.twoliter-tools'

/** `$TMPDIR/twoliter-tools-<8 hex>`, as the Rust twoliter's `debug check-tools` chooses. */
export function defaultToolsDir(): string {
  return path.join(os.tmpdir(), `twoliter-tools-${randomBytes(4).toString('hex')}`)
}

export interface InstalledTools {
  dir: string
  /** Relative POSIX paths of the files written, sorted. */
  files: string[]
}

/**
 * Writes the SDK tools (assets/sdk-tools/, modes kept) and the local SDK recipe (as sdk/) to `dir`. The
 * directory must be new, empty, or one this function filled before (which it replaces); anything else is
 * refused rather than deleted.
 */
export async function installSdkTools(dir: string): Promise<InstalledTools> {
  const target = path.resolve(dir)
  const existing = await readdir(target).catch((error: NodeJS.ErrnoException): string[] => {
    if (error.code === 'ENOENT') return []
    throw error
  })
  if (existing.length > 0 && !existing.includes(MARKER)) {
    throw new TwoliterError(`${target} is not empty and was not written by twoliter, so it is left alone.`, {
      hint: 'Give --install-dir a new or empty directory (or one that an earlier check-tools wrote).',
      code: 'tools.dir-not-empty',
      exitCode: 2,
    })
  }

  await rm(target, {recursive: true, force: true})
  await mkdir(target, {recursive: true})
  await cp(SDK_TOOLS_DIR, target, {recursive: true, preserveTimestamps: true})
  await cp(SDK_RECIPE_DIR, path.join(target, 'sdk'), {recursive: true, preserveTimestamps: true})
  await writeFile(path.join(target, MARKER), 'Written by `twoliter debug check-tools`; it may replace this directory.\n')
  return {dir: target, files: await listFiles(target)}
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {recursive: true, withFileTypes: true})
  return entries
    .filter((entry) => entry.isFile() && entry.name !== MARKER)
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort()
}
