/**
 * The local, content-addressed cache of external files, shared by every project and build of the user:
 * `<dir>/<sha512>/<name>`. Files enter it only whole and verified, by renaming a finished, flushed temporary
 * file from `<dir>/.tmp/` (same file system, so the rename is atomic). That is why two builds fetching the
 * same file at once cannot corrupt it: each writes its own temporary file and the last rename wins, with
 * identical content.
 *
 * A cached file is hashed again every time it is used. It is only used right before its package is built,
 * which takes far longer than hashing its sources (SHA-512 runs at hundreds of MB/s), and hashing catches
 * every kind of damage, which a marker of size and timestamps cannot (a disk error, an edit that keeps the
 * size within one timestamp tick).
 */

import {randomBytes} from 'node:crypto'
import {mkdir, readdir, rename, rm, stat} from 'node:fs/promises'
import path from 'node:path'

import {sha512OfFile} from './sha512.js'

export type CacheLookup =
  | {state: 'verified'; path: string; size: number}
  | {state: 'missing'}
  /** The cached file's content does not have the digest it is filed under; it must be fetched again. */
  | {state: 'corrupt'; path: string; actualSha512: string}

/** Temporary files this old can only be left over from a process that was killed mid-download. */
const STALE_TEMPORARY_FILE_MS = 24 * 60 * 60 * 1000

export class ContentCache {
  constructor(readonly dir: string) {}

  /** Where the file `name` with digest `sha512` is (or would be) kept. */
  pathOf(sha512: string, name: string): string {
    return path.join(this.dir, sha512, name)
  }

  /** Whether the cache holds `name` with digest `sha512`, hashing it to be sure. */
  async lookup(sha512: string, name: string, signal?: AbortSignal): Promise<CacheLookup> {
    const file = this.pathOf(sha512, name)
    const size = await fileSize(file)
    if (size === undefined) return {state: 'missing'}
    const actualSha512 = await sha512OfFile(file, signal)
    // A damaged file is left for the re-fetched one to be renamed over, not deleted: deleting could remove a
    // good copy that another build has renamed into place in the meantime.
    if (actualSha512 !== sha512) return {state: 'corrupt', path: file, actualSha512}
    return {state: 'verified', path: file, size}
  }

  /** A fresh path for a download, on the cache's file system; the caller writes it and commits or removes it. */
  async temporaryFile(): Promise<string> {
    const dir = this.temporaryDir()
    await mkdir(dir, {recursive: true})
    return path.join(dir, `${randomBytes(8).toString('hex')}.part`)
  }

  /** Moves a verified download into the cache and returns its path there. */
  async commit(temporaryFile: string, sha512: string, name: string): Promise<string> {
    const file = this.pathOf(sha512, name)
    await mkdir(path.dirname(file), {recursive: true})
    await rename(temporaryFile, file)
    return file
  }

  /** Removes temporary files left behind by processes that were killed while downloading. */
  async removeStaleTemporaryFiles(now = Date.now()): Promise<void> {
    const dir = this.temporaryDir()
    const names = await readdir(dir).catch(() => [])
    await Promise.all(
      names.map(async (name) => {
        const status = await stat(path.join(dir, name)).catch(() => undefined)
        if (status !== undefined && now - status.mtimeMs > STALE_TEMPORARY_FILE_MS) await rm(path.join(dir, name), {force: true})
      }),
    )
  }

  private temporaryDir(): string {
    return path.join(this.dir, '.tmp')
  }
}

async function fileSize(file: string): Promise<number | undefined> {
  try {
    const status = await stat(file)
    return status.isFile() ? status.size : undefined
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}
