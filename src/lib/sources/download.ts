/**
 * One HTTP download of one URL into one file, hashed (SHA-512) as it streams to disk, so that neither a
 * large file nor its hash input is ever held in memory. Redirects are followed. Retrying and choosing the
 * next source are the caller's business; this only says whether a failure is worth retrying.
 */

import {createHash} from 'node:crypto'
import {createWriteStream} from 'node:fs'
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'

import {TwoliterError, errorMessage} from '../errors.js'
import type {RetryableFailure} from './retry.js'

export interface TimeoutPolicy {
  /** How long to wait for the response's status and headers. */
  responseTimeoutMs: number
  /**
   * How long the body may go without a single byte arriving. A download that keeps making progress is not
   * cut short, however large the file and slow the link.
   */
  stallTimeoutMs: number
}

export interface DownloadResult {
  size: number
  /** Lower-case hex. */
  sha512: string
}

/** Why a URL did not deliver a file: an HTTP status, a network error or a timeout. */
export class DownloadError extends Error implements RetryableFailure {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message)
    this.name = 'DownloadError'
  }
}

const TRANSIENT_STATUSES = new Set([408, 429])
// 501 and 505 say the server will never do it; the other 5xx may pass.
const PERMANENT_SERVER_ERRORS = new Set([501, 505])

/** Network error codes of a connection that broke or timed out rather than one that was refused or unknown. */
const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
])

/**
 * Downloads `url` into `file` (created or truncated). Throws a DownloadError when the URL fails, a
 * TwoliterError when `file` cannot be written, and the signal's reason when `signal` aborts.
 */
export async function downloadToFile(
  url: string,
  file: string,
  timeouts: TimeoutPolicy,
  options: {signal?: AbortSignal; onBytes?: (receivedBytes: number, totalBytes: number | undefined) => void} = {},
): Promise<DownloadResult> {
  const watchdog = new Watchdog()
  const signal = options.signal ? AbortSignal.any([options.signal, watchdog.signal]) : watchdog.signal
  try {
    watchdog.arm(timeouts.responseTimeoutMs, `no response within ${duration(timeouts.responseTimeoutMs)}`)
    const response = await fetch(url, {signal, redirect: 'follow'})
    if (!response.ok) {
      await response.body?.cancel()
      throw httpError(response, url)
    }

    const totalBytes = contentLength(response)
    const hash = createHash('sha512')
    let size = 0
    watchdog.arm(timeouts.stallTimeoutMs, `no data received for ${duration(timeouts.stallTimeoutMs)}`)
    await pipeline(
      response.body === null ? Readable.from([]) : Readable.fromWeb(response.body),
      async function* (chunks: AsyncIterable<Uint8Array>) {
        for await (const chunk of chunks) {
          watchdog.feed()
          hash.update(chunk)
          size += chunk.length
          options.onBytes?.(size, totalBytes)
          yield chunk
        }
      },
      // Flushed before the file is renamed into the cache, so a crash cannot leave a cached file without its data.
      createWriteStream(file, {flush: true}),
      {signal},
    )
    return {size, sha512: hash.digest('hex')}
  } catch (error) {
    throw classifyFailure(error, file, watchdog, options.signal)
  } finally {
    watchdog.disarm()
  }
}

function classifyFailure(error: unknown, file: string, watchdog: Watchdog, userSignal: AbortSignal | undefined): unknown {
  if (userSignal?.aborted) return userSignal.reason
  if (watchdog.reason !== undefined) return new DownloadError(watchdog.reason, true)
  if (error instanceof DownloadError) return error
  if ((error as NodeJS.ErrnoException).path === file) {
    return new TwoliterError(`cannot write the download to ${file}: ${errorMessage(error)}.`, {
      hint: 'Check that the cache directory is writable and its file system has free space.',
      code: 'sources.cache-unwritable',
      cause: error,
    })
  }

  const cause = innermostCause(error)
  const code = (cause as NodeJS.ErrnoException).code
  // undici reports a body cut short as "terminated", with the socket error (if any) as its cause.
  const transient = (code !== undefined && TRANSIENT_NETWORK_CODES.has(code)) || errorMessage(error) === 'terminated'
  const detail = cause === error ? errorMessage(error) : `${errorMessage(error)}: ${errorMessage(cause)}`
  return new DownloadError(`network error: ${detail}`, transient)
}

function httpError(response: Response, requestedUrl: string): DownloadError {
  const status = `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`
  const redirected = response.url && response.url !== requestedUrl ? ` (redirected to ${response.url})` : ''
  const transient = TRANSIENT_STATUSES.has(response.status) || (response.status >= 500 && !PERMANENT_SERVER_ERRORS.has(response.status))
  return new DownloadError(`${status}${redirected}`, transient, retryAfterMs(response.headers.get('retry-after')))
}

/** Retry-After as seconds or as an HTTP date. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000
  const date = Date.parse(header)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

function contentLength(response: Response): number | undefined {
  const header = response.headers.get('content-length')
  return header !== null && /^\d+$/.test(header) ? Number(header) : undefined
}

function innermostCause(error: unknown): unknown {
  let current = error
  while (current instanceof Error && current.cause !== undefined) current = current.cause
  return current
}

function duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`
}

/** Aborts its signal when it is not fed for the armed duration, remembering why. */
class Watchdog {
  reason?: string
  private readonly controller = new AbortController()
  private timer?: NodeJS.Timeout

  get signal(): AbortSignal {
    return this.controller.signal
  }

  arm(ms: number, reason: string): void {
    this.disarm()
    this.timer = setTimeout(() => {
      this.reason = reason
      this.controller.abort(new Error(reason))
    }, ms)
  }

  /** Restarts the current countdown. */
  feed(): void {
    this.timer?.refresh()
  }

  disarm(): void {
    clearTimeout(this.timer)
    this.timer = undefined
  }
}
