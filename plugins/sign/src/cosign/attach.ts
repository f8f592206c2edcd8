/**
 * Signing an image in its registry and checking its signatures, cosign-compatibly (key pairs, `.sig`
 * tag). The registry is reached only through {@link SignatureStore}, four plain calls that twoliter's
 * core (or a test) implements with whatever client it has, so this plugin needs no registry code and
 * no dependency on the core.
 */

import {createPublicKey, type KeyObject} from 'node:crypto'

import {isSigningError, SigningError} from './errors.js'
import {keyId, readPublicKey} from './keys.js'
import {checkPayload, type PayloadProblem, simpleSigningPayload} from './payload.js'
import {appendSignature, parseSignatureManifest, sha256Digest, signatureEntry, signatureTag, type SignatureEntry, SIMPLE_SIGNING_MEDIA_TYPE} from './sig-manifest.js'
import {signPayload, verifyPayload} from './signature.js'

/** The registry calls signing and verifying need, all within one repository of one registry. */
export interface SignatureStore {
  /** The manifest a tag (or digest) names, with its bytes exactly as stored; undefined when there is none. */
  getManifest(repository: string, reference: string): Promise<{bytes: Buffer; mediaType: string} | undefined>
  /** A blob's bytes; rejects when the repository does not have it. */
  getBlob(repository: string, digest: string): Promise<Buffer>
  /** Stores a blob (a no-op when it is there already) and resolves to its digest, `sha256:<hex>`. */
  putBlob(repository: string, bytes: Buffer): Promise<string>
  /** Stores a manifest under a tag. */
  putManifest(repository: string, tag: string, bytes: Buffer, mediaType: string): Promise<void>
}

export interface SignImageOptions {
  store: SignatureStore
  /** The repository within the registry, as the store names it, e.g. `bottlerocket/kits/core`. */
  repository: string
  /** The repository as the signature names it: `registry[:port]/path/name` (cosign's docker-reference). */
  dockerReference: string
  /** The digest of the image as the registry stores it (for a multi-arch image, the index's). */
  manifestDigest: string
  /** A private key from {@link decryptPrivateKey}. */
  privateKey: KeyObject
  /** Claims stored in the signed payload (`cosign sign -a`). */
  annotations?: Readonly<Record<string, string>>
}

export interface SignImageResult {
  /** The tag the signatures are stored under, `sha256-<hex>.sig`. */
  tag: string
  /** False when the image already had a signature of the same payload by the same key: nothing was pushed. */
  added: boolean
  /** The digest of the signature manifest now at `tag`. */
  signatureManifestDigest: string
  payloadDigest: string
  /** The base64 signature: the new one, or the existing one when not `added`. */
  signature: string
  /** {@link keyId} of the signing key. */
  keyId: string
}

/** Signs the image and stores the signature beside it, keeping the signatures already there. */
export async function signImage(options: SignImageOptions): Promise<SignImageResult> {
  const {store, repository, manifestDigest, privateKey} = options
  const tag = signatureTag(manifestDigest)
  const payload = simpleSigningPayload({dockerReference: options.dockerReference, manifestDigest, annotations: options.annotations})
  const entry = signatureEntry(payload, signPayload(payload, privateKey))
  const publicKey = createPublicKey(privateKey)
  const existing = await store.getManifest(repository, tag)
  // ECDSA signatures differ each time: an existing layer of this payload that this key verifies is the same signature.
  const result = appendSignature(existing?.bytes, entry, (present) => verifyPayload(payload, present.signature, publicKey) !== undefined)
  const signingKeyId = keyId(publicKey)
  if (!result.added) {
    return {tag, added: false, signatureManifestDigest: sha256Digest(existing!.bytes), payloadDigest: entry.payloadDigest, signature: result.duplicate.signature, keyId: signingKeyId}
  }

  const {image} = result
  await putBlobChecked(store, repository, payload, entry.payloadDigest)
  await putBlobChecked(store, repository, image.config, image.configDigest)
  await store.putManifest(repository, tag, image.manifest, image.manifestMediaType)
  return {tag, added: true, signatureManifestDigest: sha256Digest(image.manifest), payloadDigest: entry.payloadDigest, signature: entry.signature, keyId: signingKeyId}
}

export interface VerifyImageOptions {
  store: SignatureStore
  repository: string
  /** When given, a signature counts only if it names this repository (`registry[:port]/path/name`). */
  dockerReference?: string
  manifestDigest: string
  /** Public keys (key objects or `PUBLIC KEY` PEMs); a signature by any of them counts. */
  publicKeys: KeyObject | string | ReadonlyArray<KeyObject | string>
}

export type VerifyFailureReason = 'missing' | 'bad-signature' | 'digest-mismatch' | 'identity-mismatch' | 'corrupt'

export type VerifyImageResult =
  | {
      verified: true
      /** {@link keyId} of the key whose signature is valid. */
      keyId: string
      /** How many signatures the image has, valid or not. */
      signatures: number
      payloadDigest: string
    }
  | {
      verified: false
      reason: VerifyFailureReason
      /** For the user: what was found wrong. */
      detail: string
      signatures: number
    }

