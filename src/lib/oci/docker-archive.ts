/**
 * `docker save` archives (what the engine's `GET /images/{name}/get` streams) as OCI images: the archive's
 * `manifest.json` names the image configuration and the layers, in the classic layout (`<id>/layer.tar`,
 * duplicates as symlinks) and in the OCI-based one of Docker 25+ (`blobs/sha256/<hex>`) alike. A local
 * image is pushed as a one-entry image index, as every image twoliter reads is one.
 */

import {createReadStream} from 'node:fs'
import {mkdtemp, open, readdir, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {PassThrough, type Readable} from 'node:stream'

import {TwoliterError} from '../errors.js'
import type {RegistryClient} from './client.js'
import {BLOBS_DIRECTORY, createImageLayout, importLayoutBlob, layoutBlobPath, readLayoutBlob, readLayoutIndex, type StoredBlob, writeLayoutBlob, writeLayoutIndex} from './layout.js'
import {parseDigest} from './digest.js'
import {type Descriptor, encodeManifest, type ImageManifest, MediaType, parseImageManifest, parseJsonObject} from './manifest.js'
import {pushImageLayout, pushIndex, type PushedImage, type PushedIndex} from './image-transfer.js'
import type {Platform} from './platform.js'
import {type ImageReference, toReference} from './reference.js'
import {readTar, type TarWriteEntry, writeTar} from './tar.js'

/** The archive as a stream of bytes: a file stream, or what dockerode's `image.get()` returns. */
export type DockerArchiveStream = AsyncIterable<Uint8Array> | NodeJS.ReadableStream

export interface DockerArchiveImage {
  /** The image manifest written into the layout, with the image's platform. */
  manifest: Descriptor & {platform: Platform}
  /** The tags `docker save` recorded (`RepoTags`). */
  repoTags: string[]
}

/**
 * Converts a `docker save` archive of one image into an OCI image layout in `dir` (new or empty): an
 * image manifest over the archive's configuration and layers (layer media types by their compression).
 * The platform is the configuration's unless given.
 */
export async function dockerArchiveToLayout(archive: DockerArchiveStream, dir: string, platform?: Platform): Promise<DockerArchiveImage> {
  await createImageLayout(dir)
  const files = new Map<string, StoredBlob>()
  const links = new Map<string, string>()
  await readTar(archive, async (entry, content) => {
    const name = normalize(entry.name)
    if (entry.type === 'file') files.set(name, await importLayoutBlob(dir, content, undefined, 'the docker image archive'))
    else if (entry.type === 'symlink') links.set(name, normalize(path.posix.join(path.posix.dirname(name), entry.linkName)))
    else if (entry.type === 'hardlink') links.set(name, normalize(entry.linkName))
  })

  const file = (name: string, role: string): StoredBlob => {
    const stored = files.get(followLinks(normalize(name), links))
    if (stored === undefined) throw notAnArchive(`it names ${role} ${name}, which it does not contain`)
    return stored
  }

  const images = parseSaveManifest(await readLayoutBlob(dir, file('manifest.json', 'its manifest').digest))
  if (images.length !== 1) throw notAnArchive(`it holds ${images.length} images, not one`)
  const [image] = images
  const config = file(image.Config, 'the configuration')
  const configDocument = parseJsonObject(await readLayoutBlob(dir, config.digest), 'the image configuration in the docker image archive')
  const layers: Descriptor[] = []
  for (const layerName of image.Layers) {
    const layer = file(layerName, 'the layer')
    layers.push({mediaType: await layerMediaType(layoutBlobPath(dir, layer.digest)), digest: layer.digest, size: layer.size})
  }

  const diffIds = (configDocument.rootfs as {diff_ids?: unknown} | undefined)?.diff_ids
  if (Array.isArray(diffIds) && diffIds.length !== layers.length) throw notAnArchive(`its configuration lists ${diffIds.length} layers, its manifest ${layers.length}`)

  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: {mediaType: MediaType.ociConfig, digest: config.digest, size: config.size},
    layers,
  }
  const stored = await writeLayoutBlob(dir, encodeManifest(manifest))
  const imagePlatform = platform ?? configPlatform(configDocument)
  const descriptor = {mediaType: MediaType.ociManifest, digest: stored.digest, size: stored.size, platform: imagePlatform}
  await writeLayoutIndex(dir, [descriptor])
  await removeUnreferencedBlobs(dir, new Set([stored.digest, config.digest, ...layers.map((layer) => layer.digest)]))
  return {manifest: descriptor, repoTags: image.RepoTags ?? []}
}

export interface PushedDockerArchive {
  /** The one-entry index the tag names. */
  index: PushedIndex
  /** The image it points at, pushed by digest. */
  image: PushedImage
}

/**
 * Pushes a `docker save` archive of one image as a one-entry OCI image index under the reference's tag.
 * The archive is unpacked in `workDir` (the system's temporary directory by default) and removed after.
 */
