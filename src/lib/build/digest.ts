import {createHash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {readdir} from 'node:fs/promises'
import path from 'node:path'

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex')
}

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

/** One digest for a set of named digests, independent of the order they were gathered in. */
export function combineDigests(parts: Record<string, string>): string {
  const lines = Object.keys(parts)
    .sort()
    .map((name) => `${name}\0${parts[name]}\n`)
  return sha256(lines.join(''))
}

/**
 * Every regular file below `dir` (relative paths, sorted), skipping names `skip` rejects. Symbolic links
 * are followed as the build container would see them.
 */
export async function listFiles(dir: string, skip: (name: string, isDirectory: boolean) => boolean = () => false): Promise<string[]> {
  const files: string[] = []
  const walk = async (relative: string) => {
    const entries = await readdir(path.join(dir, relative), {withFileTypes: true})
    for (const entry of entries) {
      const child = relative === '' ? entry.name : `${relative}/${entry.name}`
      if (skip(entry.name, entry.isDirectory())) continue
      if (entry.isDirectory()) await walk(child)
      else if (entry.isFile() || entry.isSymbolicLink()) files.push(child)
    }
  }

  await walk('')
  return files.sort()
}
