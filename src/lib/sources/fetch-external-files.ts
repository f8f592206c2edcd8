/**
 * Fetching a package's external files on the host, before its (network-less) build: each file comes from
 * the local content-addressed cache when it is there, else from the first source that delivers it with the
 * expected SHA-512 (lookaside caches in order, then upstream when allowed; see external-file.ts).
 */

import {rm} from 'node:fs/promises'
import path from 'node:path'

import {TwoliterError, errorMessage} from '../errors.js'
import type {ExternalFile} from '../manifest/types.js'
import type {SourcesConfig} from '../project/sources-config.js'
import type {Logger} from '../ui/logger.js'
import {ContentCache} from './content-cache.js'
import {DownloadError, type DownloadResult, type TimeoutPolicy, downloadToFile} from './download.js'
import {type SourceCandidate, type SourceKind, checkedExternalFile, sourceCandidates} from './external-file.js'
import {type FailedFile, type FailedSource, allSourcesFailedError, noSourceError} from './fetch-errors.js'
import {locateExternalFileKey} from './manifest-location.js'
import {type RetryPolicy, withRetries} from './retry.js'

export interface PackageExternalFiles {
  /** The package's name, for messages. */
  name: string
  /** The package's directory. */
  dir: string
  /** The package's Cargo.toml, where errors point; `<dir>/Cargo.toml` when not given. */
  manifestPath?: string
  externalFiles: readonly ExternalFile[]
}

export interface HttpPolicy extends TimeoutPolicy, RetryPolicy {}

/**
 * A source that does not answer costs at most maxAttempts × responseTimeoutMs plus the waits between
 * attempts (about 1.5 minutes with these values) before the next source is tried.
 */
export const DEFAULT_HTTP_POLICY: HttpPolicy = {
  responseTimeoutMs: 30_000,
  stallTimeoutMs: 60_000,
  maxAttempts: 3,
  initialDelayMs: 1000,
  maxDelayMs: 10_000,
}

interface ProgressSubject {
  packageName: string
  fileName: string
}

export type FetchProgress = ProgressSubject &
  (
    | {kind: 'cached'; path: string; size: number}
    | {kind: 'downloading'; source: SourceKind; url: string; attempt: number}
    | {kind: 'received'; url: string; receivedBytes: number; totalBytes?: number}
    | {kind: 'source-failed'; source: SourceKind; url: string; reason: string}
    | {kind: 'fetched'; source: SourceKind; url: string; path: string; size: number}
  )

export interface FetchExternalFilesOptions {
  /** The content-addressed cache directory, shared across builds and projects; created when missing. */
  cacheDir: string
  logger: Logger
  signal?: AbortSignal
  onProgress?: (event: FetchProgress) => void
  /** Timeouts and retries; the defaults are DEFAULT_HTTP_POLICY. */
  http?: Partial<HttpPolicy>
}

/**
 * Makes sure every external file of `pkg` is in the local cache, verified, and returns the path of each,
 * keyed by its file name in the package (`path`, or the last segment of its URL), in manifest order.
 * Throws an ExternalFileError naming every URL tried when a file cannot be had.
 */
export async function fetchExternalFiles(
  pkg: PackageExternalFiles,
  config: SourcesConfig,
  options: FetchExternalFilesOptions,
): Promise<Record<string, string>> {
  const fetched: Record<string, string> = {}
  if (pkg.externalFiles.length === 0) return fetched

  const cache = new ContentCache(options.cacheDir)
  await cache.removeStaleTemporaryFiles()
  const fetcher = new ExternalFileFetcher(pkg, config, cache, options)
  for (const wanted of wantedFiles(pkg)) fetched[wanted.name] = await fetcher.fetch(wanted)

  return fetched
}

class ExternalFileFetcher {
  private readonly http: HttpPolicy
  private readonly logger: Logger

  constructor(
    private readonly pkg: PackageExternalFiles,
    private readonly config: SourcesConfig,
    private readonly cache: ContentCache,
    private readonly options: FetchExternalFilesOptions,
  ) {
    this.http = {...DEFAULT_HTTP_POLICY, ...options.http}
    this.logger = options.logger
  }

  async fetch(wanted: WantedFile): Promise<string> {
    const {file, name, sha512} = wanted
    const subject = {packageName: this.pkg.name, fileName: name}
    const cached = await this.cache.lookup(sha512, name, this.options.signal)
    if (cached.state === 'verified') {
      this.logger.debug(`${this.pkg.name}: ${name} is in the cache at ${cached.path}`)
      this.options.onProgress?.({...subject, kind: 'cached', path: cached.path, size: cached.size})
      return cached.path
    }

    if (cached.state === 'corrupt') {
      this.logger.warn(
        `${this.pkg.name}: the cached copy of ${name} at ${cached.path} is damaged (its SHA-512 is now ${cached.actualSha512}); fetching it again.`,
      )
    }

    const failures: FailedSource[] = []
    for (const candidate of sourceCandidates(file, name, sha512, this.config)) {
      const outcome = await this.tryCandidate(candidate, subject, sha512)
      if ('reason' in outcome) {
        failures.push(outcome)
        this.logger.debug(`${this.pkg.name}: ${name}: ${candidate.url}: ${outcome.reason}`)
        this.options.onProgress?.({...subject, kind: 'source-failed', source: candidate.kind, url: candidate.url, reason: outcome.reason})
        continue
      }

      this.warnAboutMismatches(failures, name, candidate.url)
      this.logger.info(`${this.pkg.name}: fetched ${name} (${formatSize(outcome.size)}) from ${candidate.url}`)
      this.options.onProgress?.({...subject, kind: 'fetched', source: candidate.kind, url: candidate.url, path: outcome.path, size: outcome.size})
      return outcome.path
    }

    const failed = await this.failedFile(wanted, failures)
    throw failed.failures.length === 0 ? noSourceError(failed) : allSourcesFailedError(failed)
  }

