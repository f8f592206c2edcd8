/**
 * The one error type of the GPG module. The plugin is installed apart from twoliter's core, so it cannot
 * throw the core's error class; callers recognise this one by `name`/`code` and show `message` and `hint`
 * to the user as they are. No message or hint ever holds a passphrase or key material.
 */

export type GpgSigningErrorCode =
  /** The key file does not exist or cannot be read. */
  | 'gpg.key-missing'
  /** The key file holds no OpenPGP key. */
  | 'gpg.key-invalid'
  /** The key file holds public keys only, or no secret key that can sign. */
  | 'gpg.key-no-secret'
  /** The key id asked for matches no secret key in the file. */
  | 'gpg.key-unknown'
  /** The file holds several secret keys that can sign and no key id says which. */
  | 'gpg.key-ambiguous'
  /** The passphrase does not unlock the key. */
  | 'gpg.wrong-passphrase'
  /** The key is protected and no passphrase was given. */
  | 'gpg.passphrase-required'
  /** The passphrase's environment variable is unset, or its file cannot be read. */
  | 'gpg.passphrase-missing'
  /** gpg refused to sign with the key for another reason (expired, revoked). */
  | 'gpg.key-unusable'
  /** rpmsign failed for an RPM. */
  | 'gpg.rpmsign-failed'
  /** An RPM does not verify: changed after signing, signed by a key not given, unsigned or a bad signature. */
  | 'gpg.rpm-not-verified'
  /** None of the public keys given to verify with could be read. */
  | 'gpg.public-key-invalid'
  /** Key generation failed, or its name or email cannot make a user id. */
  | 'gpg.keygen-failed'
  | 'gpg.keygen-invalid-user-id'
  /** A key file that generation would write exists already. */
  | 'gpg.key-exists'
  /** The SDK image lacks a tool the scripts need (gpg, gpg-agent, rpmsign, rpmkeys). */
  | 'gpg.sdk-missing-tool'
  /** A directory argument is unusable (missing, or the work directory inside the RPM directory). */
  | 'gpg.bad-directory'
  /** The container failed in a way the script did not explain. */
  | 'gpg.container-failed'

export class SigningError extends Error {
  /** Stable, for programs and tests: one of {@link GpgSigningErrorCode}. */
  readonly code: GpgSigningErrorCode
  /** What the user can do about it; one or two sentences. */
  readonly hint: string

  constructor(message: string, options: {code: GpgSigningErrorCode; hint: string; cause?: unknown}) {
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
