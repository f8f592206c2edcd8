import {expect} from 'chai'
import {generateKeyPairSync} from 'node:crypto'

import {isSigningError, SigningError, type SigningErrorCode} from '../../src/cosign/errors.js'
import {
  COSIGN_PRIVATE_KEY_LABEL,
  decryptPrivateKey,
  encodePem,
  encryptPrivateKey,
  generateKeyPair,
  keyId,
  publicKeyPem,
  readPublicKey,
  shortKeyId,
  SIGSTORE_PRIVATE_KEY_LABEL,
} from '../../src/cosign/keys.js'
import {COSIGN_KEYS_TEST, CONSTELLATION} from './golden.js'

async function expectSigningError(promise: Promise<unknown> | (() => unknown), code: SigningErrorCode): Promise<SigningError> {
  try {
    await (typeof promise === 'function' ? promise() : promise)
  } catch (error) {
    expect(isSigningError(error), String(error)).to.equal(true)
    const signingError = error as SigningError
    expect(signingError.code).to.equal(code)
    expect(signingError.message).to.be.a('string').and.not.match(/\n\s+at /)
    expect(signingError.hint).to.be.a('string').and.not.equal('')
    return signingError
  }

  throw new Error(`expected a SigningError ${code}`)
}

function envelopeOf(pem: string): Record<string, any> {
  const body = pem.split('\n').filter((line) => !line.startsWith('-----')).join('')
  return JSON.parse(Buffer.from(body, 'base64').toString('utf8'))
}

function withEnvelope(pem: string, change: (envelope: Record<string, any>) => void, label = SIGSTORE_PRIVATE_KEY_LABEL): string {
  const envelope = envelopeOf(pem)
  change(envelope)
  return encodePem(label, Buffer.from(JSON.stringify(envelope)))
}

