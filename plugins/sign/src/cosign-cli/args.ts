/**
 * What twoliter asks of the cosign CLI, as plain data: its version, the argv and environment of `cosign
 * sign` and `cosign verify` with a key pair and no transparency log, pinned to the legacy `.sig` tag
 * format that the native implementation reads and writes, and what a failed verification means.
 */

import {SigningError} from '../errors.js'

export interface CosignVersion {
  major: number
  minor: number
  patch: number
  /** As cosign reports it, e.g. `v2.4.1`. */
  text: string
}

/** The oldest supported: 2.0 has `--tlog-upload` and `--insecure-ignore-tlog`. */
export const MIN_COSIGN = {major: 2, minor: 0} as const
/** The first unsupported major: the legacy `.sig` format is announced to go away after 3.x. */
export const UNSUPPORTED_COSIGN_MAJOR = 4
/** From 2.6 `sign` and `verify` know the bundle format and `sign` the signing config; 3.0 made both the default. */
const BUNDLE_FLAGS_SINCE = {major: 2, minor: 6} as const

/** `cosign version --json`: `{"gitVersion": "v2.4.1", ...}`. */
export function parseCosignVersion(stdout: string, program: string): CosignVersion {
  let gitVersion: unknown
  try {
    gitVersion = (JSON.parse(stdout) as {gitVersion?: unknown}).gitVersion
  } catch {
    gitVersion = undefined
  }

  const match = typeof gitVersion === 'string' ? /^v?(\d+)\.(\d+)\.(\d+)/.exec(gitVersion) : null
  if (match === null) {
    const said = typeof gitVersion === 'string' ? `reports its version as "${gitVersion}"` : 'does not report its version as cosign does (`cosign version --json`)'
    throw new SigningError(`${program} ${said}, so twoliter cannot tell which flags it takes.`, {
      code: 'sign.cosign-version',
      hint: 'Point TWOLITER_COSIGN at a released cosign 2.x or 3.x, or set TWOLITER_COSIGN=native to sign without the cosign CLI.',
    })
  }

  return {major: Number(match[1]), minor: Number(match[2]), patch: Number(match[3]), text: gitVersion as string}
}

/** Refuses versions whose flags or defaults twoliter does not know. */
export function checkSupportedVersion(version: CosignVersion, program: string): void {
  const tooOld = version.major < MIN_COSIGN.major
  if (tooOld || version.major >= UNSUPPORTED_COSIGN_MAJOR) {
    throw new SigningError(`${program} is cosign ${version.text}; twoliter drives cosign 2.x and 3.x only (${tooOld ? 'older ones lack the flags to sign without a transparency log' : 'newer ones may not write the legacy sha256-<hex>.sig signatures'}).`, {
      code: 'sign.cosign-version',
      hint: 'Install cosign 2.x or 3.x and point TWOLITER_COSIGN at it, or set TWOLITER_COSIGN=native to sign with twoliter\'s own implementation.',
    })
  }
}

function atLeast(version: CosignVersion, floor: {major: number; minor: number}): boolean {
  return version.major > floor.major || (version.major === floor.major && version.minor >= floor.minor)
}

/** The flags that keep cosign on the `sha256-<hex>.sig` tag and off the bundle format and referrers. */
export function legacyFormatFlags(version: CosignVersion, command: 'sign' | 'verify'): string[] {
  if (!atLeast(version, BUNDLE_FLAGS_SINCE)) return []
  return command === 'sign' ? ['--new-bundle-format=false', '--use-signing-config=false'] : ['--new-bundle-format=false']
}

export interface RegistryAccessFlags {
  /** The registry speaks plain HTTP (loopback, or in TWOLITER_INSECURE_REGISTRIES). */
  plainHttp: boolean
}

function registryFlags(registry: RegistryAccessFlags): string[] {
  return registry.plainHttp ? ['--allow-http-registry=true'] : []
}

