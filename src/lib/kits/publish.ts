/**
 * `twoliter publish kit`: each architecture's kit archive pushed under `v<ver>-<build>-<arch>`, then the
 * multi-arch OCI index tagged `v<ver>`, as pubsys publish-kit does. The registry comes from Infra.toml's
 * [vendor.X] when it names the vendor, else from Twoliter.toml's.
 */

import {constants} from 'node:fs'
import {access, readdir} from 'node:fs/promises'
import path from 'node:path'

import {ARCHES} from '../manifest/index.js'
import {type SourceLocation, TwoliterError, formatLocation} from '../errors.js'
import {type BlobCounts, type IndexEntry, type RegistryClient, linuxPlatform, pushImageLayout, pushIndex} from '../oci/index.js'
import type {InfraVendors} from '../project/infra-toml.js'
import {lockDigest} from '../project/lock.js'
import type {Project} from '../project/project.js'
import type {Logger} from '../ui/logger.js'

export interface KitArchive {
  arch: string
  buildId: string
  file: string
}

export interface PublishedKitImage {
  arch: string
  /** `<registry>/<repo>:v<ver>-<build>-<arch>` */
  reference: string
  digest: string
  blobs: BlobCounts
}

export interface PublishedKit {
  /** `<registry>/<repo>:v<ver>`: what Twoliter.toml's [[kit]] of a consumer resolves to. */
  reference: string
  /** Registry digest of the index. */
  digest: string
  /** What a consumer's Twoliter.lock will record for it. */
  lockDigest: string
  images: PublishedKitImage[]
  /** Where the signatures went (`<repository>:sha256-<hex>.sig`): the index's, then each image's; empty when Infra.toml names no cosign-key for the vendor. */
  signatures: string[]
}

async function checkReadable(file: string, location: SourceLocation): Promise<void> {
  await access(file, constants.R_OK).catch(() => {
    throw new TwoliterError(`cosign-key names ${file}, which cannot be read.`, {
      hint: 'Give the path of the cosign private key (`twoliter sign keygen --type cosign` makes one), relative to Infra.toml, or remove cosign-key to publish unsigned.',
      code: 'publish.cosign-key',
      location,
    })
  })
}

/** The registry a vendor's kits are published to, and where that was said. */
export function publishRegistry(project: Pick<Project, 'file' | 'vendors'>, infra: InfraVendors | undefined, vendor: string, logger: Logger): string {
  const fromInfra = infra?.registries[vendor]
  const fromProject = Object.hasOwn(project.vendors, vendor) ? project.vendors[vendor].registry : undefined
  if (fromInfra !== undefined) {
    if (fromProject !== undefined && fromProject !== fromInfra.registry) {
      logger.warn(
        `${formatLocation(fromInfra.location)}: Infra.toml publishes vendor '${vendor}' to ${fromInfra.registry}, but ${path.basename(project.file)} gives its registry as ${fromProject}; publishing to ${fromInfra.registry} (Infra.toml wins), so consumers using Twoliter.toml's registry will not find it.`,
      )
    }

    return fromInfra.registry
  }

  if (fromProject !== undefined) return fromProject
  const known = [...new Set([...Object.keys(infra?.registries ?? {}), ...Object.keys(project.vendors)])]
  throw new TwoliterError(`Vendor '${vendor}' is not specified in ${infra === undefined ? '' : `${path.basename(infra.file)} nor in `}${path.basename(project.file)}${known.length === 0 ? '' : ` (known vendors: ${known.join(', ')})`}.`, {
    location: {file: project.file},
    hint: `Add \`[vendor.${vendor}] registry = "REGISTRY/PATH"\` to ${path.basename(project.file)} (or to Infra.toml).`,
    code: 'publish.unknown-vendor',
  })
}

/**
 * The kit's archives of this release version, one per architecture; when several builds left archives
 * for an architecture, the one of `buildId` (the current commit).
 */
export async function findKitArchives(kitDir: string, kitName: string, version: string, buildId: string): Promise<KitArchive[]> {
  const files = await readdir(kitDir).catch(() => [] as string[])
  const archives: KitArchive[] = []
  for (const arch of ARCHES) {
    const prefix = `${kitName}-v${version}-`
    const suffix = `-${arch}.tar`
    const candidates = files
      .filter((file) => file.startsWith(prefix) && file.endsWith(suffix))
      .map((file) => ({arch, buildId: file.slice(prefix.length, -suffix.length), file: path.join(kitDir, file)}))
    if (candidates.length === 0) continue
    const chosen = candidates.length === 1 ? candidates[0] : candidates.find((candidate) => candidate.buildId === buildId)
    if (chosen === undefined) {
      throw new TwoliterError(`${kitDir} holds ${candidates.length} ${arch} archives of ${kitName} v${version}, from builds ${candidates.map((c) => c.buildId).join(', ')}, and none of the current commit (${buildId}).`, {
        hint: `Build the kit again with \`twoliter build kit ${kitName} --arch ${arch}\`, or remove the archives you do not want to publish.`,
        code: 'publish.ambiguous-archive',
      })
    }

    archives.push(chosen)
  }

  if (archives.length === 0) {
    throw new TwoliterError(`No kit archive of ${kitName} v${version} exists in ${kitDir}.`, {
      hint: `Build it first with \`twoliter build kit ${kitName}\` (once per architecture to publish).`,
      code: 'publish.no-archive',
    })
  }

  return archives
}

