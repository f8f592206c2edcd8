/**
 * Moving whole images between OCI image layouts and a registry: push a layout (directory or tar archive)
 * under a tag, pull one platform's image into a layout, and tag an image index over images already pushed
 * (`krane push`, `krane pull --format oci` and `krane index append` in the reference).
 */

import {mkdtemp, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {TwoliterError} from '../errors.js'
import {blobFromFile} from './blob-source.js'
import type {BlobPushOutcome, FetchedManifest, RegistryClient} from './client.js'
import {
  createImageLayout,
  extractLayoutArchive,
  hasLayoutBlob,
  layoutBlobPath,
  missingBlob,
  readLayoutBlob,
  readLayoutIndex,
  writeLayoutBlob,
  writeLayoutIndex,
} from './layout.js'
import {
  type Descriptor,
  encodeManifest,
  type ImageIndex,
  type ImageManifest,
  isImageManifestMediaType,
  isIndexMediaType,
  MediaType,
  parseImageIndex,
  parseImageManifest,
  parseJsonObject,
} from './manifest.js'
import {formatPlatform, type Platform, platformMatches} from './platform.js'
import {type ImageReference, toReference} from './reference.js'

/** Blobs transferred at the same time. */
const BLOB_CONCURRENCY = 4

export interface PushLayoutOptions {
  /** A repository of the same registry to mount blobs from instead of uploading them. */
  mountFrom?: string
}

export type BlobCounts = Record<BlobPushOutcome, number>

export interface PushedImage extends Descriptor {
  /** How many of its blobs the repository had, got mounted, or were uploaded. */
  blobs: BlobCounts
}

/**
 * Pushes the one image of an OCI layout (a directory, or a tar archive of one) under the reference's tag:
 * every blob first (skipping those the repository has), then the manifest. An image index in the layout
 * is pushed with all its manifests. Returns the descriptor of what the tag now names (with the platform
 * index.json gives it).
 */
export async function pushImageLayout(client: RegistryClient, layout: string, reference: ImageReference | string, options: PushLayoutOptions = {}): Promise<PushedImage> {
  const ref = toReference(reference)
  if ((await stat(layout)).isDirectory()) return pushLayoutDirectory(client, layout, ref, options)
  // Next to the archive rather than in /tmp: kit archives can be large.
  const unpacked = await mkdtemp(path.join(path.dirname(layout), '.twoliter-layout-'))
  try {
    await extractLayoutArchive(layout, unpacked)
    return await pushLayoutDirectory(client, unpacked, ref, options)
  } finally {
    await rm(unpacked, {recursive: true, force: true})
  }
}

export interface PulledImage {
  /** The image layout holding the image: index.json names exactly this one manifest. */
  dir: string
  /** The image manifest pulled, with its platform. */
  manifest: Descriptor
  /** The digest of the image index the reference named, when it named one. */
  indexDigest?: string
}

/**
 * Pulls the image for `platform` that the reference names (an image index or a single image) into an
 * image layout: `into`, or a new temporary directory. Every blob is checked against its digest; blobs
 * the layout has already are not fetched again.
 */
export async function pullImage(client: RegistryClient, reference: ImageReference | string, platform: Platform, into?: string): Promise<PulledImage> {
  const ref = toReference(reference)
  const image = await resolveImage(client, ref, platform)
  const dir = into ?? (await mkdtemp(path.join(tmpdir(), 'twoliter-image-')))
  try {
    return await pullInto(client, ref, image, platform, dir)
  } catch (error) {
    if (into === undefined) await rm(dir, {recursive: true, force: true})
    throw error
  }
}

/** The image manifest a reference names for a platform, and the index it was found through. */
interface ResolvedImage {
  fetched: FetchedManifest
  manifest: ImageManifest
  /** The platform the index gives the image. */
  indexPlatform?: Platform
  indexDigest?: string
}

async function resolveImage(client: RegistryClient, ref: ImageReference, platform: Platform): Promise<ResolvedImage> {
  const fetched = await client.getManifest(ref)
  if (isIndexMediaType(fetched.mediaType)) {
    const index = parseImageIndex(fetched.bytes, `the image index ${ref}`)
    const chosen = index.manifests.find((candidate) => platformMatches(candidate.platform, platform))
    if (chosen === undefined) {
      const available = index.manifests.flatMap((candidate) => (candidate.platform ? [formatPlatform(candidate.platform)] : []))
      throw new TwoliterError(`${ref} has no image for ${formatPlatform(platform)}; it has images for ${available.join(', ') || 'no platform'}.`, {
        hint: 'Build and publish the image for this architecture, or build for one it has.',
        code: 'oci.platform-missing',
      })
    }

    const image = await resolveImage(client, ref.withDigest(chosen.digest), platform)
    if (image.indexDigest !== undefined) throw new TwoliterError(`${ref} nests image indexes, which twoliter does not read.`, {code: 'oci.not-an-image'})
    return {...image, indexPlatform: chosen.platform, indexDigest: fetched.digest}
  }

  if (!isImageManifestMediaType(fetched.mediaType)) {
    throw new TwoliterError(`${ref} is a ${fetched.mediaType}, not an image.`, {hint: 'Check the reference.', code: 'oci.not-an-image'})
  }

  return {fetched, manifest: parseImageManifest(fetched.bytes, `the manifest of ${ref}`)}
}

async function pullInto(client: RegistryClient, ref: ImageReference, image: ResolvedImage, platform: Platform, dir: string): Promise<PulledImage> {
  const {fetched, manifest} = image
  await createImageLayout(dir)
  await writeLayoutBlob(dir, fetched.bytes)
  await forEachConcurrently(distinctBlobs(manifest), BLOB_CONCURRENCY, async (blob) => {
    if (!(await hasLayoutBlob(dir, blob.digest))) await client.getBlobToFile(ref, blob.digest, layoutBlobPath(dir, blob.digest))
  })

  const imagePlatform = image.indexPlatform ?? (await configPlatform(dir, manifest.config.digest))
  if (!platformMatches(imagePlatform, platform)) {
    throw new TwoliterError(`${ref} is an image for ${imagePlatform ? formatPlatform(imagePlatform) : 'an unknown platform'}, not for ${formatPlatform(platform)}.`, {
      hint: 'Use the reference of the image for this architecture.',
      code: 'oci.platform-missing',
    })
  }

  const pulled: Descriptor = {mediaType: fetched.mediaType, digest: fetched.digest, size: fetched.bytes.length, platform: imagePlatform}
  await writeLayoutIndex(dir, [pulled])
  return {dir, manifest: pulled, indexDigest: image.indexDigest}
}

export interface IndexEntry {
  digest: string
  size: number
  mediaType: string
  platform: Platform
}

export interface PushedIndex {
  digest: string
  /** The index exactly as pushed; `lockDigest(bytes)` is what Twoliter.lock records for the tag. */
  bytes: Buffer
  mediaType: string
}

/**
 * Tags an OCI image index over images already in the repository (pushed by digest or under per-arch
 * tags), one entry per platform: a multi-arch image, or a one-entry one.
 */
export async function pushIndex(client: RegistryClient, reference: ImageReference | string, entries: readonly IndexEntry[]): Promise<PushedIndex> {
  const ref = toReference(reference)
  if (entries.length === 0) throw new TwoliterError(`cannot push an image index for ${ref} without images.`, {code: 'oci.index-empty'})
  const platforms = entries.map((entry) => formatPlatform(entry.platform))
  const repeated = platforms.find((platform, position) => platforms.indexOf(platform) !== position)
  if (repeated !== undefined) {
    throw new TwoliterError(`cannot push an image index for ${ref} with two images for ${repeated}.`, {hint: 'Give one image per platform.', code: 'oci.index-platforms'})
  }

  for (const entry of entries) {
    if ((await client.headManifest(ref.withDigest(entry.digest))) === undefined) {
      throw new TwoliterError(`cannot push an image index for ${ref}: the ${formatPlatform(entry.platform)} image ${entry.digest} is not in ${ref.name}.`, {
        hint: 'Push each platform\'s image to the same repository first.',
        code: 'oci.manifest-missing',
      })
    }
  }

  const index: ImageIndex = {
    schemaVersion: 2,
    mediaType: MediaType.ociIndex,
    manifests: entries.map(({mediaType, digest, size, platform}) => ({mediaType, digest, size, platform: platformObject(platform)})),
  }
  const bytes = encodeManifest(index)
  const digest = await client.pushManifest(ref, bytes, MediaType.ociIndex)
  return {digest, bytes, mediaType: MediaType.ociIndex}
}

async function pushLayoutDirectory(client: RegistryClient, dir: string, ref: ImageReference, options: PushLayoutOptions): Promise<PushedImage> {
  const {manifests} = await readLayoutIndex(dir)
  if (manifests.length !== 1) {
    throw new TwoliterError(`the image layout ${dir} holds ${manifests.length} images; twoliter pushes layouts of exactly one.`, {
      hint: 'Give the layout of one image (a kit archive holds one per architecture).',
      code: 'oci.layout-images',
    })
  }

  const blobs: BlobCounts = {existed: 0, mounted: 0, uploaded: 0}
  await pushLayoutContent(client, dir, ref, manifests[0], options, blobs)
  await client.pushManifest(ref, await readLayoutBlob(dir, manifests[0].digest), manifests[0].mediaType)
  return {...manifests[0], blobs}
}

/** Pushes everything a manifest refers to (for an index: its manifests, by digest), not the manifest itself. */
async function pushLayoutContent(client: RegistryClient, dir: string, ref: ImageReference, descriptor: Descriptor, options: PushLayoutOptions, blobs: BlobCounts): Promise<void> {
  const bytes = await readLayoutBlob(dir, descriptor.digest)
  if (isIndexMediaType(descriptor.mediaType)) {
    for (const child of parseImageIndex(bytes, `the image index ${descriptor.digest} in ${dir}`).manifests) {
      await pushLayoutContent(client, dir, ref, child, options, blobs)
      await client.pushManifest(ref.withDigest(child.digest), await readLayoutBlob(dir, child.digest), child.mediaType)
    }

    return
  }

  const manifest = parseImageManifest(bytes, `the manifest ${descriptor.digest} in ${dir}`)
  await forEachConcurrently(distinctBlobs(manifest), BLOB_CONCURRENCY, async (blob) => {
    if (!(await hasLayoutBlob(dir, blob.digest))) throw missingBlob(dir, blob.digest)
    blobs[await client.pushBlob(ref, await blobFromFile(layoutBlobPath(dir, blob.digest), blob.digest), options)]++
  })
}

/** The config and the layers, each digest once: an image may repeat a layer. */
function distinctBlobs(manifest: ImageManifest): Descriptor[] {
  const byDigest = new Map([manifest.config, ...manifest.layers].map((blob) => [blob.digest, blob]))
  return [...byDigest.values()]
}

async function configPlatform(dir: string, configDigest: string): Promise<Platform | undefined> {
  const config = parseJsonObject(await readLayoutBlob(dir, configDigest), `the image configuration ${configDigest}`)
  if (typeof config.architecture !== 'string' || typeof config.os !== 'string') return undefined
  return platformObject({architecture: config.architecture, os: config.os, variant: typeof config.variant === 'string' ? config.variant : undefined})
}

/** A platform with its members in the spec's order and no undefined members, for JSON. */
function platformObject(platform: Platform): Platform {
  return platform.variant === undefined ? {architecture: platform.architecture, os: platform.os} : {architecture: platform.architecture, os: platform.os, variant: platform.variant}
}

async function forEachConcurrently<T>(items: readonly T[], limit: number, action: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  let failed = false
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const item = items[next++]
      try {
        await action(item)
      } catch (error) {
        failed = true
        throw error
      }
    }
  }

  await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker))
}