export interface SignArgs extends RegistryAccessFlags {
  version: CosignVersion
  /** The private key file. */
  keyFile: string
  /** `registry/repository@sha256:<hex>`. */
  reference: string
  annotations?: Readonly<Record<string, string>>
}

/** `cosign sign` with a key file, nothing sent to a transparency log, no prompt; the password goes in the environment. */
export function signArgs(options: SignArgs): string[] {
  const annotations = Object.entries(options.annotations ?? {}).flatMap(([key, value]) => ['-a', annotationFlag(key, value)])
  return [
    'sign',
    '--key',
    options.keyFile,
    '--tlog-upload=false',
    '--yes',
    ...legacyFormatFlags(options.version, 'sign'),
    ...registryFlags(options),
    ...annotations,
    options.reference,
  ]
}

export interface VerifyArgs extends RegistryAccessFlags {
  version: CosignVersion
  /** The public key file. */
  publicKeyFile: string
  reference: string
}

/** `cosign verify` with a public key file, without looking for the signature in a transparency log. */
export function verifyArgs(options: VerifyArgs): string[] {
  return ['verify', '--key', options.publicKeyFile, '--insecure-ignore-tlog=true', ...legacyFormatFlags(options.version, 'verify'), ...registryFlags(options), options.reference]
}

/**
 * `-a` takes a comma-separated list (cobra's string slice, read as CSV): an annotation holding a comma or
 * a quote is quoted so that it stays one.
 */
export function annotationFlag(key: string, value: string): string {
  if (key === '' || key.includes('=')) {
    throw new SigningError(`The annotation key "${key}" cannot be passed to cosign.`, {code: 'sign.annotation', hint: 'Use annotation keys that are not empty and hold no "=".'})
  }

  const pair = `${key}=${value}`
  return /[",\r\n]/.test(pair) ? `"${pair.replaceAll('"', '""')}"` : pair
}

/**
 * The environment of a cosign run: the caller's (DOCKER_CONFIG and the docker config in HOME give cosign
 * its registry credentials), with the key's password in COSIGN_PASSWORD (set, even when empty, so that
 * cosign never prompts) for `sign`, and without any for `verify`.
 */
export function cosignEnv(base: NodeJS.ProcessEnv, password?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {...base}
  delete env.COSIGN_PASSWORD
  if (password !== undefined) env.COSIGN_PASSWORD = password
  return env
}

/** Why `cosign verify` failed, when that failure is an answer (no valid signature) rather than an error. */
export function classifyVerifyFailure(stderr: string): 'missing' | 'no-match' | undefined {
  if (/no signatures found/i.test(stderr)) return 'missing'
  if (/no matching signatures|invalid signature|signature mismatch|failed to verify signature/i.test(stderr)) return 'no-match'
  return undefined
}

/** The last lines of a tool's output, for an error message. */
export function outputTail(text: string, lines = 5): string {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .slice(-lines)
    .join(' / ')
}

/**
 * Whether twoliter speaks plain HTTP to the registry of `repository` (`host[:port]/path`), as its own
 * client decides: loopback hosts and those in TWOLITER_INSECURE_REGISTRIES (a host without a port covers
 * every port). cosign then gets `--allow-http-registry`.
 */
export function usesPlainHttp(repository: string, env: NodeJS.ProcessEnv): boolean {
  const registry = repository.split('/')[0]
  const host = hostOf(registry)
  const bare = host.startsWith('[') ? host.slice(1, -1) : host
  if (bare === 'localhost' || bare.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(bare) || bare === '::1') return true
  return (env.TWOLITER_INSECURE_REGISTRIES ?? '')
    .split(/[\s,]+/)
    .filter((entry) => entry !== '')
    .some((entry) => entry === registry || (entry === hostOf(entry) && entry === host))
}

function hostOf(registry: string): string {
  const bracket = registry.startsWith('[') ? registry.indexOf(']') : -1
  if (bracket !== -1) return registry.slice(0, bracket + 1)
  const colon = registry.lastIndexOf(':')
  return colon === -1 ? registry : registry.slice(0, colon)
}
