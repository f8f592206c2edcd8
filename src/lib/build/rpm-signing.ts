/**
 * Signing the RPMs of package builds with the GPG key of Infra.toml's [rpm-signing], through the `gpg`
 * signer of a plugin (the bundled @twoliter/sign), and checking a kit's RPMs against the key before the
 * kit is assembled.
 */

import path from 'node:path'

import type {RpmVerification, Signer} from '@twoliter/plugin-api'

import {TwoliterError} from '../errors.js'
import type {RpmSigningConfig} from '../project/infra-toml.js'
import {signingFailure} from '../signing/signers.js'

/** What a package build records of the signature of its RPMs (in its build record): public data only. */
export interface RpmSignature {
  /** The signing key's fingerprint. */
  keyId: string
  /** The signing key's armored public key: what the kit carries as RPM-GPG-KEY. */
  publicKey: string
}

export interface RpmSigning {
  config: RpmSigningConfig
  /** Among each package node's inputs: a key change rebuilds (and re-signs) every package. */
  fingerprint: string
  /** Signs the RPMs (absolute paths) in place. */
  sign(rpms: string[], options: {what: string; signal?: AbortSignal}): Promise<RpmSignature>
  /** Checks the RPMs (absolute paths) against the public key; one entry each. */
  verify(rpms: string[], publicKey: string, signal?: AbortSignal): Promise<RpmVerification[]>
}

/**
 * The build's RPM signing: the signer is looked up once, when a package is first signed or a kit first
 * checked, so that builds with nothing to build never load it.
 */
export function rpmSigning(config: RpmSigningConfig, options: {findSigner: () => Promise<Signer>; sdkImage: string}): RpmSigning {
  let signer: Promise<Signer> | undefined
  const gpg = () => (signer ??= options.findSigner())
  const passphrase = () => {
    const value = config.passphraseEnv === undefined ? undefined : process.env[config.passphraseEnv]
    return value === undefined || value === '' ? undefined : value
  }

  return {
    config,
    fingerprint: config.fingerprint,
    async sign(rpms, {what, signal}) {
      const secret = passphrase()
      let result
      try {
        result = await (await gpg()).signRpms({
          rpms,
          key: {ref: config.keyRef, passphrase: secret, passphraseFile: config.passphraseFile},
          sdkImage: options.sdkImage,
          signal,
        })
      } catch (error) {
        if (signal?.aborted) throw error
        throw redacted(signingFailure(error, `${what}: signing its RPMs with the GPG key of ${path.basename(config.infraFile)} [rpm-signing] (${config.keyFile ?? `the keyring ${config.keyring}, key ${config.keyId}`}) failed`, 'build.rpm-signing-failed'), secret)
      }

      if (result.publicKey === undefined || result.publicKey.trim() === '') {
        throw new TwoliterError(`${what}: the gpg signer signed its RPMs with the key ${result.keyId} but gave no public key, which the kit must carry.`, {
          hint: 'Use the bundled @twoliter/sign (`twoliter plugins uninstall @twoliter/sign` brings it back), whose gpg signer returns the public key.',
          code: 'build.rpm-signing-no-public-key',
        })
      }

      return {keyId: result.keyId, publicKey: result.publicKey}
    },
    async verify(rpms, publicKey, signal) {
      const signer = await gpg()
      if (signer.verifyRpms === undefined) {
        throw new TwoliterError('The gpg signer installed cannot check RPM signatures (it has no verifyRpms), so the signed RPMs of the kit cannot be checked.', {
          hint: 'Use the bundled @twoliter/sign (`twoliter plugins uninstall @twoliter/sign` brings it back).',
          code: 'build.rpm-verify-unsupported',
        })
      }

      try {
        return (await signer.verifyRpms({rpms, publicKeys: [publicKey], sdkImage: options.sdkImage, signal})).results
      } catch (error) {
        if (signal?.aborted) throw error
        throw signingFailure(error, 'checking the signatures of the kit\'s RPMs failed', 'build.rpm-verify-failed')
      }
    },
  }
}

/** The error without the passphrase, should a tool have echoed it. */
function redacted(error: TwoliterError, secret: string | undefined): TwoliterError {
  if (secret === undefined || (!error.message.includes(secret) && !(error.hint ?? '').includes(secret))) return error
  return new TwoliterError(error.message.split(secret).join('<passphrase>'), {hint: error.hint?.split(secret).join('<passphrase>'), code: error.code})
}
