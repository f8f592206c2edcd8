/** Content to push as a blob: its digest and size, and a way to read it, or any byte range of it, again. */

import {createReadStream} from 'node:fs'
import {stat} from 'node:fs/promises'
import {Readable} from 'node:stream'

import {digestOfStream, sha256Digest} from './digest.js'

export interface BlobSource {
  readonly digest: string
  readonly size: number
  /** The bytes from `start` (inclusive) to `end` (exclusive); all of them by default. */
  open(start?: number, end?: number): Readable
}

export function blobFromBytes(bytes: Uint8Array): BlobSource {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return {
    digest: sha256Digest(buffer),
    size: buffer.length,
    open: (start = 0, end = buffer.length) => Readable.from([buffer.subarray(start, end)]),
  }
}

/** A file as a blob; its digest is computed (by reading it) unless given. */
export async function blobFromFile(file: string, digest?: string): Promise<BlobSource> {
  const {size} = await stat(file)
  const fileDigest = digest ?? (await digestOfStream(createReadStream(file))).digest
  return {
    digest: fileDigest,
    size,
    // createReadStream's `end` is inclusive; an empty range must not read a byte.
    open: (start = 0, end = size) => (end <= start ? Readable.from([]) : createReadStream(file, {start, end: end - 1})),
  }
}
