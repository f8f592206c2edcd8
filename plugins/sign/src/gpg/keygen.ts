/**
 * A new GPG signing key pair, made inside the SDK image by assets/gpg-keygen.sh. The passphrase reaches
 * the container as a read-only mount of a private temporary directory next to the keys, for that one run,
 * and is removed right after.
 */

import {access, chmod, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {SigningError} from './errors.js'
import {type ContainerRunner, outputTail, records, runScript} from './runner.js'

export const PRIVATE_KEY_FILE = 'private.asc'
export const PUBLIC_KEY_FILE = 'public.asc'

/**
 * rsa3072 by default: every rpm verifies RSA. ed25519 makes smaller, faster signatures, which rpm verifies
 * from 4.16 on (the SDK's 4.18 does); choose it only when every consumer's rpm is that recent.
 */
export type GpgKeyAlgorithm = 'rsa3072' | 'rsa4096' | 'ed25519'

export interface GenerateGpgKeyOptions {
  runner: ContainerRunner
  sdkImage: string
  /** The user id's name, e.g. "Example Kits". */
  name: string
  /** The user id's email. */
  email: string
  /** Protects the private key; without it (or empty) the key has none. Its first line only, as gpg reads. */
  passphrase?: string
  /** Where private.asc (mode 0600) and public.asc go; made when missing. Neither file may exist. */
  outDir: string
  algorithm?: GpgKeyAlgorithm
  /** gpg's expiry: `never` (default), or e.g. `2y`, `2027-12-31`. */
  expire?: string
  onLine?: (line: string) => void
  signal?: AbortSignal
}

export interface GeneratedGpgKey {
  privateKeyFile: string
  publicKeyFile: string
  /** 40 hex digits, upper case. */
  fingerprint: string
}

/** Generates a signing key pair in the SDK and writes it, armored, to `outDir`. */
export async function generateGpgKey(options: GenerateGpgKeyOptions): Promise<GeneratedGpgKey> {
  const name = options.name.trim()
  const email = options.email.trim()
  if (name === '' || /[<>\n\r]/.test(name)) {
    throw new SigningError(`The key's name ${JSON.stringify(options.name)} cannot make a user id.`, {code: 'gpg.keygen-invalid-user-id', hint: 'Give a name without <, > or line breaks.'})
  }

  if (!/^[^\s<>@]+@[^\s<>@]+$/.test(email)) {
    throw new SigningError(`The key's email ${JSON.stringify(options.email)} is not an email address.`, {code: 'gpg.keygen-invalid-user-id', hint: 'Give an address like kits@example.com.'})
  }

  const expire = options.expire ?? 'never'
  if (!/^(never|\d+[dwmy]?|\d{4}-\d{2}-\d{2})$/.test(expire)) {
    throw new SigningError(`The expiry ${JSON.stringify(expire)} is not one gpg understands here.`, {code: 'gpg.keygen-failed', hint: 'Give `never`, a number of days, `2y`-style periods or a date like 2027-12-31.'})
  }

  const passphrase = options.passphrase === undefined ? '' : options.passphrase.split('\n')[0]!.replace(/\r$/, '')
  const outDir = path.resolve(options.outDir)
  const privateKeyFile = path.join(outDir, PRIVATE_KEY_FILE)
  const publicKeyFile = path.join(outDir, PUBLIC_KEY_FILE)
  await mkdir(outDir, {recursive: true})
  for (const file of [privateKeyFile, publicKeyFile]) {
    if (await exists(file)) throw new SigningError(`${file} exists already; a key is never overwritten.`, {code: 'gpg.key-exists', hint: 'Choose another directory, or remove the old key first.'})
  }

  // The passphrase's directory sits next to the keys, so the engine can mount it wherever it runs.
  const secretDir = passphrase === '' ? undefined : await mkdtemp(path.join(outDir, '.gpg-keygen-'))
  try {
    if (secretDir !== undefined) {
      await chmod(secretDir, 0o700)
      await writeFile(path.join(secretDir, 'passphrase'), passphrase, {mode: 0o600, flag: 'wx'})
    }

    const run = await runScript(options.runner, {
      sdkImage: options.sdkImage,
      script: 'gpg-keygen.sh',
      env: {KEY_NAME: name, KEY_EMAIL: email, KEY_ALGO: options.algorithm ?? 'rsa3072', KEY_EXPIRE: expire},
      mounts: [{host: outDir, container: '/keygen/out'}, ...(secretDir === undefined ? [] : [{host: secretDir, container: '/keygen/secret', readOnly: true}])],
      ...(options.onLine === undefined ? {} : {onLine: options.onLine}),
      ...(options.signal === undefined ? {} : {signal: options.signal}),
    })
    const fingerprint = records(run.lines, 'fingerprint')[0]?.[0]
    if (run.exitCode !== 0 || fingerprint === undefined) {
      const error = run.errors[0]
      if (error?.kind === 'key-exists') throw new SigningError(`${path.join(outDir, error.detail)} exists already; a key is never overwritten.`, {code: 'gpg.key-exists', hint: 'Choose another directory, or remove the old key first.'})
      if (error?.kind === 'sdk-missing-tool') throw new SigningError(`The SDK image has no ${error.detail}, which GPG key generation needs.`, {code: 'gpg.sdk-missing-tool', hint: 'Use an SDK with gnupg.'})
      throw new SigningError(`Generating the GPG key in the SDK failed (exit code ${run.exitCode})${error ? `: ${error.detail}` : ''}.`, {code: 'gpg.keygen-failed', hint: `gpg said:\n${outputTail(run.lines)}`})
    }

    return {privateKeyFile, publicKeyFile, fingerprint}
  } finally {
    if (secretDir !== undefined) await rm(secretDir, {recursive: true, force: true})
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  )
}
