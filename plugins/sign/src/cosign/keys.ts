/**
 * cosign's key files. The private key is PKCS#8 DER sealed with NaCl secretbox (XSalsa20-Poly1305)
 * under a key derived from the password with scrypt, wrapped as JSON in a PEM block labelled
 * `ENCRYPTED SIGSTORE PRIVATE KEY` (`ENCRYPTED COSIGN PRIVATE KEY` before cosign 2). The public key is
 * a plain SPKI `PUBLIC KEY` PEM. Keys made here open with `cosign sign --key`, and cosign's keys open here.
 */

import {createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject, randomBytes, scrypt} from 'node:crypto'

import {xsalsa20poly1305} from '@noble/ciphers/salsa.js'

import {SigningError} from './errors.js'

/** The label cosign 2 and later write. */
export const SIGSTORE_PRIVATE_KEY_LABEL = 'ENCRYPTED SIGSTORE PRIVATE KEY'
/** The label cosign 1 wrote; still read by cosign, so read here too. */
export const COSIGN_PRIVATE_KEY_LABEL = 'ENCRYPTED COSIGN PRIVATE KEY'
export const PUBLIC_KEY_LABEL = 'PUBLIC KEY'

export interface ScryptParams {
  N: number
  r: number
  p: number
}

/** What cosign's generate-key-pair uses (go-securesystemslib's defaults); later cosigns also write N = 65536. */
export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({N: 32768, r: 8, p: 1})

/** scrypt needs 128·N·r bytes; a key file asking for more than this is refused rather than allowed to exhaust memory. */
const MAX_SCRYPT_MEMORY = 256 * 1024 * 1024
const SALT_BYTES = 32
const NONCE_BYTES = 24
const TAG_BYTES = 16
const KEY_BYTES = 32

export interface CosignKeyPair {
  /** `ENCRYPTED SIGSTORE PRIVATE KEY` PEM, as cosign writes `cosign.key`. */
  privateKeyPem: string
  /** SPKI `PUBLIC KEY` PEM, as cosign writes `cosign.pub`. */
  publicKeyPem: string
}

export type Password = string | Uint8Array

/** A new ECDSA P-256 key pair (what `cosign generate-key-pair` makes), the private key encrypted with `password`. */
export async function generateKeyPair(password: Password, options: {scrypt?: ScryptParams} = {}): Promise<CosignKeyPair> {
  const {privateKey} = generateKeyPairSync('ec', {namedCurve: 'prime256v1'})
  return {privateKeyPem: await encryptPrivateKey(privateKey, password, options), publicKeyPem: publicKeyPem(privateKey)}
}

/** Seals a private key in cosign's format, e.g. to import a PKCS#8 key made elsewhere (`cosign import-key-pair`). */
export async function encryptPrivateKey(privateKey: KeyObject, password: Password, options: {scrypt?: ScryptParams} = {}): Promise<string> {
  if (privateKey.type !== 'private') throw new TypeError('encryptPrivateKey needs a private key')
  supportedKeyType(privateKey, 'the private key')
  const params = options.scrypt ?? DEFAULT_SCRYPT_PARAMS
  checkScryptParams(params)
  const salt = randomBytes(SALT_BYTES)
  const nonce = randomBytes(NONCE_BYTES)
  const key = await deriveKey(password, salt, params)
  const plaintext = privateKey.export({format: 'der', type: 'pkcs8'})
  const ciphertext = xsalsa20poly1305(key, nonce).encrypt(plaintext)
  plaintext.fill(0)
  key.fill(0)
  // Field order as go-securesystemslib's structs marshal them.
  const envelope = {
    kdf: {name: 'scrypt', params: {N: params.N, r: params.r, p: params.p}, salt: salt.toString('base64')},
    cipher: {name: 'nacl/secretbox', nonce: nonce.toString('base64')},
    ciphertext: Buffer.from(ciphertext).toString('base64'),
  }
  return encodePem(SIGSTORE_PRIVATE_KEY_LABEL, Buffer.from(JSON.stringify(envelope), 'utf8'))
}

