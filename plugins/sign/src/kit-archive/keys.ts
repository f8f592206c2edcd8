/**
 * The public keys `twoliter verify` is given: cosign public keys (PEM) check an image's signature in a
 * registry, armored GPG public keys check the RPMs of a kit archive. A key file is one or the other, told
 * apart by its armor; a private key is refused, and nothing of a key's content is ever put in a message.
 */

import type {KeyObject} from 'node:crypto'
import {readFile} from 'node:fs/promises'

import {readPublicKey} from '../cosign/keys.js'
import {SigningError} from '../errors.js'

export type VerifyKey = {kind: 'cosign'; file: string; key: KeyObject} | {kind: 'gpg'; file: string; armored: string}

const GPG_PUBLIC = '-----BEGIN PGP PUBLIC KEY BLOCK-----'
const GPG_PRIVATE = '-----BEGIN PGP PRIVATE KEY BLOCK-----'
const PEM_PUBLIC = '-----BEGIN PUBLIC KEY-----'

/** Reads a --key file and tells its kind. */
export async function readVerifyKey(file: string): Promise<VerifyKey> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    throw new SigningError(`The key file ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`, {code: 'sign.key-unreadable', hint: 'Check its path and permissions.', cause: error})
  }

  if (text.includes(GPG_PRIVATE) || /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
    throw new SigningError(`The key file ${file} holds a private key.`, {
      code: 'sign.key-kind',
      hint: 'Verification needs only the public key: the cosign .pub file, or `gpg --armor --export <fingerprint>` for a GPG key. Keep the private key out of it.',
    })
  }

  if (text.includes(GPG_PUBLIC)) return {kind: 'gpg', file, armored: text}
  if (text.includes(PEM_PUBLIC)) return {kind: 'cosign', file, key: readPublicKey(text)}
  throw new SigningError(`The key file ${file} is neither a cosign public key nor an armored GPG public key.`, {
    code: 'sign.key-kind',
    hint: `Give a cosign public key (${PEM_PUBLIC}, the .pub of \`sign keygen --type cosign\`) for an image in a registry, or an armored GPG public key (${GPG_PUBLIC}, \`gpg --armor --export <fingerprint>\` or the .public.asc of \`sign keygen --type gpg\`) for a kit archive.`,
  })
}

/** The cosign keys, for an image in a registry; a GPG key there is a mistake worth naming. */
export function cosignKeys(keys: VerifyKey[], ref: string): KeyObject[] {
  const gpg = keys.filter((key) => key.kind === 'gpg')
  if (gpg.length > 0) {
    throw new SigningError(`${gpg.map((key) => key.file).join(', ')} ${gpg.length === 1 ? 'is a GPG public key' : 'are GPG public keys'}, which check the RPMs of a kit archive; ${ref} is an image in a registry, checked by its cosign signature.`, {
      code: 'sign.key-kind',
      hint: 'Give the cosign public key (PEM, the .pub file) the image was signed with; to check RPM signatures, verify the kit archive file (build/kits/<kit>/...tar) instead.',
    })
  }

  if (keys.length === 0) {
    throw new SigningError(`An image in a registry is verified against public keys, and none was given for ${ref}.`, {
      code: 'sign.key-missing',
      hint: 'Give the cosign public key it was signed with: --key FILE.pub (repeat for several).',
    })
  }

  return keys.map((key) => (key as Extract<VerifyKey, {kind: 'cosign'}>).key)
}

/** The armored GPG keys, for a kit archive; a cosign key there is a mistake worth naming. */
export function gpgKeys(keys: VerifyKey[], archive: string): string[] {
  const cosign = keys.filter((key) => key.kind === 'cosign')
  if (cosign.length > 0) {
    throw new SigningError(`${cosign.map((key) => key.file).join(', ')} ${cosign.length === 1 ? 'is a cosign public key' : 'are cosign public keys'}, which check an image's signature in a registry; the kit archive ${archive} is checked by the GPG signatures of its RPMs.`, {
      code: 'sign.key-kind',
      hint: 'Give the armored GPG public key its RPMs were signed with (--key FILE.asc), or no --key to check them against the archive\'s own RPM-GPG-KEY; to check the cosign signature, verify the published image (REF) instead.',
    })
  }

  return keys.map((key) => (key as Extract<VerifyKey, {kind: 'gpg'}>).armored)
}
