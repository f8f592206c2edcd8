/**
 * Small synthetic kit images pushed to a test registry, in the form rpm2kit and `publish kit` give them:
 * per arch an image whose config carries the kit label and whose uncompressed tar layers hold
 * Packages/<pkg>/ files and repodata/, tagged `v<ver>-<build>-<arch>`, with an OCI index at `v<ver>`.
 * The files are not real RPMs: resolution and fetch never look inside them.
 */

import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {Writable} from 'node:stream'

import {encodeKitMetadata, KIT_METADATA_LABEL, type KitImageMetadata} from '../../src/lib/kits/metadata.js'
import {
  createImageLayout,
  type Descriptor,
  linuxPlatform,
  MediaType,
  pushImageLayout,
  pushIndex,
  type PushedIndex,
  RegistryClient,
  sha256Digest,
  writeLayoutBlob,
  writeLayoutIndex,
} from '../../src/lib/oci/index.js'
import {writeTar, type TarWriteEntry} from '../../src/lib/oci/tar.js'
import {lockDigest} from '../../src/lib/project/lock.js'

export interface SyntheticKit {
  /** Repository under the registry, e.g. `vendor/kit-a`. */
  repository: string
  metadata: KitImageMetadata
  arches?: string[]
  /** Labels to use instead of the kit label (to make an image of another metadata version, or no kit). */
  labels?: Record<string, string>
  /** Per arch: file path in the image (e.g. `Packages/pkg/pkg.rpm`) → content. */
  files?: Record<string, string>
  buildId?: string
}

export interface PushedKit {
  /** `<registry>/<repository>:v<version>` */
  reference: string
  index: PushedIndex
  /** What Twoliter.lock records for it. */
  lockDigest: string
  /** Per arch: the image manifest's digest and its layer digests. */
  images: Record<string, {digest: string; layers: string[]}>
}

export async function pushSyntheticKit(registryHost: string, kit: SyntheticKit, client = new RegistryClient()): Promise<PushedKit> {
  const arches = kit.arches ?? ['x86_64']
  const labels = kit.labels ?? {[KIT_METADATA_LABEL]: encodeKitMetadata(kit.metadata)}
  const buildId = kit.buildId ?? 'abcdef0'
  const version = `v${kit.metadata.version}`
  const images: PushedKit['images'] = {}
  const entries = []
  for (const arch of arches) {
    const dir = await mkdtemp(path.join(tmpdir(), 'twoliter-kit-image-'))
    try {
      const files = kit.files ?? {[`Packages/${kit.metadata.name}-pkg/${kit.metadata.name}-pkg.${arch}.rpm`]: `${kit.metadata.name} ${arch}`, 'repodata/repomd.xml': `<repomd arch="${arch}"/>`}
      const descriptor = await writeKitLayout(dir, arch, labels, files)
      const pushed = await pushImageLayout(client, dir, `${registryHost}/${kit.repository}:${version}-${buildId}-${arch}`)
      images[arch] = {digest: pushed.digest, layers: descriptor.layers}
      entries.push({digest: pushed.digest, size: pushed.size, mediaType: pushed.mediaType, platform: linuxPlatform(arch)})
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  }

  const reference = `${registryHost}/${kit.repository}:${version}`
  const index = await pushIndex(client, reference, entries)
  return {reference, index, lockDigest: lockDigest(index.bytes), images}
}

/** One layer per top-level group (each Packages/<pkg>/ directory, and repodata/), as rpm2kit lays them out. */
async function writeKitLayout(dir: string, arch: string, labels: Record<string, string>, files: Record<string, string>): Promise<{layers: string[]}> {
  await createImageLayout(dir)
  const groups = new Map<string, [string, string][]>()
  for (const [file, content] of Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const parts = file.split('/')
    const group = parts[0] === 'Packages' ? parts.slice(0, 2).join('/') : parts[0]
    groups.set(group, [...(groups.get(group) ?? []), [file, content]])
  }

  const layers: Descriptor[] = []
  for (const [group, members] of groups) {
    const tar = await tarBytes([
      ...directoriesOf(group).map((name): TarWriteEntry => ({name: `${name}/`, type: 'directory'})),
      ...members.map(([name, content]): TarWriteEntry => ({name, type: 'file', size: Buffer.byteLength(content), content: () => Buffer.from(content)})),
    ])
    const blob = await writeLayoutBlob(dir, tar)
    layers.push({mediaType: MediaType.ociLayer, digest: blob.digest, size: blob.size})
  }

  const config = Buffer.from(
    JSON.stringify({
      architecture: linuxPlatform(arch).architecture,
      os: 'linux',
      created: '1970-01-01T00:00:00Z',
      history: [],
      rootfs: {type: 'layers', diff_ids: layers.map((layer) => layer.digest)},
      config: {Env: [], WorkingDir: '/', OnBuild: null, Labels: labels},
    }),
  )
  const configBlob = await writeLayoutBlob(dir, config)
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: {mediaType: MediaType.ociConfig, digest: configBlob.digest, size: configBlob.size},
      layers,
    }),
  )
  const manifestBlob = await writeLayoutBlob(dir, manifest)
  await writeLayoutIndex(dir, [{mediaType: MediaType.ociManifest, digest: manifestBlob.digest, size: manifestBlob.size, platform: linuxPlatform(arch)}])
  if (manifestBlob.digest !== sha256Digest(manifest)) throw new Error('layout blob digest disagrees with sha256Digest')
  return {layers: layers.map((layer) => layer.digest)}
}

function directoriesOf(group: string): string[] {
  const parts = group.split('/')
  return parts.map((_, index) => parts.slice(0, index + 1).join('/'))
}

/** A tar archive in memory, written by twoliter's own tar writer. */
export async function tarBytes(entries: TarWriteEntry[]): Promise<Buffer> {
  const chunks: Buffer[] = []
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk)
      callback()
    },
  })
  await writeTar(sink, entries)
  return Buffer.concat(chunks)
}

/** Kit metadata as a project of vendor `vendor` builds it against an SDK. */
export function kitMetadata(name: string, version: string, sdk: KitImageMetadata['sdk'], kits: KitImageMetadata['kit'] = []): KitImageMetadata {
  return {name, version, sdk, kit: kits}
}