describe('cosign keys', () => {
  describe('real cosign keys', () => {
    it('opens a key from `cosign generate-key-pair` and derives exactly its published public key', async () => {
      // edgelesssys/constellation cli/internal/cmd/configfetchmeasurements_test.go, empty password.
      const privateKey = await decryptPrivateKey(CONSTELLATION.privateKeyPem, CONSTELLATION.password)
      expect(privateKey.asymmetricKeyType).to.equal('ec')
      expect(publicKeyPem(privateKey)).to.equal(CONSTELLATION.publicKeyPem)
      expect(keyId(privateKey)).to.equal(keyId(CONSTELLATION.publicKeyPem))
    })

    it('opens cosign’s own test keys (both labels, scrypt N=32768 and N=65536) with their password', async () => {
      // sigstore/cosign pkg/cosign/keys_test.go, password "hello".
      const current = await decryptPrivateKey(COSIGN_KEYS_TEST.sigstoreLabel, COSIGN_KEYS_TEST.password)
      expect(current.asymmetricKeyType).to.equal('ec')
      expect(current.asymmetricKeyDetails?.namedCurve).to.equal('prime256v1')
      expect(envelopeOf(COSIGN_KEYS_TEST.cosignLabelSec1).kdf.params.N).to.equal(65536)
      const old = await decryptPrivateKey(COSIGN_KEYS_TEST.cosignLabelSec1, COSIGN_KEYS_TEST.password)
      expect(old.asymmetricKeyType).to.equal('ec')
    })

    it('refuses a real cosign key with the wrong password', async () => {
      await expectSigningError(decryptPrivateKey(COSIGN_KEYS_TEST.sigstoreLabel, 'wrong'), 'cosign.key-wrong-password')
      await expectSigningError(decryptPrivateKey(CONSTELLATION.privateKeyPem, 'not empty'), 'cosign.key-wrong-password')
    })
  })

  describe('generateKeyPair', () => {
    it('writes the key file as cosign does: label, scrypt N=32768 r=8 p=1, 32-byte salt, 24-byte nonce, 64-column PEM', async () => {
      const pair = await generateKeyPair('secret')
      const lines = pair.privateKeyPem.trimEnd().split('\n')
      expect(lines[0]).to.equal(`-----BEGIN ${SIGSTORE_PRIVATE_KEY_LABEL}-----`)
      expect(lines.at(-1)).to.equal(`-----END ${SIGSTORE_PRIVATE_KEY_LABEL}-----`)
      expect(lines.slice(1, -2).every((line) => line.length === 64)).to.equal(true)
      const envelope = envelopeOf(pair.privateKeyPem)
      // The key order is the one in real cosign files (see the base64 of golden.ts' keys: {"kdf":{"name":"scrypt","params":{"N":...).
      expect(Object.keys(envelope)).to.deep.equal(['kdf', 'cipher', 'ciphertext'])
      expect(envelope.kdf).to.deep.include({name: 'scrypt', params: {N: 32768, r: 8, p: 1}})
      expect(Buffer.from(envelope.kdf.salt, 'base64')).to.have.length(32)
      expect(envelope.cipher.name).to.equal('nacl/secretbox')
      expect(Buffer.from(envelope.cipher.nonce, 'base64')).to.have.length(24)
      expect(pair.privateKeyPem.slice(0, 100)).to.equal(
        // Real cosign files all start with the same bytes, since the JSON header is the same.
        `-----BEGIN ${SIGSTORE_PRIVATE_KEY_LABEL}-----\n${COSIGN_KEYS_TEST.sigstoreLabel.split('\n')[1]}`.slice(0, 100),
      )
      expect(pair.publicKeyPem).to.match(/^-----BEGIN PUBLIC KEY-----\n[\s\S]+\n-----END PUBLIC KEY-----\n$/)
    })

    it('round-trips: the decrypted key is the key whose public half was written', async () => {
      const pair = await generateKeyPair('correct horse')
      const privateKey = await decryptPrivateKey(pair.privateKeyPem, 'correct horse')
      expect(privateKey.asymmetricKeyDetails?.namedCurve).to.equal('prime256v1')
      expect(publicKeyPem(privateKey)).to.equal(pair.publicKeyPem)
      expect(keyId(privateKey)).to.equal(keyId(readPublicKey(pair.publicKeyPem)))
      expect(keyId(pair.publicKeyPem)).to.match(/^[0-9a-f]{64}$/)
      expect(shortKeyId(pair.publicKeyPem)).to.equal(keyId(pair.publicKeyPem).slice(0, 16))
    })

    it('accepts empty and non-ASCII passwords, and bytes', async () => {
      for (const password of ['', 'pässwörd ✓']) {
        const pair = await generateKeyPair(password, {scrypt: {N: 1024, r: 8, p: 1}})
        expect(publicKeyPem(await decryptPrivateKey(pair.privateKeyPem, password))).to.equal(pair.publicKeyPem)
        expect(publicKeyPem(await decryptPrivateKey(pair.privateKeyPem, Buffer.from(password, 'utf8')))).to.equal(pair.publicKeyPem)
      }
    })

    it('refuses the wrong password with a message and a hint, and no stack in them', async () => {
      const pair = await generateKeyPair('right', {scrypt: {N: 1024, r: 8, p: 1}})
      const error = await expectSigningError(decryptPrivateKey(pair.privateKeyPem, 'wrong'), 'cosign.key-wrong-password')
      expect(error.message).to.match(/password/)
      expect(error.hint).to.match(/COSIGN_PASSWORD/)
    })
  })

  describe('encryptPrivateKey', () => {
    it('seals other key kinds cosign signs with (P-384, RSA, Ed25519) so that they open again', async () => {
      const keys = [
        generateKeyPairSync('ec', {namedCurve: 'secp384r1'}).privateKey,
        generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey,
        generateKeyPairSync('ed25519').privateKey,
      ]
      for (const key of keys) {
        const pem = await encryptPrivateKey(key, 'pw', {scrypt: {N: 1024, r: 8, p: 1}})
        const opened = await decryptPrivateKey(pem, 'pw')
        expect(keyId(opened)).to.equal(keyId(key))
      }
    })

    it('refuses curves cosign does not allow', async () => {
      await expectSigningError(() => encryptPrivateKey(generateKeyPairSync('ec', {namedCurve: 'secp256k1'}).privateKey, 'pw'), 'cosign.key-unsupported')
    })
  })

  describe('decryptPrivateKey with damaged or foreign files', () => {
    let pem: string
    before(async () => {
      pem = (await generateKeyPair('pw', {scrypt: {N: 1024, r: 8, p: 1}})).privateKeyPem
    })

    it('reads the old ENCRYPTED COSIGN PRIVATE KEY label', async () => {
      const relabelled = pem.replaceAll(SIGSTORE_PRIVATE_KEY_LABEL, COSIGN_PRIVATE_KEY_LABEL)
      expect(keyId(await decryptPrivateKey(relabelled, 'pw'))).to.equal(keyId(await decryptPrivateKey(pem, 'pw')))
    })

    it('says what is wrong for text without a PEM block, the wrong block, or a broken body', async () => {
      await expectSigningError(decryptPrivateKey('hello', 'pw'), 'cosign.key-corrupt')
      await expectSigningError(decryptPrivateKey(CONSTELLATION.publicKeyPem, 'pw'), 'cosign.key-corrupt')
      await expectSigningError(decryptPrivateKey(pem.replace(/\n[A-Za-z0-9+/]{10}/, '\n!!!!!!!!!!'), 'pw'), 'cosign.key-corrupt')
      await expectSigningError(decryptPrivateKey(encodePem(SIGSTORE_PRIVATE_KEY_LABEL, Buffer.from('not json')), 'pw'), 'cosign.key-corrupt')
      const unencrypted = generateKeyPairSync('ec', {namedCurve: 'prime256v1'}).privateKey.export({format: 'pem', type: 'pkcs8'}).toString()
      const error = await expectSigningError(decryptPrivateKey(unencrypted, 'pw'), 'cosign.key-unsupported')
      expect(error.hint).to.match(/import-key-pair/)
    })

    it('refuses other key derivations and ciphers, and scrypt parameters that would exhaust memory', async () => {
      await expectSigningError(decryptPrivateKey(withEnvelope(pem, (e) => (e.kdf.name = 'argon2id')), 'pw'), 'cosign.key-unsupported')
      await expectSigningError(decryptPrivateKey(withEnvelope(pem, (e) => (e.cipher.name = 'aes-gcm')), 'pw'), 'cosign.key-unsupported')
      await expectSigningError(decryptPrivateKey(withEnvelope(pem, (e) => (e.kdf.params.N = 1 << 24)), 'pw'), 'cosign.key-unsupported')
      await expectSigningError(decryptPrivateKey(withEnvelope(pem, (e) => (e.kdf.params.N = 1000)), 'pw'), 'cosign.key-unsupported')
    })

    it('reports a cut ciphertext, a wrong nonce or a changed byte', async () => {
      await expectSigningError(decryptPrivateKey(withEnvelope(pem, (e) => (e.ciphertext = e.ciphertext.slice(0, 8))), 'pw'), 'cosign.key-corrupt')
      await expectSigningError(decryptPrivateKey(withEnvelope(pem, (e) => (e.cipher.nonce = Buffer.alloc(12).toString('base64'))), 'pw'), 'cosign.key-corrupt')
      const flipped = withEnvelope(pem, (e) => {
        const bytes = Buffer.from(e.ciphertext, 'base64')
        bytes[20] ^= 1
        e.ciphertext = bytes.toString('base64')
      })
      // secretbox cannot tell a changed byte from a wrong password.
      await expectSigningError(decryptPrivateKey(flipped, 'pw'), 'cosign.key-wrong-password')
    })
  })

  describe('readPublicKey', () => {
    it('reads cosign.pub and refuses other things', async () => {
      expect(readPublicKey(CONSTELLATION.publicKeyPem).asymmetricKeyType).to.equal('ec')
      await expectSigningError(() => readPublicKey(CONSTELLATION.privateKeyPem), 'cosign.key-corrupt')
      await expectSigningError(() => readPublicKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'), 'cosign.key-corrupt')
    })
  })
})
