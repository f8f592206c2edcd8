/** The codes of the cosign module's errors ({@link SigningError}). */

export {isSigningError, SigningError, type SigningErrorCode} from '../errors.js'

export type CosignErrorCode =
  /** The password does not open the private key (or the encrypted part of the file was damaged). */
  | 'cosign.key-wrong-password'
  /** The text is not a PEM block of the expected kind, or its content does not parse. */
  | 'cosign.key-corrupt'
  /** A well-formed key of a kind, or encrypted in a way, this module does not handle. */
  | 'cosign.key-unsupported'
  /** A simple-signing payload that is not JSON of the expected shape. */
  | 'cosign.payload-corrupt'
  /** A `.sig` manifest that is not an OCI image manifest of cosign's shape. */
  | 'cosign.signature-manifest-corrupt'
  /** A digest that is not `algorithm:hex`, or a store that answered with another digest than the bytes have. */
  | 'cosign.digest-invalid'
