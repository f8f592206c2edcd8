/**
 * When to try a registry request again: on 429 (after Retry-After when the registry gives one), on server
 * errors and on broken connections, with exponential backoff and full jitter, bounded in attempts and in
 * total time. Content that fails its digest check is never retried: the registry would send the same bytes.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number
  /** The backoff ceiling of the first retry; it doubles with every retry. */
  baseDelayMs: number
  /** No single backoff is longer than this (a Retry-After may be, within maxTotalMs). */
  maxDelayMs: number
  /** No retry starts after this much time since the first attempt. */
  maxTotalMs: number
}

export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {maxAttempts: 5, baseDelayMs: 250, maxDelayMs: 8000, maxTotalMs: 60_000}

/** What went wrong with one attempt. */
export type AttemptFailure = {status: number; retryAfterMs?: number} | {networkErrorCode: string}

export type RetryDecision = {retry: true; delayMs: number} | {retry: false; reason: string}

// 501 and 505 say the server will never do it; the other 5xx may pass.
const PERMANENT_SERVER_ERRORS = new Set([501, 505])

const TRANSIENT_NETWORK_ERRORS = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ECONNABORTED',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
])

export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599 && !PERMANENT_SERVER_ERRORS.has(status))
}

export function isRetryableNetworkError(code: string): boolean {
  return TRANSIENT_NETWORK_ERRORS.has(code)
}

/**
 * Whether to try again after `attempt` (1-based) failed, `elapsedMs` after the first attempt started.
 * `random` returns a number in [0, 1).
 */
export function decideRetry(policy: RetryPolicy, attempt: number, elapsedMs: number, failure: AttemptFailure, random: () => number = Math.random): RetryDecision {
  const retryable = 'status' in failure ? isRetryableStatus(failure.status) : isRetryableNetworkError(failure.networkErrorCode)
  if (!retryable) return {retry: false, reason: 'the failure is not transient'}
  if (attempt >= policy.maxAttempts) return {retry: false, reason: `${attempt} attempts failed`}
  const backoff = Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)))
  const retryAfterMs = 'status' in failure ? failure.retryAfterMs : undefined
  const delayMs = retryAfterMs === undefined ? backoff : Math.max(retryAfterMs, backoff)
  if (elapsedMs + delayMs > policy.maxTotalMs) {
    return {retry: false, reason: `waiting another ${Math.ceil(delayMs / 1000)} s would take longer than ${Math.round(policy.maxTotalMs / 1000)} s in all`}
  }

  return {retry: true, delayMs}
}

/** Retry-After in milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}
