/**
 * Kit images as rpm2kit writes them (an OCI layout tar archive per arch: one uncompressed tar layer per
 * `Packages/<pkg>` directory plus one `repodata` layer, the kit metadata in a config label), but
 * deterministic: layers in path order, entries in name order, tar headers without times or owners, and
 * the creation time given by the caller. The same RPMs and metadata give the same bytes and digest.
 */

import {createReadStream, type Stats} from 'node:fs'
import {lstat, mkdir, mkdtemp, readdir, rm, stat} from 'node:fs/promises'
import path from 'node:path'
import {PassThrough} from 'node:stream'

import {TwoliterError} from '../errors.js'
import {
  createImageLayout,
  extractLayoutArchive,
  importLayoutBlob,
  readLayoutBlob,
  readLayoutIndex,
  type StoredBlob,
  writeLayoutArchive,
  writeLayoutBlob,
  writeLayoutIndex,
} from '../oci/layout.js'
import {type Descriptor, encodeManifest, MediaType, parseImageManifest, parseJsonObject} from '../oci/manifest.js'
import {linuxPlatform, type Platform} from '../oci/platform.js'
import {type TarWriteEntry, writeTar} from '../oci/tar.js'
import {decodeKitMetadata, encodeKitMetadata, KIT_METADATA_LABEL, type KitImageMetadata} from './metadata.js'

export const CREATED_ANNOTATION = 'org.opencontainers.image.created'

export interface KitImageRequest {
  /** build/kits/<kit>/<arch>/: Packages/<pkg>/*.rpm and repodata/ (made by createrepo_c). */
  repoDir: string
  arch: string
  metadata: KitImageMetadata
  /** The image's creation time: fixed by the caller (the commit time) so that the same RPMs give the same digest. */
  created: Date
  /** The OCI layout tar archive to write (build/kits/<kit>/<kit>-v<ver>-<build>-<arch>.tar); written atomically. */
  archive: string
}

export interface KitImage {
  archive: string
  /** sha256 digest of the image manifest */
  manifestDigest: string
  configDigest: string
  /** In image order; path is `Packages/<pkg>` or `repodata`. */
  layers: {path: string; digest: string; size: number}[]
}

export interface KitArchive {
  manifestDigest: string
  platform: Platform
  metadata: KitImageMetadata
  /** The layer digests, in image order. */
  layers: string[]
}

interface PlannedLayer {
  path: string
  entries: TarWriteEntry[]
}

/**
 * Writes the kit image of a repository directory as an OCI layout archive. Everything is checked before
 * anything is written; layers stream through a scratch layout next to the archive, which is removed
 * again, and the archive appears only when complete.
 */
export async function assembleKitImage(request: KitImageRequest): Promise<KitImage> {
  const platform = linuxPlatform(request.arch)
  const created = request.created.toISOString()
  const planned = await planLayers(request.repoDir)
  const archiveDir = path.dirname(request.archive)
  await mkdir(archiveDir, {recursive: true})
  const scratch = await mkdtemp(path.join(archiveDir, `.${path.basename(request.archive)}.scratch-`))
  try {
    await createImageLayout(scratch)
    const layers: KitImage['layers'] = []
    for (const layer of planned) layers.push({path: layer.path, ...(await writeLayerBlob(scratch, layer.entries))})

    const config = Buffer.from(
      JSON.stringify({
        architecture: platform.architecture,
        os: platform.os,
        created,
        history: [],
        rootfs: {type: 'layers', diff_ids: layers.map((layer) => layer.digest)},
        config: {Env: [], WorkingDir: '/', OnBuild: null, Labels: {[KIT_METADATA_LABEL]: encodeKitMetadata(request.metadata)}},
      }),
    )
    const configBlob = await writeLayoutBlob(scratch, config)
    const manifest = encodeManifest({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: {mediaType: MediaType.ociConfig, digest: configBlob.digest, size: configBlob.size},
      layers: layers.map((layer): Descriptor => ({mediaType: MediaType.ociLayer, digest: layer.digest, size: layer.size})),
    })
    const manifestBlob = await writeLayoutBlob(scratch, manifest)
    await writeLayoutIndex(scratch, [
      {mediaType: MediaType.ociManifest, digest: manifestBlob.digest, size: manifestBlob.size, platform, annotations: {[CREATED_ANNOTATION]: created}},
    ])
    await writeLayoutArchive(scratch, request.archive)
    return {archive: request.archive, manifestDigest: manifestBlob.digest, configDigest: configBlob.digest, layers}
  } finally {
    await rm(scratch, {recursive: true, force: true})
  }
}