/** Pushes each archive under its per-arch tag, then the index over them under `v<version>`. */
export async function publishKitArchives(client: RegistryClient, repository: string, version: string, archives: readonly KitArchive[], logger: Logger): Promise<Omit<PublishedKit, 'signatures'>> {
  const images: PublishedKitImage[] = []
  const entries: IndexEntry[] = []
  for (const archive of archives) {
    const reference = `${repository}:v${version}-${archive.buildId}-${archive.arch}`
    const pushed = await pushImageLayout(client, archive.file, reference)
    logger.info(`pushed ${reference} (${pushed.digest}; blobs: ${pushed.blobs.uploaded} uploaded, ${pushed.blobs.existed} present)`)
    images.push({arch: archive.arch, reference, digest: pushed.digest, blobs: pushed.blobs})
    entries.push({digest: pushed.digest, size: pushed.size, mediaType: pushed.mediaType, platform: linuxPlatform(archive.arch)})
  }

  const reference = `${repository}:v${version}`
  const index = await pushIndex(client, reference, entries)
  return {reference, digest: index.digest, lockDigest: lockDigest(index.bytes), images}
}

/** What runs around publishing: plugins' pre-/post-publish events and the project's publish hook steps. */
export interface PublishLifecycle {
  beforePublish(step: PublishStep): Promise<void>
  afterPublish(step: PublishStep, published: string[]): Promise<void>
}

export interface PublishStep {
  kind: 'kit'
  name: string
  arch: string
  projectRoot: string
  outputDir: string
  /** The archives being published. */
  outputs: string[]
}

export interface PublishKitRequest {
  project: Project
  infra: InfraVendors | undefined
  kitName: string
  vendor: string
  /** The repository under the vendor's registry; the kit's name by default. */
  repo?: string
  kitDir: string
  buildId: string
  client: RegistryClient
  logger: Logger
  lifecycle?: PublishLifecycle
  /** Signs `repository@digest` with the cosign private key file; resolves where the signature went. Needed when Infra.toml names a cosign-key. */
  signImage?: (reference: string, keyFile: string) => Promise<string>
  /** Opens the cosign private key file with its password, rejecting when it would not sign; called before anything is pushed. */
  checkSigningKey?: (keyFile: string, location: SourceLocation) => Promise<void>
}

export async function publishKit(request: PublishKitRequest): Promise<PublishedKit> {
  const {project, kitName, logger} = request
  const registry = publishRegistry(project, request.infra, request.vendor, logger)
  const archives = await findKitArchives(request.kitDir, kitName, project.releaseVersion, request.buildId)
  const step: PublishStep = {
    kind: 'kit',
    name: kitName,
    arch: archives.map((archive) => archive.arch).join(','),
    projectRoot: project.root,
    outputDir: request.kitDir,
    outputs: archives.map((archive) => archive.file),
  }
  const cosignKey = request.infra?.cosignKeys[request.vendor]
  if (cosignKey !== undefined) {
    await checkReadable(cosignKey.file, cosignKey.location)
    // A wrong password found after the push would leave the kit published unsigned.
    await request.checkSigningKey?.(cosignKey.file, cosignKey.location)
  }

  await request.lifecycle?.beforePublish(step)
  const repository = `${registry}/${request.repo ?? kitName}`
  const pushed = await publishKitArchives(request.client, repository, project.releaseVersion, archives, logger)
  const signatures: string[] = []
  if (cosignKey !== undefined && request.signImage !== undefined) {
    // The index is what consumers lock; each image is signed too, for those who pull one by its digest.
    for (const digest of [pushed.digest, ...pushed.images.map((image) => image.digest)]) signatures.push(await request.signImage(`${repository}@${digest}`, cosignKey.file))
    logger.info(`signed ${repository}@${pushed.digest} and its ${pushed.images.length} image${pushed.images.length === 1 ? '' : 's'} with ${cosignKey.file}`)
  }

  const published = {...pushed, signatures}
  await request.lifecycle?.afterPublish(step, [`${published.reference}@${published.digest}`, ...published.images.map((image) => `${image.reference}@${image.digest}`), ...signatures])
  return published
}
