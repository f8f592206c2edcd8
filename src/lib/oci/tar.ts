/**
 * Just enough tar for image archives, streamed: reading what `docker save`, rpm2kit (GNU tar) and krane
 * write (ustar, pax and GNU long names, pax and base-256 sizes), and writing OCI layout archives (ustar,
 * with a pax header for long names or sizes over 8 GiB). Entries are never extracted to the file system by
 * their own names, so path safety is the caller's business.
 */

import {Readable, type Writable} from 'node:stream'
import {finished, pipeline} from 'node:stream/promises'

import {TwoliterError} from '../errors.js'

export type TarEntryType = 'directory' | 'file' | 'hardlink' | 'other' | 'symlink'

export interface TarEntry {
  name: string
  type: TarEntryType
  size: number
  /** The target of a symlink or hard link. */
  linkName: string
}

const BLOCK = 512
const MAX_OCTAL_SIZE = 0o77777777777

const TYPES: Readonly<Record<string, TarEntryType>> = {'0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '5': 'directory'}

/**
 * Reads a tar stream and calls `onEntry` for every entry with its content as a stream. The handler may
 * leave the content unread; it is skipped.
 */
export async function readTar(input: AsyncIterable<Uint8Array | string>, onEntry: (entry: TarEntry, content: Readable) => Promise<void>): Promise<void> {
  const reader = new ByteReader(input[Symbol.asyncIterator]())
  let globalPax: Record<string, string> = {}
  let pax: Record<string, string> = {}
  let longName: string | undefined
  let longLinkName: string | undefined
  for (;;) {
    const header = await reader.read(BLOCK)
    if (header === undefined || header.every((byte) => byte === 0)) break
    verifyChecksum(header)
    const typeFlag = String.fromCodePoint(header[156])
    if (typeFlag === 'x' || typeFlag === 'g' || typeFlag === 'L' || typeFlag === 'K') {
      const size = readSize(header)
      const data = await reader.read(size + paddingLength(size))
      if (data === undefined) throw corrupt('it ends inside an extended header')
      const content = data.subarray(0, size)
      if (typeFlag === 'x') pax = {...pax, ...parsePax(content)}
      else if (typeFlag === 'g') globalPax = {...globalPax, ...parsePax(content)}
      else if (typeFlag === 'L') longName = cString(content)
      else longLinkName = cString(content)
      continue
    }

    const size = Number(pax.size ?? globalPax.size ?? readSize(header))
    const entry: TarEntry = {
      name: pax.path ?? longName ?? headerName(header),
      type: TYPES[typeFlag] ?? 'other',
      size,
      linkName: pax.linkpath ?? longLinkName ?? cString(header.subarray(157, 257)),
    }
    pax = {}
    longName = undefined
    longLinkName = undefined
    const content = Readable.from(reader.take(size), {objectMode: false})
    await onEntry(entry, content)
    if (!content.readableEnded) {
      content.resume()
      await finished(content)
    }

    await reader.skip(paddingLength(size))
  }

  // The writer's end-of-archive blocks and record padding: read them so that the producer can finish.
  await reader.drain()
}

export type TarWriteEntry =
  | {name: string; type: 'directory'}
  | {name: string; type: 'file'; size: number; content: () => Readable | Buffer}
  | {name: string; type: 'symlink'; linkName: string}

/** Writes the entries as a tar archive; file content must be exactly `size` bytes. */
export async function writeTar(output: Writable, entries: Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>): Promise<void> {
  await pipeline(Readable.from(tarBlocks(entries), {objectMode: false}), output)
}

async function* tarBlocks(entries: Iterable<TarWriteEntry> | AsyncIterable<TarWriteEntry>): AsyncGenerator<Buffer> {
  for await (const entry of entries) {
    const size = entry.type === 'file' ? entry.size : 0
    const linkName = entry.type === 'symlink' ? entry.linkName : ''
    const pax: Record<string, string> = {}
    if (Buffer.byteLength(entry.name) > 100) pax.path = entry.name
    if (Buffer.byteLength(linkName) > 100) pax.linkpath = linkName
    if (size > MAX_OCTAL_SIZE) pax.size = String(size)
    if (Object.keys(pax).length > 0) {
      const records = encodePax(pax)
      yield header({name: 'PaxHeader', typeFlag: 'x', size: records.length, mode: 0o644, linkName: ''})
      yield records
      yield padding(records.length)
    }

    yield header({name: entry.name, typeFlag: TYPE_FLAGS[entry.type], size, mode: entry.type === 'directory' ? 0o755 : 0o644, linkName})
    if (entry.type !== 'file') continue
    const content = entry.content()
    let written = 0
    for await (const chunk of Buffer.isBuffer(content) ? [content] : (content as AsyncIterable<Buffer>)) {
      written += chunk.length
      if (written > size) break
      yield chunk
    }

    if (written !== size) throw new Error(`the content of ${entry.name} is not the ${size} bytes announced for the tar archive`)
    yield padding(size)
  }

  yield Buffer.alloc(2 * BLOCK)
}

const TYPE_FLAGS = {file: '0', symlink: '2', directory: '5'} as const

function header(fields: {name: string; typeFlag: string; size: number; mode: number; linkName: string}): Buffer {
  const block = Buffer.alloc(BLOCK)
  block.write(truncateUtf8(fields.name, 100), 0, 'utf8')
  block.write(octal(fields.mode, 8), 100, 'ascii')
  block.write(octal(0, 8), 108, 'ascii')
  block.write(octal(0, 8), 116, 'ascii')
  block.write(octal(Math.min(fields.size, MAX_OCTAL_SIZE), 12), 124, 'ascii')
  block.write(octal(0, 12), 136, 'ascii')
  block.write(fields.typeFlag, 156, 'ascii')
  block.write(truncateUtf8(fields.linkName, 100), 157, 'utf8')
  block.write('ustar\u000000', 257, 'ascii')
  block.fill(' ', 148, 156)
  const checksum = block.reduce((sum, byte) => sum + byte, 0)
  block.write(`${checksum.toString(8).padStart(6, '0')}\u0000 `, 148, 'ascii')
  return block
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\u0000`
}

function paddingLength(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK
}

function padding(size: number): Buffer {
  return Buffer.alloc(paddingLength(size))
}

function encodePax(records: Record<string, string>): Buffer {
  const lines = Object.entries(records).map(([key, value]) => {
    // The length prefix counts itself.
    const body = ` ${key}=${value}\n`
    let length = Buffer.byteLength(body) + 1
    while (String(length).length + Buffer.byteLength(body) !== length) length = String(length).length + Buffer.byteLength(body)
    return `${length}${body}`
  })
  return Buffer.from(lines.join(''), 'utf8')
}

function parsePax(content: Buffer): Record<string, string> {
  const records: Record<string, string> = {}
  let offset = 0
  while (offset < content.length) {
    const space = content.indexOf(0x20, offset)
    const length = Number(content.toString('ascii', offset, space))
    if (space === -1 || !Number.isSafeInteger(length) || length <= 0) throw corrupt('a pax extended header is malformed')
    const record = content.toString('utf8', space + 1, offset + length - 1)
    const equals = record.indexOf('=')
    if (equals !== -1) records[record.slice(0, equals)] = record.slice(equals + 1)
    offset += length
  }

  return records
}

function headerName(block: Buffer): string {
  const name = cString(block.subarray(0, 100))
  // Only POSIX ustar has the prefix field; GNU tar keeps other data there.
  const posix = block.toString('ascii', 257, 263) === 'ustar\0'
  const prefix = posix ? cString(block.subarray(345, 500)) : ''
  return prefix === '' ? name : `${prefix}/${name}`
}

function readSize(block: Buffer): number {
  const field = block.subarray(124, 136)
  if ((field[0] & 0x80) !== 0) {
    // GNU base-256: big-endian, the top bit of the first byte only marks the encoding.
    let value = 0n
    for (const [index, byte] of field.entries()) value = (value << 8n) | BigInt(index === 0 ? byte & 0x7f : byte)
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt('an entry is too large')
    return Number(value)
  }

  const text = field.toString('ascii').replaceAll(/[\0 ]/g, '')
  return text === '' ? 0 : Number.parseInt(text, 8)
}

function verifyChecksum(block: Buffer): void {
  const recorded = Number.parseInt(block.toString('ascii', 148, 156).replaceAll(/[\0 ]/g, ''), 8)
  let sum = 0
  for (const [index, byte] of block.entries()) sum += index >= 148 && index < 156 ? 0x20 : byte
  if (recorded !== sum) throw corrupt('a header block has a wrong checksum')
}

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0)
  return bytes.toString('utf8', 0, end === -1 ? bytes.length : end)
}

function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text, 'utf8')
  return bytes.length <= maxBytes ? text : bytes.subarray(0, maxBytes).toString('utf8').replace(/\uFFFD$/, '')
}

function corrupt(reason: string): TwoliterError {
  return new TwoliterError(`the tar archive cannot be read: ${reason}.`, {
    hint: 'The archive is damaged or not a tar archive; create it again.',
    code: 'oci.tar-invalid',
  })
}

/** Exact reads over a stream of chunks of any size. */
class ByteReader {
  private chunks: Buffer[] = []
  private buffered = 0
  private ended = false

  constructor(private readonly source: AsyncIterator<Uint8Array | string>) {}

  /** Exactly `length` bytes; undefined at the end of the stream; an error when it ends midway. */
  async read(length: number): Promise<Buffer | undefined> {
    if (length === 0) return Buffer.alloc(0)
    await this.fill(length)
    if (this.buffered === 0) return undefined
    if (this.buffered < length) throw corrupt('it ends in the middle of an entry')
    // Usually the first chunk holds it all; only join chunks when it does not.
    const source = this.chunks[0].length >= length ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered)
    if (source !== this.chunks[0]) this.chunks = [source]
    if (source.length === length) this.chunks.shift()
    else this.chunks[0] = source.subarray(length)
    this.buffered -= length
    return source.subarray(0, length)
  }

  /** The next `length` bytes, as they arrive. */
  async *take(length: number): AsyncGenerator<Buffer> {
    let remaining = length
    while (remaining > 0) {
      if (this.buffered === 0) await this.fill(1)
      if (this.buffered === 0) throw corrupt('it ends in the middle of an entry')
      const first = this.chunks[0]
      const piece = first.length <= remaining ? first : first.subarray(0, remaining)
      if (piece === first) this.chunks.shift()
      else this.chunks[0] = first.subarray(remaining)
      this.buffered -= piece.length
      remaining -= piece.length
      yield piece
    }
  }

  async skip(length: number): Promise<void> {
    const pieces = this.take(length)
    while (!(await pieces.next()).done) {
      // Skipped.
    }
  }

  /** Reads to the end of the stream, keeping nothing. */
  async drain(): Promise<void> {
    do {
      this.chunks = []
      this.buffered = 0
      await this.fill(1)
    } while (!this.ended)
    this.chunks = []
    this.buffered = 0
  }

  private async fill(length: number): Promise<void> {
    while (this.buffered < length && !this.ended) {
      const next = await this.source.next()
      if (next.done) {
        this.ended = true
        continue
      }

      // A stream with an encoding set yields strings, which have lost the archive's bytes.
      if (typeof next.value === 'string') throw new TypeError('a tar archive must be read as bytes, from a stream without an encoding')
      const chunk = Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength)
      if (chunk.length === 0) continue
      this.chunks.push(chunk)
      this.buffered += chunk.length
    }
  }
}
