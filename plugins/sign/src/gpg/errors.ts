/** The codes of the GPG module's errors ({@link SigningError}). */

export {isSigningError, SigningError, type SigningErrorCode} from '../errors.js'

export type GpgErrorCode =
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
