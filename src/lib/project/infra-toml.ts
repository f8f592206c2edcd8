import {createHash} from 'node:crypto'
import {readdir, readFile, stat} from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

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
 *     # or, instead of key: a GnuPG home directory (a keyring) and the key in it
 *     keyring = "gnupg"                 # relative to Infra.toml: pubring.kbx or pubring.gpg, private-keys-v1.d
 *     key-id = "<fingerprint>"          # required with keyring; optional with key (one of several keys in the file)
 *     passphrase-env = "GPG_PASSPHRASE" # default when neither passphrase-env nor passphrase-file is given
 *     passphrase-file = "keys/pass.txt" # its first line is the passphrase
 */
export interface RpmSigningConfig {
  infraFile: string
  /** The key as the gpg signer takes it: an absolute path, or a file:// URL (of the key file or keyring) with `#<key id>`. */
  keyRef: string
  /** The key file, absolute, when `key` is given. */
  keyFile?: string
  /** The GnuPG home directory, absolute, when `keyring` is given. */
  keyring?: string
  keyId?: string
  /** The environment variable holding the passphrase (unset: the key has none), when one is read. */
  passphraseEnv?: string
  /** The passphrase file, absolute. */
  passphraseFile?: string
  /**
   * What package builds record of the configuration: the sha256 of the key file's bytes (or of the
   * keyring's public keyring and secret key files) and the key id, digested together. Never the key itself,
   * never the passphrase.
   */
  fingerprint: string
  location: SourceLocation
}

const RPM_SIGNING_EXAMPLE = '[rpm-signing] key = "keys/rpm-signing.asc"'

/** The files of a GnuPG home whose bytes make a keyring's fingerprint (the gpg signer copies these, and trustdb.gpg). */
const KEYRING_PUBLIC_FILES = ['pubring.kbx', 'pubring.gpg']
const KEYRING_PRIVATE_KEYS = 'private-keys-v1.d'

/** Infra.toml's `[rpm-signing]` (`file`, or Infra.toml in the project root); undefined when there is no such file or table. */
export async function readRpmSigning(projectRoot: string, file?: string): Promise<RpmSigningConfig | undefined> {
  const infraFile = file ?? path.join(projectRoot, INFRA_FILE)
  const document = await readTomlFileIfExists(infraFile)
  if (document === undefined) return undefined
  const table = TableReader.root(document, PROJECT_WORDING).subTable('rpm-signing', {example: RPM_SIGNING_EXAMPLE})
  if (table === undefined) return undefined
  const base = path.dirname(infraFile)
  const keyGiven = table.string('key', {example: 'key = "keys/rpm-signing.asc"'})
  const keyringGiven = table.string('keyring', {example: 'keyring = "gnupg"'})
  const keyIdGiven = table.string('key-id', {example: 'key-id = "<fingerprint>"'})
  if (keyGiven !== undefined && keyringGiven !== undefined) {
    throw table.error('keyring', '[rpm-signing] names both a key file (`key`) and a GnuPG home directory (`keyring`); it takes one of them.', {
      hint: 'Keep `key` for an armored secret key file, or `keyring` with `key-id` for a GnuPG home directory, and remove the other.',
      code: 'infra.rpm-signing-key',
    })
  }

  if (keyGiven === undefined && keyringGiven === undefined) table.requiredString('key', {ifMissing: 'Add `key = "keys/rpm-signing.asc"` (an armored secret key file), or `keyring = "gnupg"` with `key-id = "<fingerprint>"` (a GnuPG home directory).'})
  if (keyIdGiven !== undefined && keyIdGiven.trim() === '') {
    throw table.error('key-id', `${table.keyName('key-id')} is empty.`, {hint: 'Give the fingerprint (or key id, or user id) of the key to sign with.', code: 'infra.rpm-signing-key-id'})
  }

  const passphraseFileGiven = table.string('passphrase-file', {example: 'passphrase-file = "keys/passphrase.txt"'})
  const passphraseEnvGiven = table.string('passphrase-env', {example: 'passphrase-env = "GPG_PASSPHRASE"'})
  if (passphraseEnvGiven !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(passphraseEnvGiven)) {
    throw table.error('passphrase-env', `${table.keyName('passphrase-env')} ${JSON.stringify(passphraseEnvGiven)} is not an environment variable name.`, {
      hint: 'Give the name of the variable holding the passphrase, e.g. `passphrase-env = "GPG_PASSPHRASE"`.',
      code: 'infra.rpm-signing-passphrase-env',
    })
  }

  const passphraseFile = passphraseFileGiven === undefined ? undefined : path.resolve(base, passphraseFileGiven)
  const passphraseEnv = passphraseEnvGiven ?? (passphraseFile === undefined ? DEFAULT_PASSPHRASE_ENV : undefined)
  const passphrases = {passphraseEnv, passphraseFile}

  if (keyringGiven !== undefined) {
    if (keyIdGiven === undefined) {
      throw table.error('keyring', `${table.keyName('keyring')} names a GnuPG home directory, but ${table.keyName('key-id')} does not say which of its keys signs.`, {
        hint: 'Add the key\'s fingerprint, e.g. `key-id = "<fingerprint>"` (`gpg --homedir DIR --list-secret-keys` lists them).',
        code: 'infra.rpm-signing-key-id',
      })
    }

    const keyring = path.resolve(base, keyringGiven)
    const digest = await keyringDigest(keyring, (why, hint) => table.error('keyring', `the directory ${keyring} that ${table.keyName('keyring')} names ${why}, so package builds cannot sign their RPMs.`, {hint, code: 'infra.rpm-signing-keyring-missing'}))
    const keyRef = `${pathToFileURL(keyring).href}#${encodeURIComponent(keyIdGiven)}`
    const fingerprint = createHash('sha256').update(`keyring:${digest}\n${keyIdGiven}`).digest('hex')
    return {infraFile, keyRef, keyring, keyId: keyIdGiven, ...passphrases, fingerprint, location: locate(document, ['rpm-signing', 'keyring'])}
  }

  const given = keyGiven!
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
    if (keyId !== undefined && keyIdGiven !== undefined) {
      throw table.error('key-id', `${table.keyName('key-id')} and the #fragment of ${table.keyName('key')} both name the key to sign with.`, {
        hint: 'Keep one of them.',
        code: 'infra.rpm-signing-key-id',
      })
    }

    keyId ??= keyIdGiven
    keyRef = keyIdGiven === undefined ? given : `${pathToFileURL(keyFile).href}#${encodeURIComponent(keyIdGiven)}`
  } else {
    keyFile = path.resolve(base, given)
    keyId = keyIdGiven
    keyRef = keyId === undefined ? keyFile : `${pathToFileURL(keyFile).href}#${encodeURIComponent(keyId)}`
  }

  let keyBytes: Buffer
  try {
    keyBytes = await readFile(keyFile)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a directory' : `cannot be read (${(error as Error).message})`
    throw table.error('key', `the GPG key ${keyFile} that ${table.keyName('key')} names ${why}, so package builds cannot sign their RPMs.`, {
      hint:
        code === 'EISDIR'
          ? 'For a GnuPG home directory, write `keyring = "DIR"` with `key-id = "<fingerprint>"` instead of `key`.'
          : 'Give the armored secret key (`twoliter sign keygen --type gpg` makes one) as a path relative to Infra.toml, or remove [rpm-signing] to build unsigned RPMs.',
      code: 'infra.rpm-signing-key-missing',
    })
  }

  const fingerprint = createHash('sha256').update(`sha256:${createHash('sha256').update(keyBytes).digest('hex')}\n${keyId ?? ''}`).digest('hex')
  return {infraFile, keyRef, keyFile, keyId, ...passphrases, fingerprint, location: locate(document, ['rpm-signing', 'key'])}
}

