/**
 * The trust settings of Twoliter.toml, keys twoliter 0.5 ignores: `[vendor.NAME] signing-keys = [...]`,
 * the public keys a vendor's kits must be signed with (cosign PEM public keys for the kit images, armored
 * GPG public keys for the RPMs in them), and the top-level `require-signatures`, which makes a kit of a
 * vendor without keys an error instead of a warning.
 */

import {createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {type SourceLocation, TwoliterError} from '../errors.js'
import {type TomlDocument, locateArrayItem} from '../toml/document.js'
import {TableReader} from '../toml/table-reader.js'
import {PROJECT_WORDING} from './fields.js'

export type TrustedKeyKind = 'cosign' | 'gpg'

/** A public key a vendor signs with, read from the file Twoliter.toml names. */
export interface TrustedKey {
  kind: TrustedKeyKind
  /** Absolute path of the key file. */
  file: string
  /** The key file's text. */
  text: string
  /** `sha256:<hex>` of the key file's text: what verification records name the key by. */
  id: string
  /** Where Twoliter.toml names it. */
  location: SourceLocation
}

export interface TrustSettings {
  /** Keyed by vendor name; a vendor without `signing-keys` has an empty list. */
  signingKeys: Record<string, TrustedKey[]>
  requireSignatures: boolean
}

const EXAMPLE = 'signing-keys = ["keys/my-vendor-cosign.pub", "keys/my-vendor-rpm.public.asc"]'

/** Reads `signing-keys` of every declared vendor (paths relative to the project root) and `require-signatures`. */
export async function readTrustSettings(document: TomlDocument, projectRoot: string, vendorNames: readonly string[]): Promise<TrustSettings> {
  const root = TableReader.root(document, PROJECT_WORDING)
  const requireSignatures = root.boolean('require-signatures') ?? false
  const signingKeys: Record<string, TrustedKey[]> = Object.create(null) as Record<string, TrustedKey[]>
  for (const vendor of vendorNames) {
    const files = root.requiredSubTable('vendor').requiredSubTable(vendor).stringArray('signing-keys') ?? []
    signingKeys[vendor] = await Promise.all(files.map((file) => readTrustedKey(document, projectRoot, vendor, file)))
  }

  return {signingKeys, requireSignatures}
}

async function readTrustedKey(document: TomlDocument, projectRoot: string, vendor: string, file: string): Promise<TrustedKey> {
  const location = locateArrayItem(document, ['vendor', vendor, 'signing-keys'], file)
  const absolute = path.resolve(projectRoot, file)
  let text: string
  try {
    text = await readFile(absolute, 'utf8')
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`
    throw new TwoliterError(`the signing key ${JSON.stringify(file)} of vendor '${vendor}' ${reason} (looked for ${absolute}).`, {
      location,
      hint: `Put the vendor's public key there (a cosign .pub or an armored GPG public key), or correct the path: it is relative to the project root, e.g. \`${EXAMPLE}\`.`,
      code: 'project.signing-key-missing',
    })
  }

  const kind = keyKind(text)
  if (typeof kind === 'object') {
    throw new TwoliterError(`the signing key ${JSON.stringify(file)} of vendor '${vendor}' ${kind.problem}.`, {
      location,
      hint: 'List only public keys: the cosign public key (`-----BEGIN PUBLIC KEY-----`, e.g. from `twoliter sign keygen --type cosign`) and/or the armored GPG public key (`-----BEGIN PGP PUBLIC KEY BLOCK-----`) the vendor publishes.',
      code: 'project.signing-key-invalid',
    })
  }

  return {kind, file: absolute, text, id: `sha256:${createHash('sha256').update(text).digest('hex')}`, location}
}

function keyKind(text: string): TrustedKeyKind | {problem: string} {
  if (/-----BEGIN (ENCRYPTED SIGSTORE |ENCRYPTED COSIGN |EC |)PRIVATE KEY-----|-----BEGIN PGP PRIVATE KEY BLOCK-----/.test(text)) {
    return {problem: 'is a private key; a project lists the public keys it trusts, and a private key must not be in the repository'}
  }

  if (text.includes('-----BEGIN PUBLIC KEY-----')) return 'cosign'
  if (text.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) return 'gpg'
  return {problem: 'is neither a PEM public key (cosign) nor an armored GPG public key'}
}
