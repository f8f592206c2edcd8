import {expect} from 'chai'
import {Readable} from 'node:stream'
import {pipeline} from 'node:stream/promises'

import {DigestingStream, digestOfStream, isDigest, parseDigest, sha256Digest} from '../../../src/lib/oci/digest.js'
import {MediaType, manifestMediaType, parseImageIndex, parseImageManifest} from '../../../src/lib/oci/manifest.js'
import {formatPlatform, linuxPlatform, platformMatches} from '../../../src/lib/oci/platform.js'
import {expectThrownTwoliterError} from '../project/helpers.js'

const DIGEST = sha256Digest('x')

describe('digests', () => {
  it('reads sha256 and sha512 digests and refuses anything else', () => {
    expect(parseDigest(DIGEST)).to.deep.equal({algorithm: 'sha256', hex: DIGEST.slice(7)})
    expect(isDigest(`sha512:${'a'.repeat(128)}`)).to.equal(true)
    for (const text of ['sha256:abc', `sha256:${'A'.repeat(64)}`, `md5:${'a'.repeat(32)}`, `sha512:${'a'.repeat(64)}`]) {
      expect(isDigest(text), text).to.equal(false)
      expectThrownTwoliterError(() => parseDigest(text), 'oci.digest-invalid')
    }
  })

  it('hashes streams as they pass', async () => {
    const digesting = new DigestingStream()
    const seen: Buffer[] = []
    await pipeline(Readable.from([Buffer.from('ab'), Buffer.from('c')]), digesting, async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) seen.push(chunk)
    })
    expect(Buffer.concat(seen).toString()).to.equal('abc')
    expect(digesting.digest).to.equal(sha256Digest('abc'))
    expect(digesting.size).to.equal(3)
    expect(await digestOfStream(Readable.from([Buffer.from('abc')]))).to.deep.equal({digest: sha256Digest('abc'), size: 3})
  })
})

describe('manifests', () => {
  const index = {schemaVersion: 2, manifests: [{mediaType: MediaType.ociManifest, digest: DIGEST, size: 10, platform: {architecture: 'amd64', os: 'linux'}}]}
  const manifest = {schemaVersion: 2, config: {mediaType: MediaType.ociConfig, digest: DIGEST, size: 2}, layers: []}

  it('takes the media type the registry declares, else the document\'s, else its shape', () => {
    const bytes = Buffer.from(JSON.stringify({...index, mediaType: MediaType.dockerManifestList}))
    expect(manifestMediaType(bytes, `${MediaType.ociIndex}; charset=utf-8`)).to.equal(MediaType.ociIndex)
    expect(manifestMediaType(bytes, 'application/json')).to.equal(MediaType.dockerManifestList)
    expect(manifestMediaType(Buffer.from(JSON.stringify(index)), undefined)).to.equal(MediaType.ociIndex)
    expect(manifestMediaType(Buffer.from(JSON.stringify(manifest)), 'text/plain')).to.equal(MediaType.ociManifest)
  })

  it('reads indexes and image manifests and refuses malformed ones', () => {
    expect(parseImageIndex(Buffer.from(JSON.stringify(index)), 'index').manifests[0].platform).to.deep.equal({architecture: 'amd64', os: 'linux'})
    expect(parseImageManifest(Buffer.from(JSON.stringify(manifest)), 'manifest').config.size).to.equal(2)
    const notIndex = expectThrownTwoliterError(() => parseImageIndex(Buffer.from(JSON.stringify(manifest)), 'the index of x'), 'oci.manifest-invalid')
    expect(notIndex.message).to.include('the index of x')
    expectThrownTwoliterError(() => parseImageManifest(Buffer.from('{"schemaVersion": 2, "layers": [{"digest": "nope"}], "config": {}}'), 'm'), 'oci.manifest-invalid')
    expectThrownTwoliterError(() => parseImageIndex(Buffer.from('not json'), 'i'), 'oci.manifest-invalid')
  })
})

describe('platforms', () => {
  it('maps Bottlerocket and OCI architecture names', () => {
    expect(linuxPlatform('x86_64')).to.deep.equal({architecture: 'amd64', os: 'linux'})
    expect(linuxPlatform('aarch64')).to.deep.equal({architecture: 'arm64', os: 'linux'})
    expect(linuxPlatform('arm64')).to.deep.equal({architecture: 'arm64', os: 'linux'})
    expectThrownTwoliterError(() => linuxPlatform('sparc'), 'oci.architecture-unknown')
  })

  it('matches variants only when both name one', () => {
    const arm64 = linuxPlatform('aarch64')
    expect(platformMatches({...arm64, variant: 'v8'}, arm64)).to.equal(true)
    expect(platformMatches({...arm64, variant: 'v8'}, {...arm64, variant: 'v9'})).to.equal(false)
    expect(platformMatches(linuxPlatform('x86_64'), arm64)).to.equal(false)
    expect(platformMatches(undefined, arm64)).to.equal(false)
    expect(formatPlatform({...arm64, variant: 'v8'})).to.equal('linux/arm64/v8')
  })
})
