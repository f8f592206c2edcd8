/** The errors of fetching an external file, worded so the user knows which URL failed how, and what to do. */

import {type SourceLocation, TwoliterError, formatLocation} from '../errors.js'
import type {SourcesConfig} from '../project/sources-config.js'
import type {SourceKind} from './external-file.js'

/** One source that did not deliver the file. */
export interface FailedSource {
  kind: SourceKind
  url: string
  /** e.g. `HTTP 404 Not Found`, `network error: ...`, `no response within 30 s`, `wrong SHA-512`. */
  reason: string
  /** Set when the source delivered a file, but one with this digest instead of the expected one. */
  actualSha512?: string
}

/** A package's external file could not be fetched from any source; `failures` says what each source did. */
export class ExternalFileError extends TwoliterError {
  constructor(
    message: string,
    readonly packageName: string,
    readonly fileName: string,
    readonly failures: readonly FailedSource[],
    options: {hint: string; code: string; location?: SourceLocation},
  ) {
    super(message, options)
    this.name = 'ExternalFileError'
  }
}

export interface FailedFile {
  packageName: string
  fileName: string
  /** The upstream URL from Cargo.toml. */
  url: string
  forceUpstream: boolean
  expectedSha512: string
  failures: readonly FailedSource[]
  config: SourcesConfig
  /** Where the entry's `url` and `sha512` are written in Cargo.toml. */
  locations: {url: SourceLocation; sha512: SourceLocation}
}

export function noSourceError(file: FailedFile): ExternalFileError {
  return new ExternalFileError(
    `package ${file.packageName}: there is nowhere to fetch the external file ${file.fileName} from: lookaside-caches is empty and upstream-source-fallback is off.`,
    file.packageName,
    file.fileName,
    [],
    {
      hint: 'Name a lookaside cache in lookaside-caches of Twoliter.toml, or allow fetching from upstream with `upstream-source-fallback = true` there or with --upstream-source-fallback.',
      code: 'sources.no-source',
      location: file.locations.url,
    },
  )
}

/** Every source failed. When one of them served a file with the wrong digest, that is the error's subject. */
export function allSourcesFailedError(file: FailedFile): ExternalFileError {
  const mismatches = file.failures.filter((failure) => failure.actualSha512 !== undefined)
  const mismatch = mismatches.find((failure) => failure.kind === 'upstream') ?? mismatches[0]
  return mismatch === undefined ? unreachableError(file) : mismatchError(file, mismatch)
}

function unreachableError(file: FailedFile): ExternalFileError {
  const upstreamSkipped = !file.forceUpstream && !file.config.upstreamFallback
  const hint = upstreamSkipped
    ? `The lookaside caches did not deliver it, and upstream-source-fallback is off, so its upstream url ${file.url} was not tried: allow it with \`upstream-source-fallback = true\` in Twoliter.toml or --upstream-source-fallback, or add the file to a lookaside cache.`
    : `Check the network connection and the URLs; if the upstream file has moved, correct url at ${formatLocation(file.locations.url)}.`
  return new ExternalFileError(
    `package ${file.packageName}: cannot fetch the external file ${file.fileName}; ${triedList(file.failures)}.`,
    file.packageName,
    file.fileName,
    file.failures,
    {hint, code: 'sources.fetch-failed', location: file.locations.url},
  )
}

function mismatchError(file: FailedFile, mismatch: FailedSource): ExternalFileError {
  const others = file.failures.filter((failure) => failure !== mismatch)
  const alsoTried = others.length === 0 ? '' : ` Also ${triedList(others)}.`
  const where = mismatch.kind === 'lookaside' ? 'the lookaside cache' : 'upstream'
  return new ExternalFileError(
    `package ${file.packageName}: the external file ${file.fileName} from ${mismatch.url} has SHA-512 ${mismatch.actualSha512}, but Cargo.toml expects ${file.expectedSha512}; the download was discarded.${alsoTried}`,
    file.packageName,
    file.fileName,
    file.failures,
    {
      hint: `If the downloaded file is the one you want (e.g. you changed url to a new version), set sha512 = "${mismatch.actualSha512}" at ${formatLocation(file.locations.sha512)}. If url and sha512 are unchanged, the file ${where} serves has changed since the digest was recorded, or is damaged: find out which before trusting it.`,
      code: 'sources.sha512-mismatch',
      location: file.locations.sha512,
    },
  )
}

function triedList(failures: readonly FailedSource[]): string {
  const count = failures.length === 1 ? '1 URL' : `${failures.length} URLs`
  return `tried ${count}: ${failures.map((failure) => `${failure.url} (${failure.reason})`).join(', ')}`
}