/** Opens a cosign private key file (either label) with its password. */
export async function decryptPrivateKey(pem: string, password: Password): Promise<KeyObject> {
  const {der} = decodePem(pem, [SIGSTORE_PRIVATE_KEY_LABEL, COSIGN_PRIVATE_KEY_LABEL], 'a cosign private key')
  const envelope = parseEnvelope(der)
  const key = await deriveKey(password, envelope.salt, envelope.params)
  let plaintext: Uint8Array
  try {
    plaintext = xsalsa20poly1305(key, envelope.nonce).decrypt(envelope.ciphertext)
  } catch (error) {
    throw new SigningError('The password does not open this cosign private key (or the key file is damaged).', {
      code: 'cosign.key-wrong-password',
      hint: 'Give the password the key was made with; cosign reads it from COSIGN_PASSWORD. An empty password is a password too.',
      cause: error,
    })
  } finally {
    key.fill(0)
  }

  const privateKey = parsePrivateKeyDer(Buffer.from(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength))
  plaintext.fill(0)
  supportedKeyType(privateKey, 'the private key')
  return privateKey
}

/** A `PUBLIC KEY` PEM (cosign.pub) as a key object. */
export function readPublicKey(pem: string): KeyObject {
  const {der} = decodePem(pem, [PUBLIC_KEY_LABEL], 'a public key')
  let key: KeyObject
  try {
    key = createPublicKey({key: der, format: 'der', type: 'spki'})
  } catch (error) {
    throw new SigningError('The public key PEM does not hold a public key that can be read.', {
      code: 'cosign.key-corrupt',
      hint: 'Use the cosign.pub file as cosign wrote it (a "-----BEGIN PUBLIC KEY-----" block).',
      cause: error,
    })
  }

  supportedKeyType(key, 'the public key')
  return key
}

/** The SPKI PEM of a key's public half. */
export function publicKeyPem(key: KeyObject): string {
  return (key.type === 'private' ? createPublicKey(key) : key).export({format: 'pem', type: 'spki'}).toString()
}

/**
 * A stable name for a key pair, for messages and for telling signers apart: the SHA-256 of the public
 * key's SPKI DER, in hex. The same for the private and the public half, and for any PEM spelling.
 */
export function keyId(key: KeyObject | string): string {
  const object = typeof key === 'string' ? readPublicKey(key) : key
  const publicKey = object.type === 'private' ? createPublicKey(object) : object
  return createHash('sha256').update(publicKey.export({format: 'der', type: 'spki'})).digest('hex')
}

/** The first 16 hex digits of {@link keyId}: enough to tell keys apart in a message. */
export function shortKeyId(key: KeyObject | string): string {
  return keyId(key).slice(0, 16)
}

interface Envelope {
  params: ScryptParams
  salt: Buffer
  nonce: Buffer
  ciphertext: Buffer
}

function parseEnvelope(der: Buffer): Envelope {
  const corrupt = (what: string): SigningError =>
    new SigningError(`The cosign private key is damaged: ${what}.`, {code: 'cosign.key-corrupt', hint: 'Use the key file exactly as cosign wrote it, or make a new key pair.'})
  let json: unknown
  try {
    json = JSON.parse(der.toString('utf8'))
  } catch {
    throw corrupt('its content is not the JSON cosign writes')
  }

  if (!isObject(json) || !isObject(json.kdf) || !isObject(json.cipher)) throw corrupt('it has no "kdf" and "cipher" sections')
  if (json.kdf.name !== 'scrypt') throw unsupported(`it is encrypted with the key derivation "${String(json.kdf.name)}"`)
  if (json.cipher.name !== 'nacl/secretbox') throw unsupported(`it is encrypted with the cipher "${String(json.cipher.name)}"`)
  const params = json.kdf.params
  if (!isObject(params) || ![params.N, params.r, params.p].every((value) => Number.isSafeInteger(value))) throw corrupt('its scrypt parameters are not numbers')
  const scryptParams = {N: params.N as number, r: params.r as number, p: params.p as number}
  checkScryptParams(scryptParams)
  const salt = base64Field(json.kdf.salt)
  const nonce = base64Field(json.cipher.nonce)
  const ciphertext = base64Field(json.ciphertext)
  if (salt === undefined || salt.length === 0) throw corrupt('its salt is missing')
  if (nonce === undefined || nonce.length !== NONCE_BYTES) throw corrupt(`its nonce is not ${NONCE_BYTES} bytes`)
  if (ciphertext === undefined || ciphertext.length <= TAG_BYTES) throw corrupt('its ciphertext is missing or too short')
  return {params: scryptParams, salt, nonce, ciphertext}
}

function checkScryptParams({N, r, p}: ScryptParams): void {
  const powerOfTwo = Number.isSafeInteger(N) && N > 1 && (N & (N - 1)) === 0
  if (!powerOfTwo || !Number.isSafeInteger(r) || r < 1 || !Number.isSafeInteger(p) || p < 1 || p > 16) {
    throw unsupported(`its scrypt parameters N=${N}, r=${r}, p=${p} are not valid`)
  }

  if (128 * N * r > MAX_SCRYPT_MEMORY) throw unsupported(`its scrypt parameters N=${N}, r=${r} would need more than ${MAX_SCRYPT_MEMORY / 1024 / 1024} MiB`)
}

