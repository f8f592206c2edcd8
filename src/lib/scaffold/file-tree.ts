import {randomBytes} from 'node:crypto'
import {mkdir, readdir, rename, rm, rmdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {TwoliterError} from '../errors.js'

export interface PlannedFile {
  /** Relative to the tree's directory. */
  path: string
  content: string
  executable?: boolean
}

async function isEmptyOrMissing(dir: string): Promise<'missing' | 'empty' | 'used'> {
  try {
    return (await readdir(dir)).length === 0 ? 'empty' : 'used'
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return 'missing'
    if (code === 'ENOTDIR') return 'used'
    throw error
  }
}

/**
 * Creates a new directory holding exactly `files`. The tree is written beside it and renamed into place,
 * so an interruption leaves either nothing or the whole tree, and nothing that exists is overwritten.
 */
export async function createTree(dir: string, files: readonly PlannedFile[], what: string): Promise<void> {
  const state = await isEmptyOrMissing(dir)
  if (state === 'used') {
    throw new TwoliterError(`${dir} already exists and is not empty, so the ${what} was not created there.`, {
      hint: 'twoliter never overwrites existing files: choose another name or directory, or move the existing one away.',
      code: 'scaffold.exists',
    })
  }

  await mkdir(path.dirname(dir), {recursive: true})
  const staging = path.join(path.dirname(dir), `.${path.basename(dir)}.${randomBytes(6).toString('hex')}.new`)
  try {
    for (const file of files) {
      const target = path.join(staging, file.path)
      await mkdir(path.dirname(target), {recursive: true})
      await writeFile(target, file.content, {mode: file.executable ? 0o755 : 0o644})
    }

    if (state === 'empty') await rmdir(dir)
    await rename(staging, dir)
  } catch (error) {
    await rm(staging, {recursive: true, force: true})
    throw error
  }
}
