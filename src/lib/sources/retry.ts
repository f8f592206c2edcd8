import {setTimeout as sleep} from 'node:timers/promises'

export interface RetryPolicy {
  /** Attempts per URL, the first included. */
  maxAttempts: number
  /** The wait before the first retry; it doubles for each further one. */
  initialDelayMs: number
  /** No wait is longer than this, whatever the server's Retry-After asks for. */
  maxDelayMs: number
}

/** A failure that may go away if the same request is made again (5xx, a reset connection, a timeout). */
export interface RetryableFailure {
  transient: boolean
  /** The server's Retry-After, when it sent one. */
  retryAfterMs?: number
}

/**
 * Runs `action` until it succeeds, fails for good, or has been tried `maxAttempts` times. Only errors that
 * `retryable` recognises as transient are retried; anything else (including an abort) is thrown at once.
 */
export async function withRetries<T>(
  action: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  options: {
    retryable: (error: unknown) => RetryableFailure | undefined
    signal?: AbortSignal
    onRetry?: (error: unknown, attempt: number, delayMs: number) => void
  },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await action(attempt)
    } catch (error) {
      const failure = options.retryable(error)
      if (!failure?.transient || attempt >= policy.maxAttempts) throw error
      const delayMs = retryDelay(policy, attempt, failure.retryAfterMs)
      options.onRetry?.(error, attempt, delayMs)
      await sleep(delayMs, undefined, {signal: options.signal}).catch((sleepError: unknown) => {
        // Like an abort during a download: the caller gets the reason it aborted with.
        throw options.signal?.aborted ? options.signal.reason : sleepError
      })
    }
  }
}

/** The wait after failed attempt number `attempt` (1-based). */
export function retryDelay(policy: RetryPolicy, attempt: number, retryAfterMs?: number): number {
  const backoff = policy.initialDelayMs * 2 ** (attempt - 1)
  return Math.min(policy.maxDelayMs, retryAfterMs ?? backoff)
}
