/**
 * Just enough tar to read a kit archive in place: the entries of a tar stored in a byte range of a file
 * (the archive itself, or one of its uncompressed layers inside it), with where each one's content is, so
 * that nothing is unpacked but what the caller copies out. Reads ustar (with its name prefix), pax
 * (`x`/`g`) and GNU long names, octal and base-256 sizes. Names are returned as stored: path safety is
 * the caller's business.
 */

import type {FileHandle} from 'node:fs/promises'

export type TarEntryType = 'directory' | 'file' | 'hardlink' | 'other' | 'symlink'

export interface TarEntry {
  name: string
  type: TarEntryType
  size: number
  /** Where the content starts in the file. */
  offset: number
}

/** The range is not a tar archive, or a damaged one. */
export class TarFormatError extends Error {}

const BLOCK = 512
/** Extended headers are a few names long; anything much larger is not one. */
const MAX_EXTENDED_HEADER = 1024 * 1024
const TYPES: Readonly<Record<string, TarEntryType>> = {'0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '5': 'directory'}

/** The entries of the tar in `[start, end)` of the file, in order. */
export async function* tarEntries(handle: FileHandle, start: number, end: number): AsyncGenerator<TarEntry> {
  let position = start
  let pax: Record<string, string> = {}
  let globalPax: Record<string, string> = {}
  let longName: string | undefined
  // Without its end-of-archive blocks, a tar simply ends after its last entry.
  while (position + BLOCK <= end) {
    const header = await readExactly(handle, position, BLOCK)
    if (header.every((byte) => byte === 0)) return
    verifyChecksum(header)
    const typeFlag = String.fromCodePoint(header[156]!)
    const headerSize = readSize(header)
    const offset = position + BLOCK
    position = offset + headerSize + padding(headerSize)
    if (offset + headerSize > end) throw new TarFormatError('it ends in the middle of an entry')
    if (typeFlag === 'x' || typeFlag === 'g' || typeFlag === 'L' || typeFlag === 'K') {
      if (headerSize > MAX_EXTENDED_HEADER) throw new TarFormatError('an extended header is implausibly large')
      const data = await readExactly(handle, offset, headerSize)
      if (typeFlag === 'x') pax = {...pax, ...parsePax(data)}
      else if (typeFlag === 'g') globalPax = {...globalPax, ...parsePax(data)}
      else if (typeFlag === 'L') longName = cString(data)
      continue
    }

    const paxSize = pax.size ?? globalPax.size
    const size = paxSize === undefined ? headerSize : Number(paxSize)
    if (!Number.isSafeInteger(size) || size < 0) throw new TarFormatError('an entry has an invalid size')
    if (size !== headerSize) {
      // A pax size replaces the header's (which could not hold it): the content runs to the pax size.
      position = offset + size + padding(size)
      if (offset + size > end) throw new TarFormatError('it ends in the middle of an entry')
    }

    yield {name: pax.path ?? longName ?? headerName(header), type: TYPES[typeFlag] ?? 'other', size, offset}
    pax = {}
    longName = undefined
  }

  if (position < end && position + BLOCK > end) throw new TarFormatError('it ends in the middle of a header')
}

async function readExactly(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length)
  let read = 0
  while (read < length) {
    const {bytesRead} = await handle.read(buffer, read, length - read, position + read)
    if (bytesRead === 0) throw new TarFormatError('it is shorter than its headers say')
    read += bytesRead
  }

  return buffer
}

function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK
}

function verifyChecksum(block: Buffer): void {
  const text = block.toString('ascii', 148, 156).replaceAll(/[\0 ]/g, '')
  let sum = 0
  for (const [index, byte] of block.entries()) sum += index >= 148 && index < 156 ? 0x20 : byte
  if (!/^[0-7]+$/.test(text) || Number.parseInt(text, 8) !== sum) throw new TarFormatError('a header block has a wrong checksum (it is not a tar archive, or a damaged one)')
}

function readSize(block: Buffer): number {
  const field = block.subarray(124, 136)
  if ((field[0]! & 0x80) !== 0) {
    // GNU base-256: big-endian, the top bit of the first byte only marks the encoding.
    let value = 0n
    for (const [index, byte] of field.entries()) value = (value << 8n) | BigInt(index === 0 ? byte & 0x7f : byte)
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new TarFormatError('an entry is too large')
    return Number(value)
  }

  const text = field.toString('ascii').replaceAll(/[\0 ]/g, '')
  if (text === '') return 0
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError('an entry has an invalid size')
  return Number.parseInt(text, 8)
}

function parsePax(content: Buffer): Record<string, string> {
  const records: Record<string, string> = {}
  let offset = 0
  while (offset < content.length) {
    const space = content.indexOf(0x20, offset)
    const length = Number(content.toString('ascii', offset, space))
    if (space === -1 || !Number.isSafeInteger(length) || length <= 0 || offset + length > content.length) throw new TarFormatError('a pax extended header is malformed')
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

function cString(bytes: Buffer): string {
  const end = bytes.indexOf(0)
  return bytes.toString('utf8', 0, end === -1 ? bytes.length : end)
}
