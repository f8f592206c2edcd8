/**
 * Content digests (`sha256:<hex>`) as OCI registries and image layouts use them, and checking content
 * against them while it streams by.
 */

import {createHash, type Hash} from 'node:crypto'
import {Transform, type TransformCallback} from 'node:stream'

import {TwoliterError} from '../errors.js'

const DIGEST_HEX_LENGTH = {sha256: 64, sha512: 128} as const

export type DigestAlgorithm = keyof typeof DIGEST_HEX_LENGTH

export interface ParsedDigest {
  algorithm: DigestAlgorithm
  hex: string
}

const DIGEST_PATTERN = /^(sha256|sha512):([a-f0-9]+)$/

export function isDigest(text: string): boolean {
  const match = DIGEST_PATTERN.exec(text)
  return match !== null && match[2].length === DIGEST_HEX_LENGTH[match[1] as DigestAlgorithm]
}

export function parseDigest(text: string): ParsedDigest {
  const match = DIGEST_PATTERN.exec(text)
  if (match === null || match[2].length !== DIGEST_HEX_LENGTH[match[1] as DigestAlgorithm]) {
    throw new TwoliterError(`'${text}' is not a content digest.`, {
      hint: 'A digest is `sha256:` followed by 64 lowercase hexadecimal digits.',
      code: 'oci.digest-invalid',
    })
  }

  return {algorithm: match[1] as DigestAlgorithm, hex: match[2]}
}

export function sha256Digest(content: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(content).digest('hex')}`
}

export function digestOf(content: Uint8Array, algorithm: DigestAlgorithm): string {
  return `${algorithm}:${createHash(algorithm).update(content).digest('hex')}`
}

/** The digest and size of everything a stream yields. */
export async function digestOfStream(stream: AsyncIterable<Buffer>, algorithm: DigestAlgorithm = 'sha256'): Promise<{digest: string; size: number}> {
  const hash = createHash(algorithm)
  let size = 0
  for await (const chunk of stream) {
    hash.update(chunk)
    size += chunk.length
  }

  return {digest: `${algorithm}:${hash.digest('hex')}`, size}
}

/**
 * A pass-through stream that hashes and counts what flows through it. Read `digest` and `size` once the
 * stream has ended.
 */
export class DigestingStream extends Transform {
  private readonly hash: Hash
  private byteCount = 0
  private finalDigest: string | undefined

  constructor(readonly algorithm: DigestAlgorithm = 'sha256') {
    super()
    this.hash = createHash(algorithm)
  }

  get size(): number {
    return this.byteCount
  }

  get digest(): string {
    if (this.finalDigest === undefined) throw new Error('DigestingStream.digest was read before the stream ended')
    return this.finalDigest
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk)
    this.byteCount += chunk.length
    callback(null, chunk)
  }

  override _flush(callback: TransformCallback): void {
    this.finalDigest = `${this.algorithm}:${this.hash.digest('hex')}`
    callback()
  }
}

/** Content that does not hash to the digest it was asked for by. Never retried: the bytes are wrong. */
export function digestMismatchError(what: string, expected: string, actual: string, where: string): TwoliterError {
  return new TwoliterError(`${what} ${expected} from ${where} has the digest ${actual}: its content is not what was asked for.`, {
    hint: 'The copy is corrupt or was replaced; nothing was kept. Push the image again, or report it to whoever runs the registry.',
    code: 'oci.digest-mismatch',
  })
}
