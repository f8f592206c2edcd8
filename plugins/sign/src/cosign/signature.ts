/**
 * Signing and checking payload bytes as cosign does with a key pair: ECDSA with SHA-256 and an ASN.1
 * DER signature (also RSA PKCS#1 v1.5 with SHA-256, and Ed25519, which cosign accepts for imported
 * keys), carried as standard base64 in the signature layer's annotation.
 */

import {createPublicKey, type KeyObject, sign, verify} from 'node:crypto'

import {SigningError} from './errors.js'

/** The base64 signature of `payload` with a private key from {@link decryptPrivateKey}. */
export function signPayload(payload: Uint8Array, privateKey: KeyObject): string {
  if (privateKey.type !== 'private') throw new TypeError('signPayload needs a private key')
  return sign(digestFor(privateKey), payload, {key: privateKey, dsaEncoding: 'der'}).toString('base64')
}

/**
 * The first of `publicKeys` that made `signature` (base64) over `payload`, or undefined when none did
 * (including when the signature is not base64 or not a well-formed signature at all).
 */
export function verifyPayload(payload: Uint8Array, signature: string, publicKeys: KeyObject | readonly KeyObject[]): KeyObject | undefined {
  const signatureBytes = decodeBase64(signature)
  if (signatureBytes === undefined) return undefined
  for (const candidate of Array.isArray(publicKeys) ? publicKeys : [publicKeys as KeyObject]) {
    const key = candidate.type === 'private' ? createPublicKey(candidate) : candidate
    let valid = false
    try {
      valid = verify(digestFor(key), payload, {key, dsaEncoding: 'der'}, signatureBytes)
    } catch {
      // Malformed DER, or a key type the signature cannot be for: not this key.
    }

    if (valid) return candidate
  }

  return undefined
}

/** The hash node's sign/verify take for a key: SHA-256, except Ed25519, which hashes internally. */
function digestFor(key: KeyObject): string | null {
  switch (key.asymmetricKeyType) {
    case 'ec':
    case 'rsa': {
      return 'sha256'
    }

    case 'ed25519': {
      return null
    }

    default: {
      throw new SigningError(`A ${key.asymmetricKeyType ?? 'unknown'} key cannot make or check cosign signatures.`, {
        code: 'cosign.key-unsupported',
        hint: 'Use an ECDSA P-256 key pair, as `cosign generate-key-pair` makes.',
      })
    }
  }
}

function decodeBase64(text: string): Buffer | undefined {
  const compact = text.trim()
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined
  return Buffer.from(compact, 'base64')
}
