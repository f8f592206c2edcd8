/**
 * OCI and Docker v2 manifests, image indexes (manifest lists) and descriptors: their media types, their
 * shape, and reading them from the bytes a registry or an image layout holds.
 */

import {TwoliterError} from '../errors.js'
import {isDigest} from './digest.js'
import type {Platform} from './platform.js'

export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const

/** What we accept when fetching a manifest by tag or digest, most preferred first. */
export const MANIFEST_MEDIA_TYPES: readonly string[] = [
  MediaType.ociIndex,
  MediaType.dockerManifestList,
  MediaType.ociManifest,
  MediaType.dockerManifest,
]

/** Registries refuse bigger manifests (distribution's limit); it bounds what we hold in memory. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024

export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  platform?: Platform
  annotations?: Record<string, string>
}

export interface ImageManifest {
  schemaVersion: 2
  mediaType?: string
  config: Descriptor
  layers: Descriptor[]
  annotations?: Record<string, string>
}

export interface ImageIndex {
  schemaVersion: 2
  mediaType?: string
  manifests: Descriptor[]
  annotations?: Record<string, string>
}

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList
}

export function isImageManifestMediaType(mediaType: string): boolean {
  return mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest
}

/**
 * The media type of manifest bytes: the one the registry declared when it is a manifest type, else the
 * document's own `mediaType`, else what its shape says (OCI made the field optional).
 */
export function manifestMediaType(bytes: Uint8Array, declared: string | undefined): string {
  const contentType = declared?.split(';')[0].trim()
  if (contentType !== undefined && (isIndexMediaType(contentType) || isImageManifestMediaType(contentType))) return contentType
  const document = parseJsonObject(bytes, 'the manifest')
  if (typeof document.mediaType === 'string') return document.mediaType
  if (Array.isArray(document.manifests)) return MediaType.ociIndex
  if (Array.isArray(document.layers)) return MediaType.ociManifest
  return contentType ?? 'application/octet-stream'
}

export function parseImageIndex(bytes: Uint8Array, where: string): ImageIndex {
  const document = parseJsonObject(bytes, where)
  if (document.schemaVersion !== 2 || !Array.isArray(document.manifests)) {
    throw malformed(where, 'it is not an image index (schemaVersion 2 with a `manifests` list)')
  }

  return {...document, manifests: document.manifests.map((item, index) => descriptor(item, `${where} manifests[${index}]`))} as ImageIndex
}

export function parseImageManifest(bytes: Uint8Array, where: string): ImageManifest {
  const document = parseJsonObject(bytes, where)
  if (document.schemaVersion !== 2 || !Array.isArray(document.layers)) {
    throw malformed(where, 'it is not an image manifest (schemaVersion 2 with `config` and `layers`)')
  }

  return {
    ...document,
    config: descriptor(document.config, `${where} config`),
    layers: document.layers.map((item, index) => descriptor(item, `${where} layers[${index}]`)),
  } as ImageManifest
}

/** JSON bytes of a manifest or index as we push it: compact, members in the order given. */
export function encodeManifest(document: ImageManifest | ImageIndex): Buffer {
  return Buffer.from(JSON.stringify(document), 'utf8')
}

export function parseJsonObject(bytes: Uint8Array, where: string): Record<string, unknown> {
  let value: unknown
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch (error) {
    throw malformed(where, `it is not JSON (${(error as Error).message})`)
  }

  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw malformed(where, 'it is not a JSON object')
  return value as Record<string, unknown>
}

function descriptor(value: unknown, where: string): Descriptor {
  if (typeof value !== 'object' || value === null) throw malformed(where, 'it is not a descriptor object')
  const candidate = value as Record<string, unknown>
  if (typeof candidate.mediaType !== 'string') throw malformed(where, 'it has no mediaType')
  if (typeof candidate.digest !== 'string' || !isDigest(candidate.digest)) throw malformed(where, 'it has no valid digest')
  if (typeof candidate.size !== 'number' || !Number.isSafeInteger(candidate.size) || candidate.size < 0) throw malformed(where, 'it has no valid size')
  return candidate as unknown as Descriptor
}

function malformed(where: string, reason: string): TwoliterError {
  return new TwoliterError(`${where} cannot be read: ${reason}.`, {
    hint: 'The image was not written by a tool that follows the OCI image specification; push it again.',
    code: 'oci.manifest-invalid',
  })
}
