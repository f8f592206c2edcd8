/**
 * The `twoliter:signers` capability: signing RPM packages (GPG signatures in the RPM header, as `rpmsign
 * --addsign` writes them) and container images such as kits (cosign-style signatures stored beside the
 * image in its registry), and verifying both kinds of signature.
 *
 * @packageDocumentation
 */

import type {SignerApiVersion} from './versions.js'

/**
 * A signer. Its `id` is what the project's `signing-keys` and the command line name it by; when two
 * plugins offer the same id, the bundled plugin's signer is used and the other is ignored with a warning.
 * Signers run in twoliter's process: run tools that need the SDK (rpmsign, gpg) with `context.engine`,
 * and talk to registries with `context.registry`, from the `TwoliterContext` the hook received.
 */
export interface Signer {
  /** The version of this interface the signer implements. */
  apiVersion: SignerApiVersion
  /** A short stable name: lowercase letters, digits and `-`, e.g. `gpg`, `cosign`. */
  id: string
  /** What it is, for `--help`-like listings; called without side effects. */
  describe(): SignerDescription
  /**
   * Signs RPM files in place with a GPG key (a header signature that `rpmkeys --checksig` verifies).
   * Rejects when any of them could not be signed; files already signed by the key are signed again.
   */
  signRpms(request: SignRpmsRequest): Promise<SignRpmsResult>
  /**
   * Signs an image as the registry stores it (its digest, the index's for a multi-arch image) and stores
   * the signature in the same repository.
   */
  signImage(request: SignImageRequest): Promise<SignImageResult>
  /**
   * Checks the image's signatures against a public key. Resolves (with `verified: false` and the reason)
   * when there is no valid signature; rejects only when it could not check, e.g. the registry is down.
   */
  verifyImage(request: VerifyImageRequest): Promise<VerifyImageResult>
  /**
   * Checks RPM files' GPG signatures against public keys. Optional: signers without it cannot check RPMs.
   * Resolves with an `ok: false` entry for each RPM that does not verify; rejects only when it could not
   * check, e.g. a public key is unreadable or the engine failed.
   */
  verifyRpms?(request: VerifyRpmsRequest): Promise<VerifyRpmsResult>
  /**
   * Opens the private key (reads it and decrypts it with its passphrase) without signing anything, so that
   * a command can stop before it changes anything when the key would not sign. Optional: callers skip the
   * check for signers without it. Rejects with the reason (unreadable key, wrong passphrase, ...).
   */
  checkKey?(key: SigningKey): Promise<CheckKeyResult>
}

export interface CheckKeyResult {
  /** The key's id, as the signer shows it (for cosign keys, the SHA-256 of the public key, hex). */
  keyId: string
}

export interface SignerDescription {
  /** One line: what it signs and how, e.g. `GPG signatures of RPMs, made with rpmsign in the SDK`. */
  summary: string
  /** What the signer can do; methods for the other kinds reject with an explanation. */
  supports: {rpms: boolean; images: boolean}
  /** The key references it understands, for messages, e.g. `gpg:<fingerprint>`, `file:///path/cosign.key`. */
  keyFormats: string[]
}

/**
 * A private key, as the project names it. The signer reads it; twoliter never logs it, never writes it
 * into an image, and passes it to containers only as a mount for the one run that needs it.
 */
export interface SigningKey {
  /** Where the key is, in one of the signer's `keyFormats`: a file URL, a key id, a KMS key. */
  ref: string
  /** The key's passphrase, when it has one (from the environment or a prompt). */
  passphrase?: string
  /** A file whose first line is the passphrase; `passphrase` wins when both are set. */
  passphraseFile?: string
}

export interface SignRpmsRequest {
  /** Absolute paths of the RPM files to sign in place. */
  rpms: string[]
  key: SigningKey
  /** The SDK image of the build (it has rpmsign and gpg), for signers that sign in a container. */
  sdkImage: string
  signal?: AbortSignal
}

export interface SignRpmsResult {
  /** The files that were signed: all of `rpms`. */
  signed: string[]
  /** The signing key's fingerprint (hex), as `rpm -qi` shows it. */
  keyId: string
  /** The signing key's public key, armored: what consumers import to check the RPMs (`RPM-GPG-KEY-…`). */
  publicKey?: string
}

export interface VerifyRpmsRequest {
  /** Absolute paths of the RPM files to check; they are only read. */
  rpms: string[]
  /** Armored OpenPGP public keys (texts); an RPM signed by any of them verifies. */
  publicKeys: string[]
  /** The SDK image of the build (it has rpmkeys), for signers that check in a container. */
  sdkImage: string
  signal?: AbortSignal
}

export interface VerifyRpmsResult {
  /** One entry for each of `rpms`, in their order. */
  results: RpmVerification[]
}

export interface RpmVerification {
  /** The RPM, as the request gave it. */
  rpm: string
  ok: boolean
  /**
   * Why it does not verify: `modified` (changed after signing), `unknown-key` (signed by a key not given),
   * `unsigned`, `bad-signature` (the signature does not match), or `other`.
   */
  problem?: 'modified' | 'unknown-key' | 'unsigned' | 'bad-signature' | 'other'
  /** For the user: what the check found, e.g. `digests signatures OK`, or why it does not verify. */
  reason: string
}

export interface SignImageRequest {
  /** The image in its registry, by digest: `registry/repository@sha256:<hex>`. */
  reference: string
  key: SigningKey
  /** Extra claims stored with the signature (cosign's `optional` annotations). */
  annotations?: Record<string, string>
  signal?: AbortSignal
}

export interface SignImageResult {
  /** Where the signature is, e.g. `registry/repository:sha256-<hex>.sig`. */
  signature: string
  /** The signature format, e.g. `cosign`. */
  format: string
}

export interface VerifyImageRequest {
  /** The image in its registry, by digest: `registry/repository@sha256:<hex>`. */
  reference: string
  /** The public key: a PEM text, or a reference in one of the signer's `keyFormats`. */
  publicKey: string
  signal?: AbortSignal
}

export interface VerifyImageResult {
  /** True when at least one signature is valid for the key and binds this digest to this repository. */
  verified: boolean
  /** How many signatures the image has, valid or not. */
  signatures: number
  /** Why it did not verify, for the user: `no signature`, `signed by another key`, ... */
  reason?: string
}
