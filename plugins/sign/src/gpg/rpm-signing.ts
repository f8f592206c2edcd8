/**
 * GPG signatures of RPMs, made and checked inside the SDK image by assets/rpm-sign.sh: the host needs
 * only Node and a container engine. The secret key (a key file, or the files gpg needs of a GnuPG home
 * directory) and its passphrase reach the container as a read-only mount of a private temporary directory
 * under the caller's work directory, for that one run, and the directory is removed right after; they are
 * never logged, put in an environment variable, a command line, an image or the RPM directory.
 */

import {chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {SigningError} from './errors.js'
import {type ContainerRunner, outputTail, records, runScript, type ScriptRun} from './runner.js'

const SCRIPT = 'rpm-sign.sh'
const PRIVATE_KEY_BLOCK = '-----BEGIN PGP PRIVATE KEY BLOCK-----'
const PUBLIC_KEY_BLOCK = '-----BEGIN PGP PUBLIC KEY BLOCK-----'

/** Where the secret key is and how to unlock it. */
export interface GpgSigningKey {
  /**
   * An armored (or binary) OpenPGP secret key, as `gpg --armor --export-secret-keys` writes it; or a GnuPG
   * home directory (taken as `keyring`).
   */
  file?: string
  /**
   * A GnuPG home directory (e.g. ~/.gnupg) holding the key: pubring.kbx or pubring.gpg, and
   * private-keys-v1.d. It is only read: what gpg needs of it is copied for the run.
   */
  keyring?: string
  /** The passphrase itself (its first line counts); it wins over `passphraseFile` and `passphraseEnv`. */
  passphrase?: string
  /** The environment variable that holds the passphrase. */
  passphraseEnv?: string
  /** A file whose first line is the passphrase; it wins over `passphraseEnv`. */
  passphraseFile?: string
  /** The fingerprint, key id or user id to sign with, when the file or keyring holds several secret keys. */
  keyId?: string
}

export interface SignRpmsOptions {
  runner: ContainerRunner
  sdkImage: string
  /** Every `*.rpm` under it, recursively, is signed in place (keeping its owner and mode). */
  rpmsDir: string
  key: GpgSigningKey
  /**
   * A directory the engine can mount, outside `rpmsDir`: a private temporary directory is made in it for
   * the run and removed right after.
   */
  workDir: string
  /** Progress lines for people; none carries a secret. */
  onLine?: (line: string) => void
  signal?: AbortSignal
  /** Where `key.passphraseEnv` is looked up; default `process.env`. */
  env?: NodeJS.ProcessEnv
}

export interface SignRpmsResult {
  /** The signing key's public key, armored: what consumers import (`RPM-GPG-KEY-…`). */
  publicKey: string
  /** The signing key's fingerprint, 40 hex digits, upper case. */
  fingerprint: string
  /** The signed RPMs, relative to `rpmsDir` with `/`, sorted. */
  signed: string[]
}

/** Why an RPM does not verify. */
export type RpmVerifyProblem =
  /** A digest does not match: the RPM changed after it was signed (or was damaged). */
  | 'modified'
  /** Signed, but by a key that is not among the public keys given. */
  | 'unknown-key'
  /** No GPG signature at all. */
  | 'unsigned'
  /** The signature does not match the header. */
  | 'bad-signature'
  | 'other'

export interface RpmVerification {
  /** Relative to `rpmsDir`, with `/`. */
  rpm: string
  ok: boolean
  problem?: RpmVerifyProblem
  /** rpmkeys' words: its summary, then the checks that are not OK. */
  reason: string
  /** The signing key's short id (8 hex digits, lower case) when rpmkeys names it. */
  keyId?: string
}

export interface VerifyRpmsOptions {
  runner: ContainerRunner
  sdkImage: string
  /** Every `*.rpm` under it, recursively, is checked; it is mounted read-only. */
  rpmsDir: string
  /** Armored public keys; an RPM signed by any of them verifies. */
  publicKeys: string[]
  /** Where the public keys are written for the run (in a temporary directory removed after); default the OS's. */
  workDir?: string
  onLine?: (line: string) => void
  signal?: AbortSignal
}

/** Signs every RPM under `rpmsDir` with the GPG key, then checks each signature with rpmkeys. */
export async function signRpms(options: SignRpmsOptions): Promise<SignRpmsResult> {
  const rpmsDir = path.resolve(options.rpmsDir)
  const workDir = path.resolve(options.workDir)
  await requireDirectory(rpmsDir, 'The RPM directory')
  if (isInside(workDir, rpmsDir)) {
    throw new SigningError(`The work directory ${workDir} is inside the RPM directory ${rpmsDir}.`, {
      code: 'gpg.bad-directory',
      hint: 'The key must never be written next to the RPMs: give a work directory outside it.',
    })
  }

  const source = await keySource(options.key)
  const passphrase = await readPassphrase(options.key, options.env ?? process.env)

  await mkdir(workDir, {recursive: true})
  const secretDir = await mkdtemp(path.join(workDir, '.gpg-sign-'))
  try {
    await chmod(secretDir, 0o700)
    const keyDir = path.join(secretDir, 'key')
    const outDir = path.join(secretDir, 'out')
    await mkdir(keyDir, {mode: 0o700})
    await mkdir(outDir, {mode: 0o700})
    if (source.kind === 'file') await writeSecret(path.join(keyDir, 'key.asc'), source.bytes)
    else await copyKeyring(source.path, path.join(keyDir, 'gnupg'))
    if (passphrase !== undefined) await writeSecret(path.join(keyDir, 'passphrase'), passphrase)

    const run = await runScript(options.runner, {
      sdkImage: options.sdkImage,
      script: SCRIPT,
      args: ['sign'],
      env: options.key.keyId === undefined ? {} : {KEY_ID: options.key.keyId},
      mounts: [
        {host: keyDir, container: '/sign/key', readOnly: true},
        {host: rpmsDir, container: '/sign/rpms'},
        {host: outDir, container: '/sign/out'},
      ],
      ...(options.onLine === undefined ? {} : {onLine: options.onLine}),
      ...(options.signal === undefined ? {} : {signal: options.signal}),
    })
    const fingerprint = records(run.lines, 'fingerprint')[0]?.[0]
    if (run.exitCode !== 0) throw signFailure(run, {source, key: options.key, passphraseGiven: passphrase !== undefined, fingerprint})
    const publicKey = await readFile(path.join(outDir, 'RPM-GPG-KEY'), 'utf8')
    if (fingerprint === undefined) throw containerFailure(run, 'Signing the RPMs')
    return {publicKey, fingerprint, signed: records(run.lines, 'signed').map(([rpm]) => rpm!).sort()}
  } finally {
    await rm(secretDir, {recursive: true, force: true})
  }
}

/** Checks every RPM under `rpmsDir` against the public keys, in the SDK; never throws for an RPM that fails. */
export async function verifyRpms(options: VerifyRpmsOptions): Promise<RpmVerification[]> {
  const rpmsDir = path.resolve(options.rpmsDir)
  await requireDirectory(rpmsDir, 'The RPM directory')
  if (options.publicKeys.length === 0) {
    throw new SigningError('No public key to verify the RPMs with.', {code: 'gpg.public-key-invalid', hint: 'Give at least one armored public key.'})
  }

  for (const [index, publicKey] of options.publicKeys.entries()) {
    if (publicKey.includes(PRIVATE_KEY_BLOCK)) {
      throw new SigningError(`Public key ${index + 1} is a private key.`, {
        code: 'gpg.public-key-invalid',
        hint: 'Verification needs only the public key (`gpg --armor --export <fingerprint>`); keep the private key out of it.',
      })
    }

    if (!publicKey.includes(PUBLIC_KEY_BLOCK)) {
      throw new SigningError(`Public key ${index + 1} is not an armored OpenPGP public key.`, {
        code: 'gpg.public-key-invalid',
        hint: `Give the text that \`gpg --armor --export <fingerprint>\` prints, which starts with ${PUBLIC_KEY_BLOCK}.`,
      })
    }
  }

  const base = path.resolve(options.workDir ?? tmpdir())
  await mkdir(base, {recursive: true})
  const keysDir = await mkdtemp(path.join(base, '.gpg-verify-'))
  try {
    await chmod(keysDir, 0o755)
    for (const [index, publicKey] of options.publicKeys.entries()) await writeFile(path.join(keysDir, `key-${index}.asc`), publicKey, {mode: 0o644})
    const run = await runScript(options.runner, {
      sdkImage: options.sdkImage,
      script: SCRIPT,
      args: ['verify'],
      mounts: [
        {host: keysDir, container: '/sign/keys', readOnly: true},
        {host: rpmsDir, container: '/sign/rpms', readOnly: true},
      ],
      ...(options.onLine === undefined ? {} : {onLine: options.onLine}),
      ...(options.signal === undefined ? {} : {signal: options.signal}),
    })
    if (run.exitCode !== 0) {
      const error = run.errors.at(-1)
      if (error?.kind === 'no-public-key') {
        throw new SigningError('rpmkeys could not import any of the public keys.', {
          code: 'gpg.public-key-invalid',
          hint: `Check that each is an armored OpenPGP public key. rpmkeys said:\n${outputTail(run.lines)}`,
        })
      }

      throw scriptError(run) ?? containerFailure(run, 'Verifying the RPMs')
    }

    return verifications(run.lines)
  } finally {
    await rm(keysDir, {recursive: true, force: true})
  }
}

/** Throws a {@link SigningError} that names every RPM that did not verify, and why. */
export function requireVerified(results: RpmVerification[]): void {
  const failed = results.filter((result) => !result.ok)
  if (failed.length === 0) return
  const list = failed.map((result) => `${result.rpm} (${describeProblem(result)})`).join(', ')
  const problems = new Set(failed.map((result) => result.problem))
  const hint = problems.has('modified')
    ? 'An RPM changed after it was signed: rebuild and sign it again, and find out what changed it.'
    : problems.has('unknown-key')
      ? 'Verify with the public key of the key that signed them, or sign them again with the right key.'
      : 'Sign the RPMs (`twoliter sign` with a GPG key) and verify again.'
  throw new SigningError(`${failed.length === 1 ? 'One RPM does' : `${failed.length} RPMs do`} not verify: ${list}.`, {code: 'gpg.rpm-not-verified', hint})
}

/** A sentence fragment for people: why the RPM did not verify. */
export function describeProblem(result: RpmVerification): string {
  switch (result.problem) {
    case 'modified':
      return `changed after it was signed: ${result.reason}`
    case 'unknown-key':
      return `signed by key ${result.keyId ?? '(unknown id)'}, which is not among the public keys`
    case 'unsigned':
      return 'not signed'
    case 'bad-signature':
      return `bad signature: ${result.reason}`
    case undefined:
      return 'OK'
    default:
      return result.reason
  }
}

/** The `twoliter-verify` records: ok|bad, the RPM, rpmkeys' summary and failed checks. */
function verifications(lines: string[]): RpmVerification[] {
  return records(lines, 'verify').map(([status, rpm, ...rest]) => {
    const reason = rest.join('\t')
    const keyId = /key ID ([\da-f]{8,16})/i.exec(reason)?.[1]?.toLowerCase()
    const result: RpmVerification = {rpm: rpm!, ok: status === 'ok', reason, ...(keyId === undefined ? {} : {keyId})}
    if (!result.ok) result.problem = classify(reason)
    return result
  })
}

function classify(reason: string): RpmVerifyProblem {
  if (/digest: BAD/i.test(reason)) return 'modified'
  if (/no signature$/.test(reason)) return 'unsigned'
  if (/Signature, key ID [\da-f]+: NOKEY/i.test(reason)) return 'unknown-key'
  if (/Signature, key ID [\da-f]+: (BAD|NOTTRUSTED)/i.test(reason)) return 'bad-signature'
  return 'other'
}

function signFailure(run: ScriptRun, context: {source: KeySource; key: GpgSigningKey; passphraseGiven: boolean; fingerprint: string | undefined}): SigningError {
  const error = run.errors[0]
  const {source, key, fingerprint} = context
  const where = source.kind === 'file' ? source.path : `the GnuPG home ${source.path}`
  const theKeyFile = source.kind === 'file' ? `The key file ${source.path}` : `The GnuPG home ${source.path}`
  // A passphrase given as text has no source worth naming.
  const passSource =
    key.passphrase !== undefined ? undefined : key.passphraseFile === undefined ? (key.passphraseEnv === undefined ? undefined : `the environment variable ${key.passphraseEnv}`) : `the file ${key.passphraseFile}`
  switch (error?.kind) {
    case 'key-missing':
      return new SigningError(`${theKeyFile} could not be read in the SDK container.`, {code: 'gpg.key-missing', hint: 'Check that the engine can mount the work directory.'})
    case 'key-invalid':
      return new SigningError(`${theKeyFile} holds no OpenPGP key${error.detail ? ` (gpg: ${error.detail})` : ''}.`, {
        code: 'gpg.key-invalid',
        hint: source.kind === 'keyring' ? `Check that it is the GnuPG home holding the key (\`gpg --homedir ${source.path} --list-secret-keys\` lists it).` : 'Give the armored secret key, as `gpg --armor --export-secret-keys <fingerprint>` writes it (or the private.asc of GPG key generation).',
      })
    case 'no-secret-key':
      return new SigningError(`${theKeyFile} holds no secret key that can sign: ${error.detail}.`, {
        code: 'gpg.key-no-secret',
        hint:
          source.kind === 'keyring'
            ? `Its private-keys-v1.d has no secret key for its public keys: import the secret key (\`gpg --homedir ${source.path} --import private.asc\`).`
            : 'This looks like a public key. Export the secret key with `gpg --armor --export-secret-keys <fingerprint>`.',
      })
    case 'key-not-found':
      return new SigningError(`No secret key in ${where} that can sign matches ${key.keyId ?? error.detail}.`, {
        code: 'gpg.key-unknown',
        hint:
          source.kind === 'keyring'
            ? `Give the fingerprint of a secret key in that keyring (\`gpg --homedir ${source.path} --list-secret-keys\` lists them).`
            : 'Give the fingerprint of a key in that file (`gpg --show-keys <file>` lists them), or the file of that key.',
      })
    case 'key-ambiguous':
      return new SigningError(`${theKeyFile} holds several secret keys that can sign: ${error.detail.split(' ').join(', ')}.`, {
        code: 'gpg.key-ambiguous',
        hint: 'Say which one to sign with: give its fingerprint as the key id.',
      })
    case 'bad-passphrase':
      return new SigningError(`The passphrase${passSource ? ` from ${passSource}` : ''} does not unlock the key ${error.detail || fingerprint} in ${where}.`, {
        code: 'gpg.wrong-passphrase',
        hint: passSource ? `Check the passphrase in ${passSource}; only its first line counts.` : 'Check the key\'s passphrase; only its first line counts.',
      })
    case 'passphrase-required':
      return new SigningError(`The key ${error.detail || fingerprint} in ${where} is protected by a passphrase, and none was given.`, {
        code: 'gpg.passphrase-required',
        hint: 'Give the passphrase in an environment variable or a file.',
      })
    case 'key-unusable':
      return new SigningError(`gpg cannot sign with the key ${fingerprint ?? ''} in ${where}${error.detail ? `: ${error.detail}` : ''}.`, {
        code: 'gpg.key-unusable',
        hint: 'An expired or revoked key cannot sign: extend its expiry (`gpg --quick-set-expire`) or use another key.',
      })
    case 'rpmsign-failed':
      return new SigningError(`rpmsign failed for ${error.detail}.`, {code: 'gpg.rpmsign-failed', hint: `Check that it is a valid RPM. rpmsign said:\n${outputTail(run.lines)}`})
    case 'verify-failed': {
      const failed = verifications(run.lines).filter((result) => !result.ok)
      const list = failed.map((result) => `${result.rpm} (${describeProblem(result)})`).join(', ')
      return new SigningError(`The RPMs were signed, but rpmkeys does not accept every signature: ${list || error.detail}.`, {
        code: 'gpg.rpm-not-verified',
        hint: 'This is unexpected right after signing: check the SDK\'s rpm and gpg, and that nothing else writes to the RPM directory meanwhile.',
      })
    }

    default:
      return scriptError(run) ?? containerFailure(run, 'Signing the RPMs')
  }
}

/** The errors any mode of the script can report. */
function scriptError(run: ScriptRun): SigningError | undefined {
  const error = run.errors[0]
  if (error?.kind === 'sdk-missing-tool') {
    return new SigningError(`The SDK image has no ${error.detail}, which GPG signing needs.`, {
      code: 'gpg.sdk-missing-tool',
      hint: 'Use an SDK with gnupg (gpg, gpg-agent) and rpm-sign (rpmsign, rpmkeys).',
    })
  }

  return undefined
}

function containerFailure(run: ScriptRun, what: string): SigningError {
  return new SigningError(`${what} in the SDK failed (exit code ${run.exitCode}).`, {code: 'gpg.container-failed', hint: `Its last lines:\n${outputTail(run.lines)}`})
}

async function requireDirectory(dir: string, what: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined)
  if (!info?.isDirectory()) throw new SigningError(`${what} ${dir} does not exist or is not a directory.`, {code: 'gpg.bad-directory', hint: 'Check the path.'})
}

