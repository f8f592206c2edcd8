import {createHash} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import type {SourceLocation} from '../errors.js'
import {locate, readTomlFileIfExists} from '../toml/document.js'
import {TableReader} from '../toml/table-reader.js'
import {PROJECT_WORDING} from './fields.js'

export const INFRA_FILE = 'Infra.toml'

/** Infra.toml's `[vendor.NAME] registry = "..."` tables: where pubsys publishes kits. The rest of the file belongs to publishing plugins. */
export interface InfraVendors {
  file: string
  registries: Record<string, {registry: string; location: SourceLocation}>
  /** `[vendor.NAME] cosign-key = "FILE"`: the private key `publish kit` signs the vendor's kits with (path made absolute). */
  cosignKeys: Record<string, {file: string; location: SourceLocation}>
}

/** The vendors of Infra.toml (`file`, or Infra.toml in the project root); undefined when there is no such file. */
export async function readInfraVendors(projectRoot: string, file?: string): Promise<InfraVendors | undefined> {
  const infraFile = file ?? path.join(projectRoot, INFRA_FILE)
  const document = await readTomlFileIfExists(infraFile)
  if (document === undefined) return undefined
  const vendors = TableReader.root(document, PROJECT_WORDING).subTable('vendor', {example: '[vendor.my-vendor] registry = "registry.example.com/kits"'})
  const registries: InfraVendors['registries'] = {}
  const cosignKeys: InfraVendors['cosignKeys'] = {}
  for (const name of Object.keys(vendors?.table ?? {})) {
    const vendor = vendors!.requiredSubTable(name, {example: `[vendor.${name}] registry = "registry.example.com/kits"`})
    registries[name] = {
      registry: vendor.requiredString('registry', {example: 'registry = "registry.example.com/kits"'}),
      location: locate(document, ['vendor', name, 'registry']),
    }
    const cosignKey = vendor.string('cosign-key')
    if (cosignKey !== undefined) cosignKeys[name] = {file: path.resolve(path.dirname(infraFile), cosignKey), location: locate(document, ['vendor', name, 'cosign-key'])}
  }

  return {file: infraFile, registries, cosignKeys}
}

/** The environment variable the GPG key's passphrase is read from when Infra.toml names neither passphrase-env nor passphrase-file. */
export const DEFAULT_PASSPHRASE_ENV = 'GPG_PASSPHRASE'

/**
 * Infra.toml's `[rpm-signing]`: the GPG key every RPM of a package build is signed with.
 *
 *     [rpm-signing]
 *     key = "keys/rpm-signing.asc"      # armored secret key, relative to Infra.toml, or file:///abs/key.asc#<key id>
 *     passphrase-env = "GPG_PASSPHRASE" # default when neither passphrase-env nor passphrase-file is given
 *     passphrase-file = "keys/pass.txt" # its first line is the passphrase
 */
export interface RpmSigningConfig {
  infraFile: string
  /** The key as the gpg signer takes it: an absolute path, or a file:// URL with `#<key id>`. */
  keyRef: string
  /** The key file, absolute. */
  keyFile: string
  keyId?: string
  /** The environment variable holding the passphrase (unset: the key has none), when one is read. */
  passphraseEnv?: string
  /** The passphrase file, absolute. */
  passphraseFile?: string
  /**
   * What package builds record of the configuration: the sha256 of the key file's bytes and the key id,
   * digested together. Never the key itself, never the passphrase.
   */
  fingerprint: string
  location: SourceLocation
}

const RPM_SIGNING_EXAMPLE = '[rpm-signing] key = "keys/rpm-signing.asc"'

/** Infra.toml's `[rpm-signing]` (`file`, or Infra.toml in the project root); undefined when there is no such file or table. */
export async function readRpmSigning(projectRoot: string, file?: string): Promise<RpmSigningConfig | undefined> {
  const infraFile = file ?? path.join(projectRoot, INFRA_FILE)
  const document = await readTomlFileIfExists(infraFile)
  if (document === undefined) return undefined
  const table = TableReader.root(document, PROJECT_WORDING).subTable('rpm-signing', {example: RPM_SIGNING_EXAMPLE})
  if (table === undefined) return undefined
  const given = table.requiredString('key', {example: 'key = "keys/rpm-signing.asc"'})
  const base = path.dirname(infraFile)
  let keyFile: string
  let keyId: string | undefined
  let keyRef: string
  if (given.startsWith('file://')) {
    let url: URL
    try {
      url = new URL(given)
      keyFile = fileURLToPath(url)
    } catch (error) {
      throw table.error('key', `${table.keyName('key')} ${JSON.stringify(given)} is not a usable file URL: ${(error as Error).message}.`, {
        hint: 'Give a path relative to Infra.toml, or an absolute URL like file:///keys/rpm-signing.asc#<fingerprint>.',
        code: 'infra.rpm-signing-key',
      })
    }

    keyId = decodeURIComponent(url.hash.slice(1)) || undefined
    keyRef = given
  } else {
    keyFile = path.resolve(base, given)
    keyRef = keyFile
  }

  const passphraseFileGiven = table.string('passphrase-file', {example: 'passphrase-file = "keys/passphrase.txt"'})
  const passphraseEnvGiven = table.string('passphrase-env', {example: 'passphrase-env = "GPG_PASSPHRASE"'})
  if (passphraseEnvGiven !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(passphraseEnvGiven)) {
    throw table.error('passphrase-env', `${table.keyName('passphrase-env')} ${JSON.stringify(passphraseEnvGiven)} is not an environment variable name.`, {
      hint: 'Give the name of the variable holding the passphrase, e.g. `passphrase-env = "GPG_PASSPHRASE"`.',
      code: 'infra.rpm-signing-passphrase-env',
    })
  }


  let keyBytes: Buffer
  try {
    keyBytes = await readFile(keyFile)
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`
    throw table.error('key', `the GPG key ${keyFile} that ${table.keyName('key')} names ${why}, so package builds cannot sign their RPMs.`, {
      hint: 'Give the armored secret key (`twoliter sign keygen --type gpg` makes one) as a path relative to Infra.toml, or remove [rpm-signing] to build unsigned RPMs.',
      code: 'infra.rpm-signing-key-missing',
    })
  }

  const passphraseFile = passphraseFileGiven === undefined ? undefined : path.resolve(base, passphraseFileGiven)
  const passphraseEnv = passphraseEnvGiven ?? (passphraseFile === undefined ? DEFAULT_PASSPHRASE_ENV : undefined)
  const fingerprint = createHash('sha256').update(`sha256:${createHash('sha256').update(keyBytes).digest('hex')}\n${keyId ?? ''}`).digest('hex')
  return {infraFile, keyRef, keyFile, keyId, passphraseEnv, passphraseFile, fingerprint, location: locate(document, ['rpm-signing', 'key'])}
}
