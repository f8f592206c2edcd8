import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {pipeline} from 'node:stream/promises'

/** The lower-case hex SHA-512 of a file, read as a stream so that large files never sit in memory. */
export async function sha512OfFile(file: string, signal?: AbortSignal): Promise<string> {
  const hash = createHash('sha512')
  await pipeline(createReadStream(file), hash, {signal})
  return hash.digest('hex')
}