type KeySource = {kind: 'file'; path: string; bytes: Buffer} | {kind: 'keyring'; path: string}

/** The files of a GnuPG home that gpg needs to sign; the rest (sockets, locks, random_seed, gpg.conf) stay. */
export const KEYRING_FILES = ['pubring.kbx', 'pubring.gpg', 'trustdb.gpg']
export const KEYRING_PRIVATE_KEYS = 'private-keys-v1.d'

/** The key file read, or the GnuPG home checked: `keyring`, or a `file` that is a directory. */
async function keySource(key: GpgSigningKey): Promise<KeySource> {
  if ((key.file === undefined) === (key.keyring === undefined)) {
    throw new SigningError('Give the GPG key either as a key file or as a GnuPG home directory (keyring), not both or neither.', {code: 'gpg.key-missing', hint: 'Set one of file and keyring.'})
  }

  const given = path.resolve((key.file ?? key.keyring)!)
  const what = key.keyring === undefined ? 'GPG key file' : 'GnuPG home'
  let info
  try {
    info = await stat(given)
  } catch (error) {
    throw new SigningError(`The ${what} ${given} does not exist or cannot be read.`, {code: 'gpg.key-missing', hint: `Check the path of the ${what}.`, cause: error})
  }

  if (info.isDirectory()) {
    const found = await Promise.all([...KEYRING_FILES.slice(0, 2), KEYRING_PRIVATE_KEYS].map((name) => stat(path.join(given, name)).catch(() => undefined)))
    if (!found[0]?.isFile() && !found[1]?.isFile()) {
      throw new SigningError(`${given} is not a GnuPG home directory: it has no pubring.kbx or pubring.gpg.`, {
        code: 'gpg.key-missing',
        hint: 'Give the directory gpg keeps the key in (its --homedir, e.g. ~/.gnupg), or an armored secret key file.',
      })
    }

    return {kind: 'keyring', path: given}
  }

  if (key.keyring !== undefined) {
    throw new SigningError(`The GnuPG home ${given} is not a directory.`, {code: 'gpg.key-missing', hint: 'Give the directory gpg keeps the key in (its --homedir, e.g. ~/.gnupg).'})
  }

  return {kind: 'file', path: given, bytes: await readKeyFile(given)}
}

