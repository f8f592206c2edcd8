/**
 * The plugin's one error type. The plugin is installed apart from twoliter's core, so it cannot throw the
 * core's error class; callers (the plugin's commands, twoliter's core) recognise this one by `name` and
 * `code` and show `message` and `hint` to the user as they are. No message or hint ever holds a password,
 * passphrase or key material.
 */

import type {CosignErrorCode} from './cosign/errors.js'
import type {GpgErrorCode} from './gpg/errors.js'

/** A cosign or gpg module's code, or `sign.*` for the commands' own checks. */
export type SigningErrorCode = CosignErrorCode | GpgErrorCode | `sign.${string}`

export class SigningError extends Error {
  /** Stable, for programs and tests. */
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
