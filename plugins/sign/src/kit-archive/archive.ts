/**
 * The RPMs and the RPM signing key of a kit archive (an OCI image layout as a tar, as `twoliter build kit`
 * writes it: index.json → one image manifest → layers that are tars of `Packages/<pkg>/*.rpm`,
 * `repodata/` and, for a kit whose RPMs are signed, `RPM-GPG-KEY`), read in place with a small tar
 * reader: the host needs nothing but Node, and nothing but the RPMs is written out. Every blob used is
 * checked against its digest. Entry names are never trusted: a name that is absolute, has `.` or `..`
 * components, or a layer entry that is not a directory or a regular file makes the archive refused.
 */

import {createHash} from 'node:crypto'
import {createReadStream, createWriteStream} from 'node:fs'
import {type FileHandle, mkdir, open, stat} from 'node:fs/promises'
import path from 'node:path'
import {pipeline} from 'node:stream/promises'
import {createGunzip} from 'node:zlib'

import {SigningError} from '../errors.js'
import {type TarEntry, tarEntries, TarFormatError} from './tar.js'

/** The file at a kit repository's root that holds the armored public key its RPMs are signed with. */
export const KIT_RPM_KEY_FILE = 'RPM-GPG-KEY'

const MAX_JSON = 4 * 1024 * 1024
const MAX_KEY = 1024 * 1024
const DIGEST = /^sha256:([a-f\d]{64})$/

export interface ExtractedKitArchive {
  /** The image manifest's digest, as index.json names it. */
  manifestDigest: string
  /** Every `*.rpm` of the layers, relative to the image root with `/`, sorted; the files are under `dir`. */
  rpms: string[]
  /** The content of RPM-GPG-KEY, when the archive carries one. */
  publicKey?: string
}

interface Descriptor {
  mediaType?: string
  digest: string
  size: number
}

/**
 * Copies the RPMs of the kit archive into `dir`/rpms under their image paths (see {@link extractedRpm}),
 * and reads its RPM-GPG-KEY. `dir` is private to the caller, who removes it; a gzip layer is unpacked
 * there too.
 */
