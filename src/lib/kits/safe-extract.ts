/**
 * Extracting tar archives from registries (kit image layers) without trusting them. An entry is refused
 * when it could write or point outside the target directory:
 * - absolute names and names with a `..` component;
 * - names that go through a symlink (the archive's own or one already there): only real directories are
 *   walked, so a symlink `a -> ..` can never carry a later `a/x` outside;
 * - symlinks whose target is absolute, goes up past the target directory, or goes up after going down
 *   (`x/../..`: where that ends depends on what `x` is, so it cannot be checked by looking at the text);
 * - hard links to anything but a regular file inside the target directory;
 * - devices, FIFOs and any other special entries.
 * Because every symlink written points inside and no path goes through one, every symlink left behind
 * resolves inside the target directory too. A refused archive may leave part of its content in the target
 * directory: extract into a fresh directory and discard it on failure.
 */

import {createWriteStream} from 'node:fs'
import {link, lstat, mkdir, symlink, unlink} from 'node:fs/promises'
import path from 'node:path'
import type {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {createGunzip} from 'node:zlib'

import {TwoliterError} from '../errors.js'
import {readTar, type TarEntry} from '../oci/tar.js'

export interface ExtractOptions {
  /** The stream is gzip-compressed tar. */
  gzip?: boolean
}

/**
 * Extracts an (uncompressed, or gzip when `gzip`) tar stream into `targetDir`, refusing absolute paths,
 * `..` components, symlinks or hard links whose target leaves targetDir, and entries other than
 * files/dirs/links; a refused archive is a TwoliterError naming the entry and `source`.
 */
export async function extractTarSafely(
  input: AsyncIterable<Uint8Array> | NodeJS.ReadableStream,
  targetDir: string,
  source: string,
  options: ExtractOptions = {},
): Promise<void> {
  await mkdir(targetDir, {recursive: true})
  const extractor = new SafeExtractor(path.resolve(targetDir), source)
  const onEntry = (entry: TarEntry, content: Readable): Promise<void> => extractor.extract(entry, content)
  if (options.gzip) {
    await pipeline(input as AsyncIterable<Uint8Array>, createGunzip(), (gunzipped: AsyncIterable<Uint8Array>) => readTar(gunzipped, onEntry))
  } else {
    await readTar(input as AsyncIterable<Uint8Array>, onEntry)
  }
}

/** Why an entry is refused; SafeExtractor turns it into the user-facing error. */
class UnsafeEntry extends Error {}

class SafeExtractor {
  /** Directories (relative, `/`-joined) known to be real directories inside the target. */
  private readonly directories = new Set<string>([''])

  constructor(
    private readonly root: string,
    private readonly source: string,
  ) {}

  async extract(entry: TarEntry, content: Readable): Promise<void> {
    try {
      await this.extractEntry(entry, content)
    } catch (error) {
      if (!(error instanceof UnsafeEntry)) throw error
      throw new TwoliterError(`refusing to extract ${this.source}: its entry '${entry.name}' ${error.message}.`, {
        hint: `The archive may have been made to write outside ${this.root}; nothing was written outside it. Ask its publisher for a clean archive.`,
        code: 'extract.unsafe-entry',
      })
    }
  }

  private async extractEntry(entry: TarEntry, content: Readable): Promise<void> {
    const parts = entryParts(entry.name)
    switch (entry.type) {
      case 'directory': {
        await this.ensureDirectory(parts)
        return
      }

      case 'file': {
        await this.prepareLeaf(parts)
        await pipeline(content, createWriteStream(this.absolute(parts), {flags: 'wx', mode: 0o644}))
        return
      }

      case 'symlink': {
        checkSymlinkTarget(entry.linkName, parts.length - 1)
        await this.prepareLeaf(parts)
        await symlink(entry.linkName, this.absolute(parts))
        return
      }

      case 'hardlink': {
        const targetParts = hardLinkTargetParts(entry.linkName)
        await this.checkHardLinkTarget(targetParts, entry.linkName)
        await this.prepareLeaf(parts)
        await link(this.absolute(targetParts), this.absolute(parts))
        return
      }

      default: {
        throw new UnsafeEntry('is neither a file, a directory nor a link (a device, a FIFO or another special file)')
      }
    }
  }

  /** Makes the entry's parent directories real directories and clears the way for the entry itself. */
  private async prepareLeaf(parts: string[]): Promise<void> {
    if (parts.length === 0) throw new UnsafeEntry('has no name')
    await this.ensureDirectory(parts.slice(0, -1))
    const existing = await lstatIfExists(this.absolute(parts))
    if (existing?.isDirectory()) throw new UnsafeEntry('would replace a directory the archive made')
    if (existing !== undefined) await unlink(this.absolute(parts))
  }

  /** Walks (and creates) `parts` one component at a time, never through a symlink. */
  private async ensureDirectory(parts: string[]): Promise<void> {
    for (let depth = 1; depth <= parts.length; depth++) {
      const relative = parts.slice(0, depth).join('/')
      if (this.directories.has(relative)) continue
      const existing = await lstatIfExists(this.absolute(parts.slice(0, depth)))
      if (existing === undefined) await mkdir(this.absolute(parts.slice(0, depth)), {mode: 0o755})
      else if (existing.isSymbolicLink()) throw new UnsafeEntry(`goes through the symlink '${relative}'`)
      else if (!existing.isDirectory()) throw new UnsafeEntry(`goes through '${relative}', which is not a directory`)
      this.directories.add(relative)
    }
  }

  private async checkHardLinkTarget(parts: string[], linkName: string): Promise<void> {
    for (let depth = 1; depth < parts.length; depth++) {
      if (!this.directories.has(parts.slice(0, depth).join('/'))) throw new UnsafeEntry(`is a hard link to '${linkName}', which is not a file the archive made`)
    }

    const target = parts.length === 0 ? undefined : await lstatIfExists(this.absolute(parts))
    if (!target?.isFile()) throw new UnsafeEntry(`is a hard link to '${linkName}', which is not a file the archive made`)
  }

  private absolute(parts: string[]): string {
    return path.join(this.root, ...parts)
  }
}

function entryParts(name: string): string[] {
  if (name.startsWith('/')) throw new UnsafeEntry('is an absolute path')
  const parts = archivePathParts(name)
  if (parts.includes('..')) throw new UnsafeEntry("has a '..' component")
  return parts
}

/** Hard link targets are archive paths too, relative to the archive's root. */
function hardLinkTargetParts(linkName: string): string[] {
  if (linkName.startsWith('/')) throw new UnsafeEntry(`is a hard link to the absolute path '${linkName}'`)
  const parts = archivePathParts(linkName)
  if (parts.includes('..')) throw new UnsafeEntry(`is a hard link to '${linkName}', which has a '..' component`)
  return parts
}

/** The components of a path, without `.` and empty ones. */
function archivePathParts(name: string): string[] {
  return name.split('/').filter((part) => part !== '' && part !== '.')
}

/** A symlink at `depth` directories below the target may go up at most `depth` levels, and only at its start. */
function checkSymlinkTarget(target: string, depth: number): void {
  if (target === '') throw new UnsafeEntry('is a symlink without a target')
  if (target.startsWith('/')) throw new UnsafeEntry(`is a symlink to the absolute path '${target}'`)
  const parts = archivePathParts(target)
  const ups = parts.findIndex((part) => part !== '..')
  const leadingUps = ups === -1 ? parts.length : ups
  if (parts.slice(leadingUps).includes('..')) throw new UnsafeEntry(`is a symlink to '${target}', which goes up after going down`)
  if (leadingUps > depth) throw new UnsafeEntry(`is a symlink to '${target}', which leads outside the extraction directory`)
}

async function lstatIfExists(file: string): Promise<Awaited<ReturnType<typeof lstat>> | undefined> {
  try {
    return await lstat(file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}