  /** Downloads from one source, with retries, into the cache; a FailedSource when it did not deliver. */
  private async tryCandidate(
    candidate: SourceCandidate,
    subject: ProgressSubject,
    sha512: string,
  ): Promise<{path: string; size: number} | FailedSource> {
    const temporaryFile = await this.cache.temporaryFile()
    let committed = false
    try {
      let downloaded: DownloadResult
      try {
        downloaded = await this.download(candidate, subject, temporaryFile)
      } catch (error) {
        if (error instanceof DownloadError) return {kind: candidate.kind, url: candidate.url, reason: error.message}
        throw error
      }

      if (downloaded.sha512 !== sha512) {
        return {kind: candidate.kind, url: candidate.url, reason: 'wrong SHA-512', actualSha512: downloaded.sha512}
      }

      const file = await this.cache.commit(temporaryFile, sha512, subject.fileName)
      committed = true
      return {path: file, size: downloaded.size}
    } finally {
      if (!committed) await rm(temporaryFile, {force: true})
    }
  }

  private download(candidate: SourceCandidate, subject: ProgressSubject, temporaryFile: string): Promise<DownloadResult> {
    const {signal, onProgress} = this.options
    return withRetries(
      (attempt) => {
        onProgress?.({...subject, kind: 'downloading', source: candidate.kind, url: candidate.url, attempt})
        return downloadToFile(candidate.url, temporaryFile, this.http, {
          signal,
          onBytes: onProgress && ((receivedBytes, totalBytes) => onProgress({...subject, kind: 'received', url: candidate.url, receivedBytes, totalBytes})),
        })
      },
      this.http,
      {
        retryable: (error) => (error instanceof DownloadError ? error : undefined),
        signal,
        onRetry: (error, attempt, delayMs) =>
          this.logger.debug(
            `${this.pkg.name}: ${candidate.url}: ${errorMessage(error)}; retrying in ${delayMs} ms (attempt ${attempt + 1} of ${this.http.maxAttempts})`,
          ),
      },
    )
  }

  /** A source that served the wrong file is worth knowing about even when another one had the right file. */
  private warnAboutMismatches(failures: readonly FailedSource[], name: string, usedUrl: string): void {
    for (const failure of failures) {
      if (failure.actualSha512 === undefined) continue
      this.logger.warn(
        `${this.pkg.name}: ${failure.url} served a different ${name} (SHA-512 ${failure.actualSha512}); it was discarded, and the expected file was fetched from ${usedUrl}.`,
      )
    }
  }

  private async failedFile(wanted: WantedFile, failures: FailedSource[]): Promise<FailedFile> {
    const manifestPath = manifestPathOf(this.pkg)
    return {
      packageName: this.pkg.name,
      fileName: wanted.name,
      url: wanted.file.url,
      forceUpstream: wanted.file.forceUpstream,
      expectedSha512: wanted.sha512,
      failures,
      config: this.config,
      locations: {
        url: await locateExternalFileKey(manifestPath, wanted.index, 'url'),
        sha512: await locateExternalFileKey(manifestPath, wanted.index, 'sha512'),
      },
    }
  }
}

/** An external file to fetch, with its position in the manifest (for error locations). */
interface WantedFile {
  file: ExternalFile
  index: number
  name: string
  sha512: string
}

/** The files to fetch, checked before any is fetched; an entry repeated with the same name and digest counts once. */
function wantedFiles(pkg: PackageExternalFiles): WantedFile[] {
  const wanted = new Map<string, WantedFile>()
  for (const [index, file] of pkg.externalFiles.entries()) {
    const {name, sha512} = checkedExternalFile(file, pkg.name)
    const earlier = wanted.get(name)
    if (earlier === undefined) wanted.set(name, {file, index, name, sha512})
    else if (earlier.sha512 !== sha512) throw duplicateNameError(pkg, name)
  }

  return [...wanted.values()]
}

function duplicateNameError(pkg: PackageExternalFiles, name: string): TwoliterError {
  return new TwoliterError(`package ${pkg.name}: two external files are both named ${name}, with different sha512.`, {
    hint: 'Give one of them another name with path = "FILE-NAME" in the package\'s Cargo.toml.',
    code: 'sources.duplicate-name',
    location: {file: manifestPathOf(pkg)},
  })
}

function manifestPathOf(pkg: PackageExternalFiles): string {
  return pkg.manifestPath ?? path.join(pkg.dir, 'Cargo.toml')
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`
  const units = ['KiB', 'MiB', 'GiB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }

  return `${value.toFixed(1)} ${units[unit]}`
}