export async function extractKitArchive(archive: string, dir: string): Promise<ExtractedKitArchive> {
  const info = await stat(archive).catch(() => undefined)
  if (!info?.isFile()) throw new SigningError(`The kit archive ${archive} does not exist or is not a file.`, {code: 'sign.archive-missing', hint: 'Give the path of a kit archive, e.g. build/kits/<kit>/<kit>-v<version>-<build>-<arch>.tar.'})
  const handle = await open(archive, 'r')
  try {
    const files = new Map<string, TarEntry>()
    for await (const entry of readEntries(archive, 'the archive', tarEntries(handle, 0, info.size))) {
      if (entry.type === 'file') files.set(normalized(entry.name), entry)
    }

    const blob = async (descriptor: Descriptor, what: string): Promise<TarEntry> => {
      const hex = DIGEST.exec(descriptor.digest)?.[1]
      if (hex === undefined) throw notKitArchive(archive, `${what} has the unsupported digest ${String(descriptor.digest)}`)
      const entry = files.get(`blobs/sha256/${hex}`)
      if (entry === undefined) throw notKitArchive(archive, `it lacks the blob ${descriptor.digest} of ${what}`)
      if (entry.size !== descriptor.size) throw notKitArchive(archive, `the blob of ${what} has ${entry.size} bytes where ${descriptor.size} are expected`)
      if ((await rangeDigest(archive, entry)) !== descriptor.digest) throw notKitArchive(archive, `the blob of ${what} does not match its digest ${descriptor.digest}`)
      return entry
    }

    const indexEntry = files.get('index.json')
    if (indexEntry === undefined) throw notKitArchive(archive, 'it has no index.json (it is not an OCI image layout)')
    const index = await readJson(handle, archive, indexEntry, 'index.json')
    const manifests = Array.isArray(index.manifests) ? index.manifests : []
    if (manifests.length !== 1) throw notKitArchive(archive, `its index.json lists ${manifests.length} manifests instead of one`)
    const manifestDescriptor = descriptor(manifests[0], archive, 'the manifest in index.json')
    const manifest = await readJson(handle, archive, await blob(manifestDescriptor, 'the image manifest'), 'the image manifest')
    if (!Array.isArray(manifest.layers)) throw notKitArchive(archive, 'its manifest lists no layers')
    const layers = manifest.layers.map((layer, position) => descriptor(layer, archive, `layer ${position + 1}`))

    // Every layer is checked before the first RPM is copied out: a refused archive leaves nothing behind.
    const rpms = new Map<string, {handle: FileHandle; entry: TarEntry}>()
    let publicKey: string | undefined
    const closers: Array<() => Promise<void>> = []
    try {
      for (const [position, layer] of layers.entries()) {
        const what = `layer ${position + 1} (${layer.digest})`
        const stored = await blob(layer, what)
        const opened = await openLayer(handle, archive, stored, path.join(dir, `layer-${position}.tar`), what)
        closers.push(opened.close)
        for await (const entry of readEntries(archive, what, tarEntries(opened.handle, opened.start, opened.end))) {
          const name = safeName(entry.name, archive, what)
          if (name === undefined || entry.type === 'directory') continue
          if (entry.type !== 'file') throw notKitArchive(archive, `${what} holds ${name}, which is a ${entry.type === 'other' ? 'special file' : entry.type}; kit images hold only directories and regular files`)
          if (path.posix.basename(name).startsWith('.wh.')) throw notKitArchive(archive, `${what} holds the whiteout ${name}; kit images never remove files of other layers`)
          if (name === KIT_RPM_KEY_FILE) {
            if (publicKey !== undefined) throw notKitArchive(archive, `it holds ${KIT_RPM_KEY_FILE} twice`)
            if (entry.size > MAX_KEY) throw notKitArchive(archive, `its ${KIT_RPM_KEY_FILE} has ${entry.size} bytes, far too many for a public key`)
            publicKey = (await readRange(opened.handle, entry.offset, entry.size)).toString('utf8')
          } else if (name.endsWith('.rpm')) {
            if (rpms.has(name)) throw notKitArchive(archive, `it holds ${name} twice`)
            rpms.set(name, {handle: opened.handle, entry})
          }
        }
      }

      const directories = new Set([...rpms.keys()].flatMap((name) => name.split('/').slice(0, -1).map((_, end, parts) => parts.slice(0, end + 1).join('/'))))
      const clash = [...rpms.keys()].find((name) => directories.has(name))
      if (clash !== undefined) throw notKitArchive(archive, `it holds ${clash} both as an RPM and as a directory`)
      for (const [name, {handle: layerHandle, entry}] of rpms) await copyOut(layerHandle, entry, extractedRpm(dir, name))
    } finally {
      for (const close of closers) await close()
    }

    return {manifestDigest: manifestDescriptor.digest, rpms: [...rpms.keys()].sort(), ...(publicKey === undefined ? {} : {publicKey})}
  } finally {
    await handle.close()
  }
}

/** Where the RPMs of {@link extractKitArchive} are: `dir`/rpms/<image path>. */
export function extractedRpm(dir: string, rpm: string): string {
  return path.join(dir, 'rpms', ...rpm.split('/'))
}

/**
 * An uncompressed layer is read where it is, inside the archive; a gzip one is unpacked first, into the
 * caller's private directory (it is removed with it).
 */
async function openLayer(
  handle: FileHandle,
  archive: string,
  stored: TarEntry,
  unpacked: string,
  what: string,
): Promise<{handle: FileHandle; start: number; end: number; close: () => Promise<void>}> {
  const magic = await readRange(handle, stored.offset, Math.min(stored.size, 4))
  const gzip = magic[0] === 0x1f && magic[1] === 0x8b
  if (!gzip) {
    if (magic.length === 4 && magic.readUInt32BE(0) === 0x28b52ffd) throw notKitArchive(archive, `${what} is compressed with zstd, which this verification cannot read`)
    return {handle, start: stored.offset, end: stored.offset + stored.size, close: async () => {}}
  }

  try {
    await pipeline(createReadStream(archive, {start: stored.offset, end: stored.offset + stored.size - 1}), createGunzip(), createWriteStream(unpacked, {flags: 'wx', mode: 0o600}))
  } catch (error) {
    throw notKitArchive(archive, `${what} is not a readable gzip stream (${(error as Error).message})`)
  }

  const layerHandle = await open(unpacked, 'r')
  const {size} = await layerHandle.stat()
  return {handle: layerHandle, start: 0, end: size, close: () => layerHandle.close()}
}