/**
 * The sha256 of what signing uses of the GnuPG home `dir`: its public keyring and its secret key files,
 * each named and digested in a stable order (the trust database, which gpg rewrites, does not count).
 */
async function keyringDigest(dir: string, refused: (why: string, hint: string) => Error): Promise<string> {
  const info = await stat(dir).catch((error: NodeJS.ErrnoException) => error)
  if (info instanceof Error) {
    throw refused(info.code === 'ENOENT' ? 'does not exist' : `cannot be read (${info.message})`, 'Give the directory gpg keeps the key in (its --homedir, e.g. a copy of ~/.gnupg) relative to Infra.toml, or `key` for an armored secret key file.')
  }

  if (!info.isDirectory()) throw refused('is not a directory', 'For an armored secret key file, write `key = "FILE"` instead of `keyring`.')
  const digest = createHash('sha256')
  let publicKeyring = false
  const add = async (name: string) => {
    const file = path.join(dir, name)
    const fileInfo = await stat(file).catch(() => undefined)
    if (!fileInfo?.isFile()) return false
    let bytes: Buffer
    try {
      bytes = await readFile(file)
    } catch (error) {
      throw refused(`has ${name}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`, 'Check its permissions: the user running twoliter must be able to read the keyring.')
    }

    digest.update(`${name}\n${createHash('sha256').update(bytes).digest('hex')}\n`)
    return true
  }

  for (const name of KEYRING_PUBLIC_FILES) if (await add(name)) publicKeyring = true
  if (!publicKeyring) {
    throw refused('is not a GnuPG home: it has no pubring.kbx or pubring.gpg', 'Give the directory gpg keeps the key in (its --homedir: `gpg --homedir DIR --list-secret-keys` lists the keys), with the secret key imported.')
  }

  const secretKeys = await readdir(path.join(dir, KEYRING_PRIVATE_KEYS)).catch(() => [] as string[])
  for (const name of secretKeys.filter((name) => name.endsWith('.key')).sort()) await add(`${KEYRING_PRIVATE_KEYS}/${name}`)
  return digest.digest('hex')
}
