/**
 * cosign-compatible key-pair signatures of OCI images (the legacy `.sig` tag scheme), in TypeScript with
 * node:crypto and @noble/ciphers only. Plain data and functions: the registry is reached through a
 * {@link SignatureStore} the caller supplies.
 */

export {type SignatureStore, signImage, type SignImageOptions, type SignImageResult, type VerifyFailureReason, verifyImage, type VerifyImageOptions, type VerifyImageResult} from './attach.js'
export {type CosignErrorCode, isSigningError, SigningError, type SigningErrorCode} from './errors.js'
export {
  COSIGN_PRIVATE_KEY_LABEL,
  type CosignKeyPair,
  decryptPrivateKey,
  DEFAULT_SCRYPT_PARAMS,
  encryptPrivateKey,
  generateKeyPair,
  keyId,
  type Password,
  PUBLIC_KEY_LABEL,
  publicKeyPem,
  readPublicKey,
  type ScryptParams,
  shortKeyId,
  SIGSTORE_PRIVATE_KEY_LABEL,
} from './keys.js'
export {checkPayload, parsePayload, type PayloadExpectation, type PayloadInput, type PayloadProblem, type PayloadProblemKind, sameRepository, SIMPLE_SIGNING_TYPE, simpleSigningPayload, type SimpleSigningPayload} from './payload.js'
export {
  appendSignature,
  type AppendResult,
  buildSignatureImage,
  MAX_SIGNATURE_LAYERS,
  OCI_CONFIG_MEDIA_TYPE,
  OCI_MANIFEST_MEDIA_TYPE,
  parseSignatureManifest,
  SIGNATURE_ANNOTATION,
  type SignatureEntry,
  signatureEntry,
  type SignatureImage,
  signatureTag,
  SIMPLE_SIGNING_MEDIA_TYPE,
} from './sig-manifest.js'
export {signPayload, verifyPayload} from './signature.js'
