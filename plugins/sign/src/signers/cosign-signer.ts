import {readFile} from 'node:fs/promises'
import {fileURLToPath} from 'node:url'

import type {Signer, TwoliterContext} from '@twoliter/plugin-api'

import {signImage, verifyImage} from '../cosign/attach.js'
import {SigningError} from '../errors.js'
import {decryptPrivateKey} from '../cosign/keys.js'
import {registrySignatureStore, splitDigestReference} from './registry-store.js'

const VERIFY_REASONS = {
  missing: 'no signature',
  'bad-signature': 'signed by another key, or the signature does not match',
  'digest-mismatch': 'the signature is for another image',
  'identity-mismatch': 'the signature names another repository',
  corrupt: 'the signature is damaged',
} as const

/** cosign-compatible key-pair signatures of images, stored in the image's repository under `sha256-<hex>.sig`. */
export function cosignSigner(context: TwoliterContext): Signer {
  const store = registrySignatureStore(context.registry)
  return {
    apiVersion: '1.0.0',
    id: 'cosign',
    describe: () => ({
      summary: 'cosign-compatible key-pair signatures of images (the .sig tag), made and checked natively',
      supports: {rpms: false, images: true},
      keyFormats: ['a cosign private key file (path or file:// URL), its password in the key passphrase or COSIGN_PASSWORD', 'a PEM public key, as text or a file path'],
    }),
    async signRpms() {
      throw new SigningError('The cosign signer signs images, not RPMs.', {code: 'sign.unsupported', hint: 'Sign RPMs with the gpg signer.'})
    },
    async signImage(request) {
      const {repository, digest} = splitDigestReference(request.reference)
      const pem = await readFile(keyPath(request.key.ref), 'utf8')
      const privateKey = await decryptPrivateKey(pem, request.key.passphrase ?? process.env.COSIGN_PASSWORD ?? '')
      const signed = await signImage({store, repository, dockerReference: repository, manifestDigest: digest, privateKey, annotations: request.annotations})
      context.logger.debug(`signed ${request.reference} with key ${signed.keyId.slice(0, 16)} (${signed.added ? 'new signature' : 'already signed'})`)
      return {signature: `${repository}:${signed.tag}`, format: 'cosign'}
    },
    async verifyImage(request) {
      const {repository, digest} = splitDigestReference(request.reference)
      const publicKey = request.publicKey.includes('-----BEGIN') ? request.publicKey : await readFile(keyPath(request.publicKey), 'utf8')
      const result = await verifyImage({store, repository, dockerReference: repository, manifestDigest: digest, publicKeys: publicKey})
      if (result.verified) return {verified: true, signatures: result.signatures}
      return {verified: false, signatures: result.signatures, reason: `${VERIFY_REASONS[result.reason]}: ${result.detail}`}
    },
  }
}

function keyPath(ref: string): string {
  return ref.startsWith('file://') ? fileURLToPath(ref) : ref
}
