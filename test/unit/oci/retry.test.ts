import {expect} from 'chai'

import {decideRetry, DEFAULT_RETRY_POLICY, isRetryableNetworkError, isRetryableStatus, parseRetryAfter, type RetryPolicy} from '../../../src/lib/oci/retry.js'

const policy: RetryPolicy = {maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 1000, maxTotalMs: 10_000}
const highest = (): number => 0.999_999
const lowest = (): number => 0

describe('retry policy', () => {
  it('retries 429 and server errors, except those that say the server never will', () => {
    for (const status of [429, 500, 502, 503, 504, 599]) expect(isRetryableStatus(status), String(status)).to.equal(true)
    for (const status of [200, 400, 401, 403, 404, 416, 501, 505]) expect(isRetryableStatus(status), String(status)).to.equal(false)
  })

  it('retries broken connections, not refused ones or bad certificates', () => {
    for (const code of ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ERR_STREAM_PREMATURE_CLOSE']) expect(isRetryableNetworkError(code), code).to.equal(true)
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'EPROTO']) expect(isRetryableNetworkError(code), code).to.equal(false)
  })

  it('backs off exponentially with full jitter, up to the ceiling', () => {
    const ceilings = [1, 2, 3, 4].map((attempt) => decideRetry(policy, attempt, 0, {status: 503}, highest))
    expect(ceilings).to.deep.equal([99, 199, 399, 799].map((delayMs) => ({retry: true, delayMs})))
    expect(decideRetry({...policy, maxAttempts: 10}, 8, 0, {status: 503}, highest)).to.deep.equal({retry: true, delayMs: 999})
    expect(decideRetry(policy, 4, 0, {networkErrorCode: 'ECONNRESET'}, lowest)).to.deep.equal({retry: true, delayMs: 0})
    const sampled = Array.from({length: 200}, () => decideRetry(policy, 3, 0, {status: 500}))
    expect(sampled.every((decision) => decision.retry && decision.delayMs >= 0 && decision.delayMs < 400)).to.equal(true)
    expect(new Set(sampled.map((decision) => (decision.retry ? decision.delayMs : -1))).size).to.be.greaterThan(10)
  })

  it('stops after the last attempt and when the time is spent', () => {
    expect(decideRetry(policy, 5, 0, {status: 503}, lowest)).to.deep.equal({retry: false, reason: '5 attempts failed'})
    const late = decideRetry(policy, 2, 9950, {status: 503}, highest)
    expect(late.retry).to.equal(false)
    expect(late.retry === false && late.reason).to.include('longer than 10 s in all')
  })

  it('never retries what is not transient', () => {
    expect(decideRetry(policy, 1, 0, {status: 404}).retry).to.equal(false)
    expect(decideRetry(policy, 1, 0, {networkErrorCode: 'ECONNREFUSED'}).retry).to.equal(false)
  })

  it('waits at least as long as Retry-After, even beyond the backoff ceiling, within the total time', () => {
    expect(decideRetry(policy, 1, 0, {status: 429, retryAfterMs: 3000}, lowest)).to.deep.equal({retry: true, delayMs: 3000})
    expect(decideRetry(policy, 1, 0, {status: 429, retryAfterMs: 0}, highest)).to.deep.equal({retry: true, delayMs: 99})
    const tooLong = decideRetry(policy, 1, 0, {status: 429, retryAfterMs: 60_000}, lowest)
    expect(tooLong.retry === false && tooLong.reason).to.equal('waiting another 60 s would take longer than 10 s in all')
  })

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2024-10-11T12:00:00Z')
    expect(parseRetryAfter('7', now)).to.equal(7000)
    expect(parseRetryAfter(' 0 ', now)).to.equal(0)
    expect(parseRetryAfter('Fri, 11 Oct 2024 12:00:30 GMT', now)).to.equal(30_000)
    expect(parseRetryAfter('Fri, 11 Oct 2024 11:00:00 GMT', now)).to.equal(0)
    expect(parseRetryAfter('soon', now)).to.equal(undefined)
    expect(parseRetryAfter(undefined, now)).to.equal(undefined)
  })

  it('has bounded defaults', () => {
    expect(DEFAULT_RETRY_POLICY.maxAttempts).to.be.within(2, 10)
    expect(DEFAULT_RETRY_POLICY.maxTotalMs).to.be.at.most(120_000)
  })
})