/**
 * Copies what gpg needs of the GnuPG home `from` into `to` (made, mode 0700): the public keyring, the trust
 * database and the secret key files, regular files only, each readable by its owner only.
 */
async function copyKeyring(from: string, to: string): Promise<void> {
  await mkdir(to, {mode: 0o700})
  const copy = async (source: string, target: string) => {
    const info = await stat(source).catch(() => undefined)
    if (!info?.isFile()) return
    try {
      await copyFile(source, target)
    } catch (error) {
      throw new SigningError(`${source} of the GnuPG home cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`, {
        code: 'gpg.key-missing',
        hint: 'Check its permissions: the user running twoliter must be able to read the keyring.',
        cause: error,
      })
    }

    await chmod(target, 0o600)
  }

  for (const name of KEYRING_FILES) await copy(path.join(from, name), path.join(to, name))
  const privateKeys = path.join(from, KEYRING_PRIVATE_KEYS)
  const names = await readdir(privateKeys).catch(() => [] as string[])
  await mkdir(path.join(to, KEYRING_PRIVATE_KEYS), {mode: 0o700})
  for (const name of names.filter((name) => name.endsWith('.key')).sort()) await copy(path.join(privateKeys, name), path.join(to, KEYRING_PRIVATE_KEYS, name))
}