export async function pushDockerArchive(
  client: RegistryClient,
  archive: DockerArchiveStream,
  reference: ImageReference | string,
  platform?: Platform,
  options: {workDir?: string} = {},
): Promise<PushedDockerArchive> {
  const ref = toReference(reference)
  const dir = await mkdtemp(path.join(options.workDir ?? tmpdir(), 'twoliter-docker-image-'))
  try {
    const {manifest} = await dockerArchiveToLayout(archive, dir, platform)
    const image = await pushImageLayout(client, dir, ref.withDigest(manifest.digest))
    const index = await pushIndex(client, ref, [manifest])
    return {index, image}
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

/**
 * The one image of an OCI layout as a `docker save` archive the engine can load (Docker 20.10 cannot
 * load OCI layouts): manifest.json naming the configuration and the layers by their blob paths, tagged
 * `tag`. Layers stay as they are; the engine decompresses them itself.
 */
export async function layoutToDockerArchive(dir: string, tag: string): Promise<Readable> {
  const {manifests} = await readLayoutIndex(dir)
  if (manifests.length !== 1) throw notAnArchive(`the image layout ${dir} holds ${manifests.length} images, not one`)
  const manifest = parseImageManifest(await readLayoutBlob(dir, manifests[0].digest), `the manifest in ${dir}`)
  const blobName = (digest: string) => `blobs/sha256/${parseDigest(digest).hex}`
  const save = Buffer.from(JSON.stringify([{Config: blobName(manifest.config.digest), RepoTags: [tag], Layers: manifest.layers.map((layer) => blobName(layer.digest))}]))
  const blobs = [...new Set([manifest.config.digest, ...manifest.layers.map((layer) => layer.digest)])]
  async function* entries(): AsyncGenerator<TarWriteEntry> {
    yield {name: 'blobs/', type: 'directory'}
    yield {name: 'blobs/sha256/', type: 'directory'}
    for (const digest of blobs) {
      const file = layoutBlobPath(dir, digest)
      const {size} = await stat(file)
      yield {name: blobName(digest), type: 'file', size, content: () => createReadStream(file)}
    }

    yield {name: 'manifest.json', type: 'file', size: save.length, content: () => save}
  }

  const output = new PassThrough()
  writeTar(output, entries()).catch((error: unknown) => output.destroy(error as Error))
  return output
}

interface SavedImage {
  Config: string
  RepoTags?: string[]
  Layers: string[]
}

function parseSaveManifest(bytes: Buffer): SavedImage[] {
  let document: unknown
  try {
    document = JSON.parse(bytes.toString('utf8'))
  } catch {
    throw notAnArchive('its manifest.json is not JSON')
  }

  const valid =
    Array.isArray(document) &&
    document.every((item: Partial<SavedImage>) => typeof item?.Config === 'string' && Array.isArray(item.Layers) && item.Layers.every((layer) => typeof layer === 'string'))
  if (!valid) throw notAnArchive('its manifest.json does not list Config and Layers')
  return document as SavedImage[]
}

function configPlatform(config: Record<string, unknown>): Platform {
  const {architecture, os, variant} = config
  if (typeof architecture !== 'string' || typeof os !== 'string') throw notAnArchive('its image configuration names no architecture and os')
  return typeof variant === 'string' ? {architecture, os, variant} : {architecture, os}
}

/** Docker keeps layers as the registry had them (compressed) or as plain tar; the first bytes tell. */
async function layerMediaType(file: string): Promise<string> {
  const handle = await open(file)
  try {
    const {buffer, bytesRead} = await handle.read(Buffer.alloc(4), 0, 4, 0)
    const magic = buffer.subarray(0, bytesRead)
    if (magic[0] === 0x1f && magic[1] === 0x8b) return MediaType.ociLayerGzip
    if (magic.equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return MediaType.ociLayerZstd
    return MediaType.ociLayer
  } finally {
    await handle.close()
  }
}

async function removeUnreferencedBlobs(dir: string, referenced: ReadonlySet<string>): Promise<void> {
  const directory = path.join(dir, BLOBS_DIRECTORY, 'sha256')
  for (const hex of await readdir(directory)) {
    if (!referenced.has(`sha256:${hex}`)) await rm(path.join(directory, hex), {force: true})
  }
}

/** The file a name leads to through symlinks and hard links (a bounded number of them). */
function followLinks(name: string, links: ReadonlyMap<string, string>): string {
  let resolved = name
  for (let hops = 0; hops < 16; hops++) {
    const target = links.get(resolved)
    if (target === undefined) break
    resolved = target
  }

  return resolved
}

function normalize(name: string): string {
  return path.posix.normalize(name).replace(/^(\.\/)+/, '').replace(/\/$/, '')
}

function notAnArchive(reason: string): TwoliterError {
  return new TwoliterError(`this is not a docker image archive twoliter can read: ${reason}.`, {
    hint: 'Give the output of `docker save` (or the engine API\'s GET /images/{name}/get) for one image.',
    code: 'oci.docker-archive-invalid',
  })
}
