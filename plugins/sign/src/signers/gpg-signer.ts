import path from 'node:path'
import {fileURLToPath} from 'node:url'

import type {Signer, SigningKey, TwoliterContext} from '@twoliter/plugin-api'

import {SigningError} from '../errors.js'
import {describeProblem, type GpgSigningKey, signRpms, verifyRpms} from '../gpg/rpm-signing.js'
import {withScratchDirectory} from '../scratch.js'
import {stageRpms} from './rpm-staging.js'

const SCRATCH_PREFIX = 'twoliter-gpg-signer-'

/**
 * GPG signatures of RPMs, made with rpmsign and checked with rpmkeys in the SDK, through twoliter's engine
 * (its `run` has the shape of the GPG module's ContainerRunner). It signs and checks exactly the RPMs it is
 * given, wherever they are and whatever else is beside them (see ./rpm-staging.ts).
 */
export function gpgSigner(context: TwoliterContext): Signer {
  const runner = context.engine
  const onLine = (line: string) => context.logger.debug(line)
  return {
    apiVersion: '1.0.0',
    id: 'gpg',
    describe: () => ({
      summary: 'GPG signatures of RPMs, made with rpmsign and checked with rpmkeys in the SDK',
      supports: {rpms: true, images: false},
      keyFormats: [
        'an armored OpenPGP secret key file, as a path or file:// URL; its passphrase in the key passphrase or passphrase file',
        'file:///path/key.asc#<fingerprint, key id or user id>: the key to sign with, when the file holds several',
        'a GnuPG home directory (a keyring such as ~/.gnupg: pubring.kbx or pubring.gpg, and private-keys-v1.d), as a path or file:///path/gnupg-home#<fingerprint, key id or user id>; only what gpg needs of it is copied for the run, and it is never written',
        'armored OpenPGP public keys (texts) to verify RPMs with',
      ],
    }),
    async signRpms(request) {
      const key = gpgKey(request.key)
      return withScratchDirectory(SCRATCH_PREFIX, async (scratch) => {
        const staged = await stageRpms(request.rpms, path.join(scratch, 'rpms'))
        const result = await signRpms({runner, sdkImage: request.sdkImage, rpmsDir: staged.dir, key, workDir: path.join(scratch, 'work'), onLine, signal: request.signal})
        const signed = new Set(result.signed)
        const missed = staged.rpms.filter((rpm) => !signed.has(rpm.relative))
        if (missed.length > 0) throw scriptMissed(missed.map((rpm) => rpm.given), 'rpmsign did not sign')
        await staged.putBack()
        context.logger.debug(`signed ${request.rpms.length} RPMs with GPG key ${result.fingerprint}`)
        return {signed: request.rpms, keyId: result.fingerprint, publicKey: result.publicKey}
      })
    },
    async verifyRpms(request) {
      return withScratchDirectory(SCRATCH_PREFIX, async (scratch) => {
        const staged = await stageRpms(request.rpms, path.join(scratch, 'rpms'))
        const checks = await verifyRpms({runner, sdkImage: request.sdkImage, rpmsDir: staged.dir, publicKeys: request.publicKeys, workDir: scratch, onLine, signal: request.signal})
        const byRelative = new Map(checks.map((check) => [check.rpm, check]))
        const missed = staged.rpms.filter((rpm) => !byRelative.has(rpm.relative))
        if (missed.length > 0) throw scriptMissed(missed.map((rpm) => rpm.given), 'rpmkeys did not check')
        const results = staged.rpms.map(({given, relative}) => {
          const check = byRelative.get(relative)!
          return check.ok ? {rpm: given, ok: true, reason: check.reason} : {rpm: given, ok: false, problem: check.problem, reason: describeProblem(check)}
        })
        return {results}
      })
    },
    async signImage() {
      throw new SigningError('The gpg signer signs RPMs, not images.', {code: 'sign.unsupported', hint: 'Sign images with the cosign signer.'})
    },
    async verifyImage() {
      throw new SigningError('The gpg signer checks RPMs, not images.', {code: 'sign.unsupported', hint: 'Verify images with the cosign signer.'})
    },
  }
}

/**
 * The key file and the key in it from `ref`: a path, or a file:// URL whose fragment, when there is one,
 * names the key to sign with (`file:///keys/kits.asc#<fingerprint>`). Plain paths are taken whole, since
 * `#` may be part of a file name. A path that names a directory is a GnuPG home (signRpms tells them apart).
 */
function gpgKey(key: SigningKey): GpgSigningKey {
  const passphrases = {passphrase: key.passphrase, passphraseFile: key.passphraseFile}
  if (!key.ref.startsWith('file://')) return {file: key.ref, ...passphrases}
  const refused = (why: string, cause?: unknown) =>
    new SigningError(`The GPG key reference ${key.ref} is not a usable file URL: ${why}.`, {
      code: 'sign.key-ref',
      hint: 'Give a path, or a URL like file:///keys/kits.asc, with #<fingerprint> to choose one of several keys in the file.',
      cause,
    })
  let url: URL
  let file: string
  let keyId: string
  try {
    url = new URL(key.ref)
    file = fileURLToPath(url)
    keyId = decodeURIComponent(url.hash.slice(1))
  } catch (error) {
    throw refused((error as Error).message, error)
  }

  if (url.search !== '') throw refused('it has a query, which names nothing here')
  return {file, keyId: keyId === '' ? undefined : keyId, ...passphrases}
}

/**
 * Runs `work` with a fresh private directory under the OS's temporary directory, removed afterwards. It
 * holds the staged RPMs and, for the signing run, the key and passphrase, so it must never be inside an RPM
 * directory: a directory of its own is certainly outside them, is writable where the RPMs' parent may not
 * be, and is often a tmpfs, so the key need not touch a disk. The engine runs on this host (the RPMs are
 * mounted from it too), so paths here are mountable.
 */
function scriptMissed(rpms: string[], what: string): SigningError {
  return new SigningError(`${what} ${rpms.join(', ')}, and reported no error.`, {
    code: 'gpg.container-failed',
    hint: 'This is unexpected: run again with --log-level debug to see the SDK container\'s output, and check its rpm and gpg.',
  })
}
