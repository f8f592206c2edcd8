import {expect} from 'chai'
import {createPublicKey, generateKeyPairSync} from 'node:crypto'

import {decryptPrivateKey, readPublicKey} from '../../src/cosign/keys.js'
import {simpleSigningPayload} from '../../src/cosign/payload.js'
import {signPayload, verifyPayload} from '../../src/cosign/signature.js'
import {CONSTELLATION, SIGSTORE_RS} from './golden.js'

describe('cosign signatures', () => {
  describe('real cosign signatures', () => {
    it('verifies a cosign image signature over its payload with the signer’s key, and not with another', () => {
      // sigstore/sigstore-rs src/cosign/signature_layers.rs
      const {busybox} = SIGSTORE_RS
      const signer = readPublicKey(SIGSTORE_RS.publicKeyPem)
      const other = readPublicKey(SIGSTORE_RS.otherPublicKeyPem)
      const payload = simpleSigningPayload({dockerReference: busybox.dockerReference, manifestDigest: busybox.manifestDigest})
      expect(verifyPayload(payload, busybox.signature, signer)).to.equal(signer)
      expect(verifyPayload(payload, busybox.signature, other)).to.equal(undefined)
      expect(verifyPayload(payload, busybox.signature, [other, signer])).to.equal(signer)
    })

    it('verifies the second signer of a two-signature manifest, and not the first (another key)', () => {
      const {alpine} = SIGSTORE_RS
      const signer = readPublicKey(SIGSTORE_RS.publicKeyPem)
      const payload = Buffer.from(alpine.payload)
      expect(verifyPayload(payload, alpine.signatures[1], signer)).to.equal(signer)
      expect(verifyPayload(payload, alpine.signatures[0], signer)).to.equal(undefined)
    })

    it('verifies a `cosign sign-blob` signature with the key from `cosign generate-key-pair`, and signs so that it verifies', async () => {
      // edgelesssys/constellation: the measurements file and its .sig.
      const publicKey = readPublicKey(CONSTELLATION.publicKeyPem)
      const blob = Buffer.from(CONSTELLATION.blob)
      expect(verifyPayload(blob, CONSTELLATION.blobSignature, publicKey)).to.equal(publicKey)
      expect(verifyPayload(Buffer.concat([blob, Buffer.from(' ')]), CONSTELLATION.blobSignature, publicKey)).to.equal(undefined)
      const privateKey = await decryptPrivateKey(CONSTELLATION.privateKeyPem, CONSTELLATION.password)
      const ours = signPayload(blob, privateKey)
      expect(verifyPayload(blob, ours, publicKey)).to.equal(publicKey)
    })
  })

  describe('signPayload and verifyPayload', () => {
    const {privateKey, publicKey} = generateKeyPairSync('ec', {namedCurve: 'prime256v1'})
    const payload = simpleSigningPayload({dockerReference: '127.0.0.1:5000/kits/core', manifestDigest: `sha256:${'ab'.repeat(32)}`})

    it('makes base64 DER ECDSA signatures that verify with the public key', () => {
      const signature = signPayload(payload, privateKey)
      const der = Buffer.from(signature, 'base64')
      expect(der.toString('base64')).to.equal(signature)
      expect(der[0]).to.equal(0x30) // an ASN.1 SEQUENCE of r and s, as cosign writes them
      expect(der.length).to.be.within(8, 72)
      expect(verifyPayload(payload, signature, publicKey)).to.equal(publicKey)
      expect(verifyPayload(payload, signature, privateKey)).to.equal(privateKey)
    })

    it('rejects a tampered payload, another key, and things that are not signatures', () => {
      const signature = signPayload(payload, privateKey)
      const tampered = Buffer.from(payload.toString().replace('kits/core', 'kits/evil'))
      expect(verifyPayload(tampered, signature, publicKey)).to.equal(undefined)
      expect(verifyPayload(payload, signature, generateKeyPairSync('ec', {namedCurve: 'prime256v1'}).publicKey)).to.equal(undefined)
      for (const garbage of ['', 'not base64!', Buffer.from('hello').toString('base64'), 'MEUCIQ==']) {
        expect(verifyPayload(payload, garbage, publicKey)).to.equal(undefined)
      }
    })

    it('signs and verifies with RSA and Ed25519 keys too, and never matches across kinds', () => {
      const rsa = generateKeyPairSync('rsa', {modulusLength: 2048})
      const ed = generateKeyPairSync('ed25519')
      for (const pair of [rsa, ed]) {
        const signature = signPayload(payload, pair.privateKey)
        expect(verifyPayload(payload, signature, [publicKey, createPublicKey(pair.privateKey)])?.asymmetricKeyType).to.equal(pair.publicKey.asymmetricKeyType)
        expect(verifyPayload(payload, signature, publicKey)).to.equal(undefined)
      }
    })
  })
})