async function readKeyFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file)
  } catch (error) {
    throw new SigningError(`The GPG key file ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`, {
      code: 'gpg.key-missing',
      hint: 'Check its permissions: the user running twoliter must be able to read it.',
      cause: error,
    })
  }
}

/** The passphrase, its first line only (as gpg reads a passphrase file), or undefined when none is given. */
async function readPassphrase(key: GpgSigningKey, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  if (key.passphrase !== undefined) return firstLine(key.passphrase)
  if (key.passphraseFile !== undefined) {
    try {
      return firstLine(await readFile(key.passphraseFile, 'utf8'))
    } catch (error) {
      throw new SigningError(`The passphrase file ${key.passphraseFile} cannot be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`, {
        code: 'gpg.passphrase-missing',
        hint: 'Check its path and permissions.',
        cause: error,
      })
    }
  }

  if (key.passphraseEnv !== undefined) {
    const value = env[key.passphraseEnv]
    if (value === undefined) {
      throw new SigningError(`No passphrase for the GPG key: the environment variable ${key.passphraseEnv} is not set.`, {
        code: 'gpg.passphrase-missing',
        hint: 'Set it (empty for a key without passphrase), or give a passphrase file.',
      })
    }

    return firstLine(value)
  }

  return undefined
}

function firstLine(text: string): string {
  return text.split('\n')[0]!.replace(/\r$/, '')
}

/** Writes a file only its owner can read, failing when it exists. */
async function writeSecret(file: string, content: string | Buffer): Promise<void> {
  await writeFile(file, content, {mode: 0o600, flag: 'wx'})
  await chmod(file, 0o600)
}

function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child)
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative))
}
