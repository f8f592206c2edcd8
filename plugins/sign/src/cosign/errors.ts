/**
 * The one error type of the cosign module. The plugin is installed apart from twoliter's core, so it
 * cannot throw the core's error class; callers recognise this one by `name`/`code` and show `message`
 * and `hint` to the user as they are (both are written for people, not for logs).
 */

export type SigningErrorCode =
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

export class SigningError extends Error {
  /** Stable, for programs and tests: one of {@link SigningErrorCode}. */
  readonly code: SigningErrorCode
  /** What the user can do about it; one or two sentences. */
  readonly hint: string

  constructor(message: string, options: {code: SigningErrorCode; hint: string; cause?: unknown}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'SigningError'
    this.code = options.code
    this.hint = options.hint
  }
}

/** True for a {@link SigningError}, also one thrown by another copy of this module (a second install of the plugin). */
export function isSigningError(error: unknown): error is SigningError {
  return error instanceof SigningError || (error instanceof Error && error.name === 'SigningError' && typeof (error as {code?: unknown}).code === 'string')
}
