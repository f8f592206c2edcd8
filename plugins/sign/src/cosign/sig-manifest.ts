/**
 * The signature image cosign stores beside a signed image (the "tag" scheme, before OCI referrers): an
 * OCI image manifest tagged `sha256-<hex>.sig` in the image's repository, with one layer per signature.
 * A layer's blob is the simple-signing payload; its `dev.cosignproject.cosign/signature` annotation is
 * the base64 signature. Another signer appends a layer to the same manifest, so every reader must expect
 * several. Manifests and configs are written byte for byte as cosign (go-containerregistry) writes them.
 */

import {createHash} from 'node:crypto'

import {SigningError} from './errors.js'
import {goMap, goString, goStruct, goValue} from './go-json.js'

export const OCI_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json'
export const OCI_CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json'
/** What cosign writes instead when COSIGN_DOCKER_MEDIA_TYPES is set; read, and kept when appending. */
export const DOCKER_MANIFEST_MEDIA_TYPE = 'application/vnd.docker.distribution.manifest.v2+json'
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json'
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature'
/** cosign refuses to grow a signature image past this many layers; so does this module. */
export const MAX_SIGNATURE_LAYERS = 1000

/** Go's zero time, which cosign 2 writes as the config's `created` unless asked to record the signing time. */
const ZERO_TIME = '0001-01-01T00:00:00Z'
const SHA256_DIGEST = /^sha256:([a-f0-9]{64})$/

/** One signature in a signature image. */
export interface SignatureEntry {
  /** The layer's media type: {@link SIMPLE_SIGNING_MEDIA_TYPE} for image signatures. */
  mediaType: string
  /** The payload blob's digest (the layer digest). */
  payloadDigest: string
  payloadSize: number
  /** The base64 signature over the payload; empty when the layer has none. */
  signature: string
  /** All the layer's annotations, the signature's included (cosign may add a certificate, chain, bundle or timestamp). */
  annotations: Record<string, string>
}

/** A signature image ready to push: push `config` (and every layer's payload) as blobs, then `manifest` under the `.sig` tag. */
export interface SignatureImage {
  manifest: Buffer
  manifestMediaType: string
  config: Buffer
  configDigest: string
  entries: SignatureEntry[]
}

/** The tag cosign stores an image's signatures under: `sha256:<hex>` → `sha256-<hex>.sig`. */
export function signatureTag(manifestDigest: string): string {
  const match = SHA256_DIGEST.exec(manifestDigest)
  if (match === null) {
    throw new SigningError(`'${manifestDigest}' is not a sha256 image digest.`, {
      code: 'cosign.digest-invalid',
      hint: 'Name the image by its digest, sha256:<64 lowercase hex digits>, as the registry reports it.',
    })
  }

  return `sha256-${match[1]}.sig`
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

/** The layer for one signature of `payload`; `annotations` are extra ones (cosign's certificate, bundle, ...). */
export function signatureEntry(payload: Uint8Array, signature: string, annotations: Readonly<Record<string, string>> = {}): SignatureEntry {
  return {
    mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
    payloadDigest: sha256Digest(payload),
    payloadSize: payload.byteLength,
    signature,
    annotations: {...annotations, [SIGNATURE_ANNOTATION]: signature},
  }
}

/** A new signature image holding these signatures, in order. */
export function buildSignatureImage(entries: readonly SignatureEntry[]): SignatureImage {
  return assemble(entries.map((entry) => ({entry})), {})
}

export type AppendResult =
  | {added: true; image: SignatureImage}
  /** The signature was there already: nothing to push. */
  | {added: false; duplicate: SignatureEntry}

/**
 * The signature image with one more signature: a new image when there is none yet, else the existing
 * manifest's layers (kept as they are) plus this one. Not added again when a layer with the same
 * payload and signature is there, or when `isDuplicate` says an existing one is as good (cosign's
 * "dupe detector": the same payload, valid for the same key).
 */
export function appendSignature(existing: Uint8Array | undefined, entry: SignatureEntry, isDuplicate?: (existing: SignatureEntry) => boolean): AppendResult {
  if (existing === undefined) return {added: true, image: buildSignatureImage([entry])}
  const parsed = parseManifest(existing)
  const duplicate = parsed.layers.find(
    ({entry: present}) => present.payloadDigest === entry.payloadDigest && (present.signature === entry.signature || (isDuplicate?.(present) ?? false)),
  )
  if (duplicate !== undefined) return {added: false, duplicate: duplicate.entry}
  if (parsed.layers.length >= MAX_SIGNATURE_LAYERS) {
    throw new SigningError(`The image already has ${parsed.layers.length} signatures, the most a signature image may hold.`, {
      code: 'cosign.signature-manifest-corrupt',
      hint: 'Remove old signatures (delete the .sig tag, e.g. with `cosign clean`) and sign again.',
    })
  }

  return {added: true, image: assemble([...parsed.layers, {entry}], parsed)}
}

/** The signatures in a signature manifest, in layer order. Throws `cosign.signature-manifest-corrupt` when it is not one. */
export function parseSignatureManifest(bytes: Uint8Array): SignatureEntry[] {
  return parseManifest(bytes).layers.map(({entry}) => entry)
}

interface Layer {
  entry: SignatureEntry
  /** The descriptor as read, for fields this module does not know (kept when the manifest is rewritten). */
  raw?: Record<string, unknown>
}

interface ParsedManifest {
  layers: Layer[]
  mediaType?: string
  configMediaType?: string
  annotations?: Record<string, unknown>
  subject?: Record<string, unknown>
}

function parseManifest(bytes: Uint8Array): ParsedManifest {
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch {
    throw corruptManifest('it is not JSON')
  }

  if (!isObject(json) || json.schemaVersion !== 2) throw corruptManifest('it is not a schema 2 image manifest')
  const mediaType = optionalString(json.mediaType, 'its mediaType')
  if (mediaType !== undefined && mediaType !== OCI_MANIFEST_MEDIA_TYPE && mediaType !== DOCKER_MANIFEST_MEDIA_TYPE) {
    throw corruptManifest(`it is a ${mediaType}, not an image manifest`)
  }

  if (!isObject(json.config)) throw corruptManifest('it has no config')
  if (!Array.isArray(json.layers)) throw corruptManifest('it has no layers')
  if (json.layers.length > MAX_SIGNATURE_LAYERS) throw corruptManifest(`it has ${json.layers.length} layers, more than ${MAX_SIGNATURE_LAYERS}`)
  const layers = json.layers.map((descriptor, index): Layer => {
    const where = `layer ${index + 1}`
    if (!isObject(descriptor)) throw corruptManifest(`${where} is not a descriptor`)
    const layerMediaType = optionalString(descriptor.mediaType, `the media type of ${where}`) ?? ''
    const {digest, size} = descriptor
    if (typeof digest !== 'string' || !SHA256_DIGEST.test(digest)) throw corruptManifest(`${where} has no sha256 digest`)
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) throw corruptManifest(`${where} has no size`)
    const annotations: Record<string, string> = {}
    if (descriptor.annotations !== undefined && descriptor.annotations !== null) {
      if (!isObject(descriptor.annotations)) throw corruptManifest(`the annotations of ${where} are not an object`)
      for (const [key, value] of Object.entries(descriptor.annotations)) {
        if (typeof value !== 'string') throw corruptManifest(`the annotation ${key} of ${where} is not a string`)
        annotations[key] = value
      }
    }

    const entry = {mediaType: layerMediaType, payloadDigest: digest, payloadSize: size, signature: annotations[SIGNATURE_ANNOTATION] ?? '', annotations}
    return {entry, raw: descriptor}
  })
  return {
    layers,
    mediaType,
    configMediaType: optionalString(json.config.mediaType, 'the media type of its config'),
    annotations: isObject(json.annotations) ? json.annotations : undefined,
    subject: isObject(json.subject) ? json.subject : undefined,
  }
}