/**
 * Checks the image's signatures: resolves with `verified: true` as soon as one is valid (its payload
 * blob matches its digest, it is signed by one of the keys, and it claims this image digest and, when
 * asked, this repository), else with the reason of the signature that came closest. Rejects only when
 * the store does (the registry could not be asked), or for an invalid digest or key.
 */
export async function verifyImage(options: VerifyImageOptions): Promise<VerifyImageResult> {
  const {store, repository, manifestDigest, dockerReference} = options
  const tag = signatureTag(manifestDigest)
  const keys = (Array.isArray(options.publicKeys) ? options.publicKeys : [options.publicKeys]).map((key: KeyObject | string) =>
    typeof key === 'string' ? readPublicKey(key) : key,
  )
  if (keys.length === 0) throw new TypeError('verifyImage needs at least one public key')
  const manifest = await store.getManifest(repository, tag)
  if (manifest === undefined) {
    return {verified: false, reason: 'missing', detail: `The image ${manifestDigest} has no signatures (there is no ${tag} tag in ${repository}).`, signatures: 0}
  }

  let entries: SignatureEntry[]
  try {
    entries = parseSignatureManifest(manifest.bytes)
  } catch (error) {
    if (!isSigningError(error)) throw error
    return {verified: false, reason: 'corrupt', detail: error.message, signatures: 0}
  }

  if (entries.length === 0) return {verified: false, reason: 'missing', detail: `The signature image ${tag} in ${repository} holds no signatures.`, signatures: 0}
  let closest: {reason: Exclude<VerifyFailureReason, 'missing'>; detail: string} | undefined
  for (const [index, entry] of entries.entries()) {
    const outcome = await checkEntry(store, repository, entry, keys, {manifestDigest, dockerReference})
    if ('keyId' in outcome) return {verified: true, keyId: outcome.keyId, signatures: entries.length, payloadDigest: entry.payloadDigest}
    const detail = entries.length === 1 ? outcome.detail : `Signature ${index + 1} of ${entries.length}: ${outcome.detail}`
    if (closest === undefined || RANK[outcome.reason] > RANK[closest.reason]) closest = {reason: outcome.reason, detail}
  }

  return {verified: false, ...closest!, signatures: entries.length}
}

/** How far a signature got before it failed: the furthest one explains the failure best. */
const RANK: Record<Exclude<VerifyFailureReason, 'missing'>, number> = {corrupt: 0, 'bad-signature': 1, 'digest-mismatch': 2, 'identity-mismatch': 3}

type EntryOutcome = {keyId: string} | {reason: Exclude<VerifyFailureReason, 'missing'>; detail: string}

async function checkEntry(
  store: SignatureStore,
  repository: string,
  entry: SignatureEntry,
  keys: readonly KeyObject[],
  expected: {manifestDigest: string; dockerReference?: string},
): Promise<EntryOutcome> {
  const payload = await store.getBlob(repository, entry.payloadDigest)
  if (sha256Digest(payload) !== entry.payloadDigest || payload.length !== entry.payloadSize) {
    return {reason: 'corrupt', detail: `Its payload blob does not match its descriptor (${entry.payloadDigest}, ${entry.payloadSize} bytes).`}
  }

  if (entry.mediaType !== SIMPLE_SIGNING_MEDIA_TYPE) return {reason: 'corrupt', detail: `It is a ${entry.mediaType || 'untyped'} layer, not a cosign signature.`}
  if (entry.signature === '') return {reason: 'bad-signature', detail: 'It has no signature annotation.'}
  const key = verifyPayload(payload, entry.signature, keys)
  if (key === undefined) {
    return {reason: 'bad-signature', detail: keys.length === 1 ? 'It was not made by the given public key.' : `It was not made by any of the ${keys.length} given public keys.`}
  }

  // Only now are the payload's claims worth reading: they are the signer's.
  const problems = checkPayload(payload, expected)
  if (problems.length === 0) return {keyId: keyId(key)}
  const problem = mostSerious(problems)
  return {reason: problem.kind === 'corrupt' || problem.kind === 'wrong-type' ? 'corrupt' : problem.kind, detail: problem.detail}
}

function mostSerious(problems: readonly PayloadProblem[]): PayloadProblem {
  const order = ['corrupt', 'wrong-type', 'digest-mismatch', 'identity-mismatch']
  return [...problems].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind))[0]
}

async function putBlobChecked(store: SignatureStore, repository: string, bytes: Buffer, digest: string): Promise<void> {
  const stored = await store.putBlob(repository, bytes)
  if (stored !== digest) {
    throw new SigningError(`The registry stored a blob as ${stored}, but its content is ${digest}.`, {
      code: 'cosign.digest-invalid',
      hint: 'The registry (or something between it and twoliter) changed the content; check the registry and try again.',
    })
  }
}