function unsupported(what: string): SigningError {
  return new SigningError(`This cosign private key cannot be read here: ${what}.`, {
    code: 'cosign.key-unsupported',
    hint: 'Keys from `cosign generate-key-pair` (scrypt and nacl/secretbox) are supported; make a new key pair with it or with twoliter.',
  })
}

function deriveKey(password: Password, salt: Buffer, {N, r, p}: ScryptParams): Promise<Buffer> {
  const secret = typeof password === 'string' ? Buffer.from(password, 'utf8') : Buffer.from(password)
  // Node refuses scrypt above 32 MiB unless told; cosign's N=32768, r=8 needs exactly that, N=65536 twice it.
  const maxmem = 2 * 128 * N * r + 128 * r * p + 1024 * 1024
  return new Promise((resolve, reject) => {
    scrypt(secret, salt, KEY_BYTES, {N, r, p, maxmem}, (error, key) => {
      secret.fill(0)
      if (error) reject(error)
      else resolve(key)
    })
  })
}

function parsePrivateKeyDer(der: Buffer): KeyObject {
  try {
    return createPrivateKey({key: der, format: 'der', type: 'pkcs8'})
  } catch (pkcs8Error) {
    try {
      // Some early cosign-format keys held SEC 1 "EC PRIVATE KEY" DER instead of PKCS#8.
      return createPrivateKey({key: der, format: 'der', type: 'sec1'})
    } catch {
      throw new SigningError('The cosign private key opened, but what it holds is not a private key.', {
        code: 'cosign.key-corrupt',
        hint: 'Make a new key pair; this file cannot be used for signing.',
        cause: pkcs8Error,
      })
    }
  }
}

/** ECDSA (NIST curves), RSA and Ed25519: the kinds cosign signs with. */
function supportedKeyType(key: KeyObject, what: string): void {
  const type = key.asymmetricKeyType
  const curve = key.asymmetricKeyDetails?.namedCurve
  const ok = type === 'rsa' || type === 'ed25519' || (type === 'ec' && (curve === 'prime256v1' || curve === 'secp384r1' || curve === 'secp521r1'))
  if (!ok) {
    throw new SigningError(`${capitalize(what)} is a ${type ?? 'unknown'}${curve ? ` (${curve})` : ''} key, which cosign signatures do not use.`, {
      code: 'cosign.key-unsupported',
      hint: 'Use an ECDSA P-256 key pair, as `cosign generate-key-pair` makes.',
    })
  }
}

/** The DER inside the first PEM block of `text`, which must carry one of `labels` (as Go's pem.Decode reads: later blocks are ignored). */
export function decodePem(text: string, labels: readonly string[], what: string): {label: string; der: Buffer} {
  const match = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text)
  const expected = labels.map((label) => `"${label}"`).join(' or ')
  if (match === null) {
    throw new SigningError(`This is not ${what}: there is no PEM block in it.`, {
      code: 'cosign.key-corrupt',
      hint: `Give the file's content as written, with its -----BEGIN ${labels[0]}----- and -----END ${labels[0]}----- lines.`,
    })
  }

  const [, label, body] = match
  if (!labels.includes(label)) {
    const unencryptedPrivateKey = label.endsWith('PRIVATE KEY') && !label.startsWith('ENCRYPTED') && !labels.includes(PUBLIC_KEY_LABEL)
    throw new SigningError(`This is not ${what}: its PEM block is a "${label}", not a ${expected}.`, {
      code: unencryptedPrivateKey ? 'cosign.key-unsupported' : 'cosign.key-corrupt',
      hint: unencryptedPrivateKey
        ? 'Unencrypted private keys are not read: encrypt it first (`cosign import-key-pair` does).'
        : `Give ${what} (${expected}).`,
    })
  }

  const base64 = body.replaceAll(/\s+/g, '')
  if (base64.length === 0 || base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) {
    throw new SigningError(`This is not ${what}: the text of its PEM block is not base64.`, {
      code: 'cosign.key-corrupt',
      hint: 'The file was changed or cut; use it exactly as written.',
    })
  }

  return {label, der: Buffer.from(base64, 'base64')}
}

/** A PEM block with 64-character lines, as Go's pem.Encode writes it. */
export function encodePem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

function base64Field(value: unknown): Buffer | undefined {
  if (typeof value !== 'string' || value.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return undefined
  return Buffer.from(value, 'base64')
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1)
}