/** The tar reader's entries, its format errors made the archive's. */
async function* readEntries(archive: string, what: string, entries: AsyncGenerator<TarEntry>): AsyncGenerator<TarEntry> {
  try {
    yield* entries
  } catch (error) {
    if (error instanceof TarFormatError) throw notKitArchive(archive, what === 'the archive' ? `it is not a readable tar archive: ${error.message}` : `${what} is not a readable tar: ${error.message}`)
    throw error
  }
}

/**
 * The entry's name without `./` prefixes or a directory's trailing `/`; undefined for the root itself.
 * Refuses names that could point outside the directory they are unpacked into.
 */
function safeName(name: string, archive: string, what: string): string | undefined {
  const trimmed = name.replace(/^(\.\/)+/, '').replace(/\/+$/, '')
  if (trimmed === '' || trimmed === '.') return undefined
  const parts = trimmed.split('/')
  if (name.startsWith('/') || name.includes('\0') || parts.some((part) => part === '' || part === '.' || part === '..')) {
    throw notKitArchive(archive, `${what} holds an entry with the unsafe name ${JSON.stringify(name)}`)
  }

  return trimmed
}

function normalized(name: string): string {
  return name.replace(/^(\.\/)+/, '')
}

async function copyOut(handle: FileHandle, entry: TarEntry, file: string): Promise<void> {
  await mkdir(path.dirname(file), {recursive: true})
  const out = await open(file, 'wx', 0o644)
  try {
    const chunk = Buffer.alloc(1024 * 1024)
    let copied = 0
    while (copied < entry.size) {
      const {bytesRead} = await handle.read(chunk, 0, Math.min(chunk.length, entry.size - copied), entry.offset + copied)
      if (bytesRead === 0) throw new Error(`${file}: the archive changed while it was read`)
      await out.write(chunk, 0, bytesRead)
      copied += bytesRead
    }
  } finally {
    await out.close()
  }
}

async function readRange(handle: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length)
  let read = 0
  while (read < length) {
    const {bytesRead} = await handle.read(buffer, read, length - read, offset + read)
    if (bytesRead === 0) break
    read += bytesRead
  }

  return buffer.subarray(0, read)
}

async function rangeDigest(archive: string, entry: TarEntry): Promise<string> {
  const hash = createHash('sha256')
  if (entry.size > 0) {
    for await (const chunk of createReadStream(archive, {start: entry.offset, end: entry.offset + entry.size - 1})) hash.update(chunk as Buffer)
  }

  return `sha256:${hash.digest('hex')}`
}

async function readJson(handle: FileHandle, archive: string, entry: TarEntry, what: string): Promise<Record<string, unknown>> {
  if (entry.size > MAX_JSON) throw notKitArchive(archive, `${what} has ${entry.size} bytes, far too many for it`)
  let parsed: unknown
  try {
    parsed = JSON.parse((await readRange(handle, entry.offset, entry.size)).toString('utf8'))
  } catch {
    throw notKitArchive(archive, `${what} is not JSON`)
  }

  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw notKitArchive(archive, `${what} is not a JSON object`)
  return parsed as Record<string, unknown>
}

function descriptor(value: unknown, archive: string, what: string): Descriptor {
  const {digest, size, mediaType} = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>
  if (typeof digest !== 'string' || typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw notKitArchive(archive, `${what} is not a valid descriptor (digest and size)`)
  return {digest, size, ...(typeof mediaType === 'string' ? {mediaType} : {})}
}

function notKitArchive(archive: string, problem: string): SigningError {
  return new SigningError(`${archive} is not a kit archive: ${problem}.`, {
    code: 'sign.archive-invalid',
    hint: 'Give a kit archive as `twoliter build kit` writes it (build/kits/<kit>/<kit>-v<version>-<build>-<arch>.tar), or build the kit again.',
  })
}
