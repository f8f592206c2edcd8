import {expect} from 'chai'

import {ImageReference, splitRegistry} from '../../../src/lib/oci/reference.js'
import {expectThrownTwoliterError} from '../project/helpers.js'

const DIGEST = `sha256:${'ab'.repeat(32)}`

function parts(text: string): [string, string, string | undefined, string | undefined] {
  const reference = ImageReference.parse(text)
  return [reference.registry, reference.repository, reference.tag, reference.digest]
}

describe('image references', () => {
  it('reads registry, port, path, name and tag', () => {
    expect(parts('127.0.0.1:5000/kits/core-kit:v1.0.0')).to.deep.equal(['127.0.0.1:5000', 'kits/core-kit', 'v1.0.0', undefined])
    expect(parts('public.ecr.aws/bottlerocket/bottlerocket-sdk:v0.41.0')).to.deep.equal(['public.ecr.aws', 'bottlerocket/bottlerocket-sdk', 'v0.41.0', undefined])
    expect(parts('localhost/sdk')).to.deep.equal(['localhost', 'sdk', undefined, undefined])
    expect(parts('registry.example:443/a/b/c/d')).to.deep.equal(['registry.example:443', 'a/b/c/d', undefined, undefined])
  })

  it('reads digests, alone or after a tag', () => {
    expect(parts(`127.0.0.1:5000/kit@${DIGEST}`)).to.deep.equal(['127.0.0.1:5000', 'kit', undefined, DIGEST])
    expect(parts(`127.0.0.1:5000/kit:v1@${DIGEST}`)).to.deep.equal(['127.0.0.1:5000', 'kit', 'v1', DIGEST])
  })

  it('reads IPv6 literal registries', () => {
    expect(parts('[::1]:5000/kits/a:v1')).to.deep.equal(['[::1]:5000', 'kits/a', 'v1', undefined])
    expect(parts('[::1]/kits/a')).to.deep.equal(['[::1]', 'kits/a', undefined, undefined])
    expect(splitRegistry('[::1]:5000')).to.deep.equal({host: '::1', port: 5000})
    expect(splitRegistry('127.0.0.1')).to.deep.equal({host: '127.0.0.1', port: undefined})
  })

  it('gives references without a registry host to Docker Hub, as docker does', () => {
    expect(parts('busybox')).to.deep.equal(['docker.io', 'library/busybox', undefined, undefined])
    expect(parts('bottlerocket/sdk:v1')).to.deep.equal(['docker.io', 'bottlerocket/sdk', 'v1', undefined])
    // A first component without a dot, colon or brackets is a path; `host:5000` alone is a name and a tag.
    expect(parts('registry:5000')).to.deep.equal(['docker.io', 'library/registry', '5000', undefined])
  })

  it('names what the API fetches and prints back what it read', () => {
    const tagged = ImageReference.parse('127.0.0.1:5000/kits/a:v1')
    expect(tagged.identifier).to.equal('v1')
    expect(tagged.name).to.equal('127.0.0.1:5000/kits/a')
    expect(String(tagged)).to.equal('127.0.0.1:5000/kits/a:v1')
    const pinned = tagged.withDigest(DIGEST)
    expect(pinned.identifier).to.equal(DIGEST)
    expect(String(pinned)).to.equal(`127.0.0.1:5000/kits/a:v1@${DIGEST}`)
    expect(String(pinned.withTag('v2'))).to.equal('127.0.0.1:5000/kits/a:v2')
    expect(ImageReference.parse('localhost/a').identifier).to.equal('latest')
    expect(String(ImageReference.of({registry: 'r.example', repository: 'x/y'}, {tag: 't'}))).to.equal('r.example/x/y:t')
  })

  for (const [text, reason] of [
    ['', 'no repository'],
    ['127.0.0.1:5000/Kits/a:v1', "'Kits'"],
    ['127.0.0.1:5000/kits//a', "''"],
    ['127.0.0.1:5000/kits/a-:v1', "'a-'"],
    ['127.0.0.1:5000/kits/a:-v1', "'-v1' is not a valid tag"],
    [`127.0.0.1:5000/kits/a:${'x'.repeat(129)}`, 'not a valid tag'],
    ['127.0.0.1:5000/kits/a@sha256:abc', 'not a digest'],
    ['127.0.0.1:99999/kits/a', "'99999' is not a port"],
    ['bad_host.example/a', "'bad_host.example' is not a registry host"],
  ]) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      const error = expectThrownTwoliterError(() => ImageReference.parse(text), 'oci.reference-invalid')
      expect(error.message).to.include(reason)
      expect(error.hint).to.include('registry[:port]/path/name:tag')
    })
  }
})
