/**
 * OCI image layouts (image-spec `image-layout.md`): a directory with `oci-layout`, `index.json` and
 * content-addressed `blobs/<algorithm>/<hex>`, and tar archives of one, as rpm2kit writes kit images.
 * Every blob written here is checked against its digest first and appears under its name atomically, so
 * a blob present in a layout is a verified blob.
 */

import {randomBytes} from 'node:crypto'
import {createReadStream, createWriteStream} from 'node:fs'
import {access, mkdir, readdir, readFile, rename, rm, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'

import {TwoliterError} from '../errors.js'
import {DigestingStream, digestMismatchError, digestOf, parseDigest} from './digest.js'
import {type Descriptor, encodeManifest, type ImageIndex, MediaType, parseImageIndex} from './manifest.js'
import {readTar, type TarWriteEntry, writeTar} from './tar.js'

export const OCI_LAYOUT_FILE = 'oci-layout'
export const INDEX_FILE = 'index.json'
export const BLOBS_DIRECTORY = 'blobs'
const LAYOUT_VERSION = '1.0.0'

export interface StoredBlob {
  digest: string
  size: number
}

/** Makes `dir` an image layout (with an empty index unless it has one). */
export async function createImageLayout(dir: string): Promise<void> {
  await mkdir(path.join(dir, BLOBS_DIRECTORY, 'sha256'), {recursive: true})
  await writeFile(path.join(dir, OCI_LAYOUT_FILE), JSON.stringify({imageLayoutVersion: LAYOUT_VERSION}))
  if (!(await exists(path.join(dir, INDEX_FILE)))) await writeLayoutIndex(dir, [])
}

export function layoutBlobPath(dir: string, digest: string): string {
  const {algorithm, hex} = parseDigest(digest)
  return path.join(dir, BLOBS_DIRECTORY, algorithm, hex)
}

export function hasLayoutBlob(dir: string, digest: string): Promise<boolean> {
  return exists(layoutBlobPath(dir, digest))
}

export async function writeLayoutBlob(dir: string, content: Uint8Array): Promise<StoredBlob> {
  return importLayoutBlob(dir, Readable.from([Buffer.from(content)]))
}

/**
 * Streams content into the layout's blobs. With `expectedDigest`, content that does not match it is an
 * error (naming `source`) and nothing is kept.
 */
export async function importLayoutBlob(dir: string, content: AsyncIterable<Buffer> | Readable, expectedDigest?: string, source = dir): Promise<StoredBlob> {
  const algorithm = expectedDigest === undefined ? 'sha256' : parseDigest(expectedDigest).algorithm
  const directory = path.join(dir, BLOBS_DIRECTORY, algorithm)
  await mkdir(directory, {recursive: true})
  const temporary = path.join(directory, `.incoming-${randomBytes(6).toString('hex')}`)
  try {
    const digesting = new DigestingStream(algorithm)
    await pipeline(content, digesting, createWriteStream(temporary))
    if (expectedDigest !== undefined && digesting.digest !== expectedDigest) throw digestMismatchError('the blob', expectedDigest, digesting.digest, source)
    await rename(temporary, layoutBlobPath(dir, digesting.digest))
    return {digest: digesting.digest, size: digesting.size}
  } finally {
    await rm(temporary, {force: true})
  }
}

/** A blob's bytes, checked against its digest. */
export async function readLayoutBlob(dir: string, digest: string): Promise<Buffer> {
  const content = await readFile(layoutBlobPath(dir, digest)).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw missingBlob(dir, digest)
    throw error
  })
  const actual = digestOf(content, parseDigest(digest).algorithm)
  if (actual !== digest) throw digestMismatchError('the blob', digest, actual, dir)
  return content
}

export async function readLayoutIndex(dir: string): Promise<ImageIndex> {
  const marker = await readFile(path.join(dir, OCI_LAYOUT_FILE), 'utf8').catch(() => undefined)
  if (marker === undefined) {
    throw new TwoliterError(`${dir} is not an OCI image layout: it has no ${OCI_LAYOUT_FILE} file.`, {
      hint: 'Give the directory (or tar archive) of an image in OCI layout, as `krane pull --format oci` or a kit build writes it.',
      code: 'oci.layout-invalid',
    })
  }

  return parseImageIndex(await readFile(path.join(dir, INDEX_FILE)), path.join(dir, INDEX_FILE))
}

export async function writeLayoutIndex(dir: string, manifests: Descriptor[]): Promise<void> {
  const index: ImageIndex = {schemaVersion: 2, mediaType: MediaType.ociIndex, manifests}
  await writeFile(path.join(dir, INDEX_FILE), encodeManifest(index))
}

/** A tar archive of the layout: `oci-layout`, `index.json`, then the blobs; it appears when complete. */
export async function writeLayoutArchive(dir: string, archive: string): Promise<void> {
  const entries: TarWriteEntry[] = []
  for (const name of [OCI_LAYOUT_FILE, INDEX_FILE]) {
    const content = await readFile(path.join(dir, name))
    entries.push({name, type: 'file', size: content.length, content: () => content})
  }

  entries.push({name: `${BLOBS_DIRECTORY}/`, type: 'directory'})
  for (const algorithm of (await readdir(path.join(dir, BLOBS_DIRECTORY))).sort()) {
    entries.push({name: `${BLOBS_DIRECTORY}/${algorithm}/`, type: 'directory'})
    for (const hex of (await readdir(path.join(dir, BLOBS_DIRECTORY, algorithm))).sort()) {
      // Downloads in progress (or broken off) have other names.
      if (!/^[a-f0-9]+$/.test(hex)) continue
      const file = path.join(dir, BLOBS_DIRECTORY, algorithm, hex)
      const {size} = await stat(file)
      entries.push({name: `${BLOBS_DIRECTORY}/${algorithm}/${hex}`, type: 'file', size, content: () => createReadStream(file)})
    }
  }

  const partial = `${archive}.partial`
  try {
    await writeTar(createWriteStream(partial), entries)
    await rename(partial, archive)
  } finally {
    await rm(partial, {force: true})
  }
}

/**
 * Unpacks a layout archive (a file or a stream) into `dir`. Every blob is checked against the digest its
 * name gives; entries that are not part of an image layout are ignored.
 */
export async function extractLayoutArchive(archive: AsyncIterable<Uint8Array> | NodeJS.ReadableStream | string, dir: string): Promise<void> {
  const source = typeof archive === 'string' ? archive : 'the image archive'
  await createImageLayout(dir)
  const input = typeof archive === 'string' ? createReadStream(archive) : archive
  await readTar(input, async (entry, content) => {
    if (entry.type !== 'file') return
    const name = entry.name.replace(/^(\.\/)+/, '')
    if (name === OCI_LAYOUT_FILE || name === INDEX_FILE) {
      await pipeline(content, createWriteStream(path.join(dir, name)))
      return
    }

    const blob = /^blobs\/(sha256|sha512)\/([a-f0-9]+)$/.exec(name)
    if (blob !== null) await importLayoutBlob(dir, content, `${blob[1]}:${blob[2]}`, source)
  })
}

export function missingBlob(dir: string, digest: string): TwoliterError {
  return new TwoliterError(`the image layout ${dir} lacks the blob ${digest}.`, {
    hint: 'The layout is incomplete; create it again.',
    code: 'oci.layout-incomplete',
  })
}

async function exists(file: string): Promise<boolean> {
  try {
    await access(file)
    return true
  } catch {
    return false
  }
}
