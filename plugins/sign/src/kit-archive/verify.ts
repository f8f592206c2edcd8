/**
 * Verifying a kit archive: every RPM in it is checked with a signer's `verifyRpms` (the gpg signer's:
 * rpmkeys in the SDK) against the GPG public keys given or, when none is, against the archive's own
 * RPM-GPG-KEY. The RPMs are copied out into a private temporary directory, removed afterwards.
 */

import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {Signer} from '@twoliter/plugin-api'

import {isSigningError, SigningError} from '../errors.js'
import {extractedRpm, extractKitArchive, KIT_RPM_KEY_FILE} from './archive.js'

export interface ArchiveRpmResult {
  /** Its path in the image, e.g. `Packages/foo/foo-1.0-1.x86_64.rpm`. */
  rpm: string
  ok: boolean
  /** Why it does not verify: modified, unknown-key, unsigned, bad-signature, other. */
  problem?: string
  /** rpmkeys' words when it verifies; what is wrong, for people, when it does not. */
  reason?: string
}

export interface ArchiveVerifyResult {
  archive: string
  manifestDigest: string
  verified: boolean
  rpms: ArchiveRpmResult[]
  /** `given`: the --key GPG keys; `archive`: the archive's own RPM-GPG-KEY. */
  keySource: 'archive' | 'given'
  /** Set when `keySource` is `archive`: what such a verification does not prove. */
  warning?: string
}

export interface VerifyArchiveOptions {
  archive: string
  /** Armored GPG public keys; none means the archive's own RPM-GPG-KEY. */
  publicKeys: string[]
  signer: Pick<Signer, 'verifyRpms'>
  sdkImage: string
  signal?: AbortSignal
}

export const ARCHIVE_KEY_WARNING = `no --key was given, so the RPMs were checked against the archive's own ${KIT_RPM_KEY_FILE}: this only proves that they were not modified after they were signed, not who signed them. Give --key with the publisher's GPG public key to check that.`

/** Checks every RPM of the archive; resolves with each one's result (`verified` is false when any fails). */
export async function verifyKitArchive(options: VerifyArchiveOptions): Promise<ArchiveVerifyResult> {
  const archive = path.resolve(options.archive)
  if (options.signer.verifyRpms === undefined) throw new SigningError('The signer cannot check RPMs.', {code: 'sign.unsupported', hint: 'Use the gpg signer of @twoliter/sign.'})
  const dir = await mkdtemp(path.join(tmpdir(), 'twoliter-verify-kit-'))
  try {
    const extracted = await extractKitArchive(archive, dir)
    const keySource = options.publicKeys.length > 0 ? 'given' : 'archive'
    let publicKeys = options.publicKeys
    if (keySource === 'archive') {
      if (extracted.publicKey === undefined) {
        throw new SigningError(`The kit archive ${archive} is not signed: it carries no ${KIT_RPM_KEY_FILE}, and no GPG public key was given.`, {
          code: 'sign.archive-unsigned',
          hint: 'A kit whose RPMs are signed (Infra.toml [rpm-signing]) carries its public key; give --key with the armored GPG public key its RPMs should be signed with to check them anyway.',
        })
      }

      if (!extracted.publicKey.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----') || extracted.publicKey.includes('PRIVATE KEY')) {
        throw new SigningError(`The ${KIT_RPM_KEY_FILE} of the kit archive ${archive} is not an armored GPG public key.`, {
          code: 'sign.archive-invalid',
          hint: 'Give --key with the publisher\'s armored GPG public key, and build the kit again to replace its key.',
        })
      }

      publicKeys = [extracted.publicKey]
    }

    if (extracted.rpms.length === 0) {
      throw new SigningError(`The kit archive ${archive} holds no RPMs, so there is nothing to verify.`, {code: 'sign.archive-empty', hint: 'Check that this is the kit archive you meant, or build the kit again.'})
    }

    const files = extracted.rpms.map((rpm) => extractedRpm(dir, rpm))
    const {results} = await options.signer.verifyRpms({rpms: files, publicKeys, sdkImage: options.sdkImage, ...(options.signal ? {signal: options.signal} : {})}).catch((error: unknown) => {
      if (keySource === 'archive' && isSigningError(error) && error.code === 'gpg.public-key-invalid') {
        throw new SigningError(`The ${KIT_RPM_KEY_FILE} of the kit archive ${archive} is not a usable GPG public key: ${error.message}`, {code: 'sign.archive-invalid', hint: `${error.hint} Give --key with the publisher's armored GPG public key instead.`, cause: error})
      }

      throw error
    })
    const byFile = new Map(results.map((result) => [result.rpm, result]))
    const rpms = extracted.rpms.map((rpm, index): ArchiveRpmResult => {
      const result = byFile.get(files[index]!)
      if (result === undefined) return {rpm, ok: false, problem: 'other', reason: 'the signer did not check it'}
      return {rpm, ok: result.ok, ...(result.problem === undefined ? {} : {problem: result.problem}), ...(result.reason === undefined ? {} : {reason: result.reason})}
    })
    return {
      archive,
      manifestDigest: extracted.manifestDigest,
      verified: rpms.every((rpm) => rpm.ok),
      rpms,
      keySource,
      ...(keySource === 'archive' ? {warning: ARCHIVE_KEY_WARNING} : {}),
    }
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

/** The error for a result that did not verify: every RPM that failed, and why. */
export function archiveNotVerified(result: ArchiveVerifyResult): SigningError {
  const failed = result.rpms.filter((rpm) => !rpm.ok)
  const list = failed.map((rpm) => `${rpm.rpm} (${rpm.reason ?? rpm.problem})`).join('; ')
  const problems = new Set(failed.map((rpm) => rpm.problem))
  const against = result.keySource === 'archive' ? `its own ${KIT_RPM_KEY_FILE}` : 'the given GPG key(s)'
  const hint = problems.has('modified')
    ? 'An RPM changed after it was signed: do not use this kit; build it again from its sources, and find out what changed it.'
    : problems.has('unknown-key')
      ? 'Its RPMs are signed by another key: check that you have the publisher\'s public key, and that this is the kit you meant.'
      : 'Its RPMs must all be signed (Infra.toml [rpm-signing]): build the kit again.'
  return new SigningError(`The kit archive ${result.archive} does not verify against ${against}: ${failed.length} of ${result.rpms.length} RPMs fail: ${list}.`, {code: 'sign.archive-not-verified', hint})
}
