import {expect} from 'chai'

import {DownloadError, retryAfterMs} from '../../../src/lib/sources/download.js'
import {type RetryPolicy, retryDelay, withRetries} from '../../../src/lib/sources/retry.js'

const POLICY: RetryPolicy = {maxAttempts: 4, initialDelayMs: 5, maxDelayMs: 12}
const retryable = (error: unknown) => (error instanceof DownloadError ? error : undefined)

describe('retries', () => {
  it('doubles the wait after each failed attempt, up to the maximum', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelay(POLICY, attempt))).to.deep.equal([5, 10, 12, 12])
  })

  it('waits as long as Retry-After asks, but never longer than the maximum', () => {
    expect(retryDelay(POLICY, 1, 8)).to.equal(8)
    expect(retryDelay(POLICY, 1, 3_600_000)).to.equal(12)
  })

  it('reads Retry-After as seconds or as an HTTP date, and ignores anything else', () => {
    const now = Date.parse('2025-01-01T00:00:00Z')
    expect(retryAfterMs('2', now)).to.equal(2000)
    expect(retryAfterMs('Wed, 01 Jan 2025 00:00:03 GMT', now)).to.equal(3000)
    expect(retryAfterMs('Tue, 31 Dec 2024 00:00:00 GMT', now)).to.equal(0)
    expect(retryAfterMs('soon', now)).to.equal(undefined)
    expect(retryAfterMs(null, now)).to.equal(undefined)
  })

  it('retries transient failures until an attempt succeeds', async () => {
    const attempts: number[] = []
    const result = await withRetries(
      async (attempt) => {
        attempts.push(attempt)
        if (attempt < 3) throw new DownloadError('HTTP 503 Service Unavailable', true)
        return 'done'
      },
      POLICY,
      {retryable},
    )
    expect(result).to.equal('done')
    expect(attempts).to.deep.equal([1, 2, 3])
  })

  it('stops after maxAttempts and throws the last failure', async () => {
    let attempts = 0
    const failing = withRetries(
      async (attempt) => {
        attempts++
        throw new DownloadError(`HTTP 502 attempt ${attempt}`, true)
      },
      POLICY,
      {retryable},
    )
    await expectRejection(failing, 'HTTP 502 attempt 4')
    expect(attempts).to.equal(POLICY.maxAttempts)
  })

  it('does not retry a failure that is not transient, nor an error it does not know', async () => {
    let attempts = 0
    await expectRejection(
      withRetries(async () => {
        attempts++
        throw new DownloadError('HTTP 404 Not Found', false)
      }, POLICY, {retryable}),
      'HTTP 404 Not Found',
    )
    await expectRejection(
      withRetries(async () => {
        attempts++
        throw new Error('a bug')
      }, POLICY, {retryable}),
      'a bug',
    )
    expect(attempts).to.equal(2)
  })

  it('stops waiting when the signal aborts', async () => {
    const controller = new AbortController()
    const slow: RetryPolicy = {maxAttempts: 2, initialDelayMs: 60_000, maxDelayMs: 60_000}
    const pending = withRetries(
      async () => {
        throw new DownloadError('HTTP 503', true)
      },
      slow,
      {retryable, signal: controller.signal, onRetry: () => controller.abort(new Error('stopped'))},
    )
    await expectRejection(pending, 'stopped')
  })
})

async function expectRejection(promise: Promise<unknown>, message: string): Promise<void> {
  let outcome: unknown
  try {
    await promise
  } catch (error) {
    outcome = error
  }

  expect(outcome).to.be.instanceOf(Error)
  expect((outcome as Error).message).to.equal(message)
}
