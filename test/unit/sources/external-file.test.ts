import {expect} from 'chai'

import type {ExternalFile} from '../../../src/lib/manifest/types.js'
import {checkedExternalFile, externalFileName, lookasideUrl, sourceCandidates} from '../../../src/lib/sources/external-file.js'
import {expectThrownTwoliterError} from '../project/helpers.js'

const SHA512 = 'ab'.repeat(64)

function externalFile(overrides: Partial<ExternalFile> = {}): ExternalFile {
  return {url: 'https://example.com/releases/v1/hello-1.0.tar.gz?download=1', sha512: SHA512, forceUpstream: false, bundleModules: [], ...overrides}
}

describe('external files: names and sources', () => {
  it('names a file after the last segment of its URL path, or after `path`', () => {
    expect(externalFileName(externalFile())).to.equal('hello-1.0.tar.gz')
    expect(externalFileName(externalFile({path: 'hello.tgz'}))).to.equal('hello.tgz')
  })

  it('builds lookaside URLs as <cache>/<name>/<sha512>/<name>, as buildsys does', () => {
    expect(lookasideUrl('https://cache.bottlerocket.aws', 'hello-1.0.tar.gz', SHA512)).to.equal(
      `https://cache.bottlerocket.aws/hello-1.0.tar.gz/${SHA512}/hello-1.0.tar.gz`,
    )
    expect(lookasideUrl('https://c.example.com/x', 'a#b?.tgz', SHA512)).to.equal(`https://c.example.com/x/a%23b%3F.tgz/${SHA512}/a%23b%3F.tgz`)
  })

  it('tries the lookaside caches in order, then upstream only when allowed or forced', () => {
    const caches = ['https://one.example.com', 'https://two.example.com']
    const urls = (file: ExternalFile, upstreamFallback: boolean) =>
      sourceCandidates(file, 'hello-1.0.tar.gz', SHA512, {lookasideCaches: caches, upstreamFallback}).map(({kind, url}) => `${kind} ${url}`)

    expect(urls(externalFile(), false)).to.deep.equal([
      `lookaside https://one.example.com/hello-1.0.tar.gz/${SHA512}/hello-1.0.tar.gz`,
      `lookaside https://two.example.com/hello-1.0.tar.gz/${SHA512}/hello-1.0.tar.gz`,
    ])
    expect(urls(externalFile(), true).at(-1)).to.equal('upstream https://example.com/releases/v1/hello-1.0.tar.gz?download=1')
    expect(urls(externalFile({forceUpstream: true}), false)).to.deep.equal(['upstream https://example.com/releases/v1/hello-1.0.tar.gz?download=1'])
  })

  it('refuses a name or digest that could not safely name a file in the cache', () => {
    expect(checkedExternalFile(externalFile({sha512: SHA512.toUpperCase()}), 'hello')).to.deep.equal({name: 'hello-1.0.tar.gz', sha512: SHA512})
    const badPath = expectThrownTwoliterError(() => checkedExternalFile(externalFile({path: '../escape'}), 'hello'), 'sources.invalid-external-file')
    expect(badPath.message).to.include('"../escape"').and.include('package hello')
    const badDigest = expectThrownTwoliterError(() => checkedExternalFile(externalFile({sha512: '../../etc'}), 'hello'), 'sources.invalid-external-file')
    expect(badDigest.message).to.include('not 128 hexadecimal characters')
    expectThrownTwoliterError(() => checkedExternalFile(externalFile({url: 'https://example.com/dir/'}), 'hello'), 'sources.invalid-external-file')
  })
})