/** Config and manifest for these layers, as go-containerregistry's mutate.Append over cosign's empty signature image writes them. */
function assemble(layers: readonly Layer[], base: Omit<ParsedManifest, 'layers'>): SignatureImage {
  const entries = layers.map(({entry}) => entry)
  const config = Buffer.from(
    goStruct([
      ['architecture', goString('')],
      ['created', goString(ZERO_TIME)],
      ['history', `[${entries.map(() => goStruct([['created', goString(ZERO_TIME)]])).join(',')}]`],
      ['os', goString('')],
      ['rootfs', goStruct([['type', goString('layers')], ['diff_ids', `[${entries.map((entry) => goString(entry.payloadDigest)).join(',')}]`]])],
      ['config', '{}'],
    ]),
    'utf8',
  )
  const configDigest = sha256Digest(config)
  const manifestMediaType = base.mediaType ?? OCI_MANIFEST_MEDIA_TYPE
  const configDescriptor = descriptorJson({mediaType: base.configMediaType ?? OCI_CONFIG_MEDIA_TYPE, size: config.length, digest: configDigest})
  const layerDescriptors = layers.map(({entry, raw}) =>
    descriptorJson({...raw, mediaType: entry.mediaType, size: entry.payloadSize, digest: entry.payloadDigest, annotations: entry.annotations}),
  )
  const manifest = goStruct([
    ['schemaVersion', '2'],
    ['mediaType', goString(manifestMediaType)],
    ['config', configDescriptor],
    ['layers', `[${layerDescriptors.join(',')}]`],
    ['annotations', base.annotations === undefined || Object.keys(base.annotations).length === 0 ? undefined : goMap(base.annotations)],
    ['subject', base.subject === undefined ? undefined : descriptorJson(base.subject)],
  ])
  return {manifest: Buffer.from(manifest, 'utf8'), manifestMediaType, config, configDigest, entries}
}

/** A descriptor in go-containerregistry's field order; empty optional fields left out as Go's omitempty does. */
function descriptorJson(descriptor: Record<string, unknown>): string {
  const present = (value: unknown): boolean =>
    value !== undefined && value !== null && value !== '' && !(Array.isArray(value) && value.length === 0) && !(isObject(value) && Object.keys(value).length === 0)
  const optional = (key: string): string | undefined => (present(descriptor[key]) ? goValue(descriptor[key]) : undefined)
  return goStruct([
    ['mediaType', goString(String(descriptor.mediaType ?? ''))],
    ['size', goValue(descriptor.size ?? 0)],
    ['digest', goString(String(descriptor.digest ?? ''))],
    ['data', optional('data')],
    ['urls', optional('urls')],
    ['annotations', optional('annotations')],
    ['platform', optional('platform')],
    ['artifactType', optional('artifactType')],
  ])
}

function corruptManifest(what: string): SigningError {
  return new SigningError(`The signature manifest is not one cosign could have written: ${what}.`, {
    code: 'cosign.signature-manifest-corrupt',
    hint: 'Something other than cosign wrote the .sig tag; delete it (e.g. `cosign clean`) and sign again.',
  })
}

function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string') throw corruptManifest(`${what} is not a string`)
  return value
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