/** Reads a kit archive back: its one manifest (digest, platform), its config's kit metadata. */
export async function readKitArchive(archive: string): Promise<KitArchive> {
  const found = await stat(archive).catch(() => undefined)
  if (!found?.isFile()) {
    throw new TwoliterError(`the kit archive ${archive} does not exist.`, {
      hint: 'Build the kit for this architecture first (`twoliter build kit`).',
      code: 'kit.archive-missing',
    })
  }

  // Next to the archive rather than in /tmp: kit archives can be large.
  const dir = await mkdtemp(path.join(path.dirname(archive), `.${path.basename(archive)}.read-`))
  try {
    await extractLayoutArchive(archive, dir)
    const {manifests} = await readLayoutIndex(dir)
    if (manifests.length !== 1) throw invalidArchive(archive, `its index.json lists ${manifests.length} manifests instead of one`)
    const [descriptor] = manifests
    if (descriptor.platform === undefined) throw invalidArchive(archive, 'its manifest has no platform in index.json')
    const manifest = parseImageManifest(await readLayoutBlob(dir, descriptor.digest), `the manifest in ${archive}`)
    const config = parseJsonObject(await readLayoutBlob(dir, manifest.config.digest), `the image configuration in ${archive}`)
    const labels = isObject(config.config) && isObject(config.config.Labels) ? config.config.Labels : undefined
    return {
      manifestDigest: descriptor.digest,
      platform: descriptor.platform,
      metadata: decodeKitMetadata(labels, archive),
      layers: manifest.layers.map((layer) => layer.digest),
    }
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

/** The file at the root of a kit's repository (next to repodata/) holding the armored public key its RPMs are signed with. */
export const KIT_RPM_KEY_FILE = 'RPM-GPG-KEY'

/** The layers, in image order: each Packages/<pkg> directory by name, then repodata, then the RPM signing key if any. */
async function planLayers(repoDir: string): Promise<PlannedLayer[]> {
  const top = await lstat(repoDir).catch(() => undefined)
  if (!top?.isDirectory()) throw repositoryMissing(repoDir, `${repoDir} does not exist`)
  for (const name of await readdir(repoDir)) await fileKind(repoDir, name)
  if ((await fileKind(repoDir, 'repodata')) !== 'directory') throw repositoryMissing(repoDir, `${repoDir} has no repodata/ directory`)

  const layers: PlannedLayer[] = []
  if ((await fileKind(repoDir, 'Packages')) === 'directory') {
    for (const name of sortedNames(await readdir(path.join(repoDir, 'Packages')))) {
      const relative = `Packages/${name}`
      if ((await fileKind(repoDir, relative)) !== 'directory') {
        throw new TwoliterError(`${path.join(repoDir, relative)} is a file directly in Packages/; a kit repository holds one directory per package there.`, {
          hint: 'Move the file into its package\'s directory or remove it, and build the kit again.',
          code: 'kit.repo-unsupported-file',
        })
      }

      layers.push({path: relative, entries: await directoryEntries(repoDir, relative)})
    }
  }

  layers.push({path: 'repodata', entries: await directoryEntries(repoDir, 'repodata')})
  // Only a kit whose RPMs are signed has the key; unsigned kits keep their layers, and so their digests.
  if ((await fileKind(repoDir, KIT_RPM_KEY_FILE)) === 'file') {
    const file = path.join(repoDir, KIT_RPM_KEY_FILE)
    const {size} = await lstat(file)
    layers.push({path: KIT_RPM_KEY_FILE, entries: [{name: KIT_RPM_KEY_FILE, type: 'file', size, content: () => createReadStream(file)}]})
  }

  return layers
}

/** Tar entries for a directory and everything in it, names sorted, each directory before its content. */
async function directoryEntries(repoDir: string, relative: string): Promise<TarWriteEntry[]> {
  const entries: TarWriteEntry[] = [{name: `${relative}/`, type: 'directory'}]
  for (const name of sortedNames(await readdir(path.join(repoDir, relative)))) {
    const child = `${relative}/${name}`
    const file = path.join(repoDir, child)
    const stats = await lstat(file)
    if (stats.isDirectory()) entries.push(...(await directoryEntries(repoDir, child)))
    else if (stats.isFile()) entries.push({name: child, type: 'file', size: stats.size, content: () => createReadStream(file)})
    else throw unsupportedFile(repoDir, file, stats)
  }

  return entries
}

/** Streams a layer into the layout's blobs, hashing it on the way; nothing of it stays in memory. */
async function writeLayerBlob(dir: string, entries: TarWriteEntry[]): Promise<StoredBlob> {
  const tar = new PassThrough()
  // Both sides must have settled before the caller removes the scratch layout.
  const [written, stored] = await Promise.allSettled([writeTar(tar, entries), importLayoutBlob(dir, tar)])
  if (written.status === 'rejected') throw written.reason
  if (stored.status === 'rejected') throw stored.reason
  return stored.value
}

async function fileKind(repoDir: string, relative: string): Promise<'directory' | 'file' | undefined> {
  const file = path.join(repoDir, relative)
  const stats = await lstat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw error
  })
  if (stats === undefined) return undefined
  if (stats.isDirectory()) return 'directory'
  if (stats.isFile()) return 'file'
  throw unsupportedFile(repoDir, file, stats)
}

function sortedNames(names: string[]): string[] {
  return names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

function unsupportedFile(repoDir: string, file: string, stats: Stats): TwoliterError {
  const kind = stats.isSymbolicLink() ? 'a symbolic link' : stats.isBlockDevice() || stats.isCharacterDevice() ? 'a device' : stats.isFIFO() ? 'a named pipe' : 'a socket'
  return new TwoliterError(`${file} in the kit repository ${repoDir} is ${kind}; a kit image holds only directories and regular files.`, {
    hint: 'Replace it with a regular file (a copy of what it points to) or remove it, and build the kit again.',
    code: 'kit.repo-unsupported-file',
  })
}

function repositoryMissing(repoDir: string, problem: string): TwoliterError {
  return new TwoliterError(`${problem}: the kit's package repository was not created, so there is no kit image to assemble.`, {
    hint: `Build the kit again and check the build's output: createrepo_c writes ${path.join(repoDir, 'repodata')} once the kit's packages are collected.`,
    code: 'kit.repo-missing',
  })
}

function invalidArchive(archive: string, problem: string): TwoliterError {
  return new TwoliterError(`${archive} is not a kit archive: ${problem}.`, {
    hint: 'Build the kit again to write a new archive.',
    code: 'kit.archive-invalid',
  })
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
