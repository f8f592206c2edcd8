import {readFile} from 'node:fs/promises'
import {fileURLToPath} from 'node:url'

import type {Signer, SigningKey, TwoliterContext} from '@twoliter/plugin-api'
import type {KeyObject} from 'node:crypto'

import {signImage, verifyImage} from '../cosign/attach.js'
import {cliSignImage, cliVerifyImage} from '../cosign-cli/image.js'
import {chooseCosign} from '../cosign-cli/locate.js'
import {isSigningError, SigningError} from '../errors.js'
import {decryptPrivateKey, keyId} from '../cosign/keys.js'
import {registrySignatureStore, splitDigestReference} from './registry-store.js'

const VERIFY_REASONS = {
  missing: 'no signature',
  'bad-signature': 'signed by another key, or the signature does not match',
  'digest-mismatch': 'the signature is for another image',
  'identity-mismatch': 'the signature names another repository',
  corrupt: 'the signature is damaged',
} as const

export interface CosignSignerOptions {
  /** Where TWOLITER_COSIGN, PATH, COSIGN_PASSWORD and cosign's registry settings come from; process.env by default, read at each call. */
  env?: NodeJS.ProcessEnv
}

/**
 * cosign-compatible key-pair signatures of images, stored in the image's repository under `sha256-<hex>.sig`:
 * made and checked by the cosign CLI when one is on PATH (or TWOLITER_COSIGN names one), natively otherwise.
 */
export function cosignSigner(context: TwoliterContext, options: CosignSignerOptions = {}): Signer {
  const store = registrySignatureStore(context.registry)
  const env = () => options.env ?? process.env
  return {
    apiVersion: '1.0.0',
    id: 'cosign',
    describe: () => ({
      summary: 'cosign-compatible key-pair signatures of images (the .sig tag), made with the cosign CLI when it is on PATH, natively otherwise',
      supports: {rpms: false, images: true},
      keyFormats: ['a cosign private key file (path or file:// URL), its password in the key passphrase or COSIGN_PASSWORD', 'a PEM public key, as text or a file path'],
    }),
    async signRpms() {
      throw new SigningError('The cosign signer signs images, not RPMs.', {code: 'sign.unsupported', hint: 'Sign RPMs with the gpg signer.'})
    },
    async checkKey(key) {
      const opened = await openKey(key, env())
      return {keyId: keyId(opened)}
    },
    async signImage(request) {
      const {repository, digest} = splitDigestReference(request.reference)
      const choice = await chooseCosign(env())
      if (choice.kind === 'cli') {
        // Opened here too, so that a wrong password fails the same way whichever implementation signs.
        await openKey(request.key, env()).catch((error: unknown) => {
          if (!(isSigningError(error) && error.code === 'cosign.key-unsupported')) throw error
        })
        const signed = await cliSignImage({
          program: choice.program,
          env: env(),
          store,
          repository,
          digest,
          keyFile: keyPath(request.key.ref),
          password: await password(request.key, env()),
          annotations: request.annotations,
          signal: request.signal,
        })
        context.logger.debug(`signed ${request.reference} with the cosign CLI ${choice.program} (${signed.version.text}; ${choice.why})`)
        return {signature: `${repository}:${signed.tag}`, format: 'cosign'}
      }

      const privateKey = await openKey(request.key, env())
      const signed = await signImage({store, repository, dockerReference: repository, manifestDigest: digest, privateKey, annotations: request.annotations})
      context.logger.debug(`signed ${request.reference} natively (${choice.why}) with key ${signed.keyId.slice(0, 16)} (${signed.added ? 'new signature' : 'already signed'})`)
      return {signature: `${repository}:${signed.tag}`, format: 'cosign'}
    },
    async verifyImage(request) {
      const {repository, digest} = splitDigestReference(request.reference)
      const publicKey = request.publicKey.includes('-----BEGIN') ? request.publicKey : await readKeyFile(keyPath(request.publicKey), 'public key')
      const choice = await chooseCosign(env())
      if (choice.kind === 'cli') {
        const result = await cliVerifyImage({program: choice.program, env: env(), store, repository, digest, publicKeyPem: publicKey, signal: request.signal})
        context.logger.debug(`checked ${request.reference} with the cosign CLI ${choice.program} (${result.version.text}; ${choice.why}): ${result.verified ? 'verified' : result.reason}`)
        return result.verified ? {verified: true, signatures: result.signatures} : {verified: false, signatures: result.signatures, reason: result.reason}
      }

      const result = await verifyImage({store, repository, dockerReference: repository, manifestDigest: digest, publicKeys: publicKey})
      context.logger.debug(`checked ${request.reference} natively (${choice.why}): ${result.verified ? 'verified' : result.reason}`)
      if (result.verified) return {verified: true, signatures: result.signatures}
      return {verified: false, signatures: result.signatures, reason: `${VERIFY_REASONS[result.reason]}: ${result.detail}`}
    },
  }
}

/** The private key, decrypted: proof that the file is there, is a cosign key, and that the password opens it. */
async function openKey(key: SigningKey, env: NodeJS.ProcessEnv): Promise<KeyObject> {
  const pem = await readKeyFile(keyPath(key.ref), 'private key')
  return decryptPrivateKey(pem, await password(key, env))
}

/** The key's passphrase, else the first line of its passphrase file, else COSIGN_PASSWORD, else empty. */
async function password(key: SigningKey, env: NodeJS.ProcessEnv): Promise<string> {
  if (key.passphrase !== undefined) return key.passphrase
  if (key.passphraseFile !== undefined) return (await readKeyFile(key.passphraseFile, 'passphrase file')).split(/\r?\n/, 1)[0]
  return env.COSIGN_PASSWORD ?? ''
}

async function readKeyFile(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new SigningError(`The cosign ${what} ${file} cannot be read (${code === 'ENOENT' ? 'there is no such file' : code === 'EACCES' ? 'permission denied' : (code ?? String(error))}).`, {
      code: 'sign.key-unreadable',
      hint: `Give the path of a readable cosign ${what}${what === 'private key' ? ' (`twoliter sign keygen --type cosign` makes a key pair)' : ''}.`,
      cause: error,
    })
  }
}

function keyPath(ref: string): string {
  return ref.startsWith('file://') ? fileURLToPath(ref) : ref
}
