import {expect} from 'chai'
import {createHash} from 'node:crypto'

import {SigningError} from '../../src/cosign/errors.js'
import {checkPayload, parsePayload, sameRepository, simpleSigningPayload} from '../../src/cosign/payload.js'
import {COSIGN_TRACE, NEXUS0, SIGSTORE_RS} from './golden.js'

const sha256 = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

describe('cosign simple-signing payload', () => {
  describe('bytes exactly as cosign writes them', () => {
    it('matches the payload blob of a real `cosign sign` (its digest is the layer digest cosign pushed)', () => {
      // jeffhuang4704/just-notes cosign/cosign-traffic.md: cosign v1.13.1 on Docker Hub.
      const payload = simpleSigningPayload({dockerReference: COSIGN_TRACE.dockerReference, manifestDigest: COSIGN_TRACE.manifestDigest})
      expect(payload.toString('utf8')).to.equal(COSIGN_TRACE.payload)
      expect(payload.length).to.equal(COSIGN_TRACE.payloadSize)
      expect(sha256(payload)).to.equal(COSIGN_TRACE.payloadDigest)
    })

    it('matches the payloads of sigstore-rs’ cosign test data (the signed bytes)', () => {
      for (const {dockerReference, manifestDigest, payload} of [SIGSTORE_RS.busybox, SIGSTORE_RS.alpine]) {
        expect(simpleSigningPayload({dockerReference, manifestDigest}).toString('utf8')).to.equal(payload)
      }

      expect(sha256(Buffer.from(SIGSTORE_RS.alpine.payload))).to.equal(SIGSTORE_RS.alpine.payloadDigest)
    })

    it('writes annotations under optional with sorted keys, as `cosign verify` printed them', () => {
      const payload = simpleSigningPayload({
        dockerReference: 'index.docker.io/pyrrhus/nexus0',
        manifestDigest: 'sha256:2370cc6b72bbeb73eab1f2edf3e22a5e30c785877b82a5d2ea79302742243927',
        annotations: {repo: 'pyrrhus/nexus0', commit: 'fbc8d91acd7fac6a70a46d71d88b15b8550fe2d8'},
      })
      expect(payload.toString('utf8')).to.equal(NEXUS0.verifiedPayload)
    })

    it('writes no annotations as null, and escapes as Go does', () => {
      const base = {dockerReference: 'r.example/a', manifestDigest: `sha256:${'a'.repeat(64)}`}
      expect(simpleSigningPayload({...base, annotations: {}}).toString()).to.match(/"optional":null}$/)
      // Go's encoding/json escapes <, > and & (HTML safety) and U+2028/U+2029.
      expect(simpleSigningPayload({...base, annotations: {'b&': '<x>', a: 'line\u2028sep "q"'}}).toString()).to.match(
        /"optional":\{"a":"line\\u2028sep \\"q\\"","b\\u0026":"\\u003cx\\u003e"\}\}$/,
      )
    })

    it('refuses a digest or repository that cannot be right', () => {
      expect(() => simpleSigningPayload({dockerReference: 'r.example/a', manifestDigest: 'latest'})).to.throw(SigningError)
      expect(() => simpleSigningPayload({dockerReference: 'r.example/a@sha256:00', manifestDigest: `sha256:${'a'.repeat(64)}`})).to.throw(SigningError)
    })
  })

  describe('parsePayload and checkPayload', () => {
    const {busybox} = SIGSTORE_RS
    const payload = Buffer.from(busybox.payload)

    it('reads the claims of a real payload', () => {
      expect(parsePayload(payload)).to.deep.equal({dockerReference: busybox.dockerReference, manifestDigest: busybox.manifestDigest, type: 'cosign container image signature', optional: null})
      expect(parsePayload(Buffer.from(NEXUS0.verifiedPayload)).optional).to.deep.equal({commit: 'fbc8d91acd7fac6a70a46d71d88b15b8550fe2d8', repo: 'pyrrhus/nexus0'})
    })

    it('finds nothing wrong for the right digest and repository', () => {
      expect(checkPayload(payload, {manifestDigest: busybox.manifestDigest})).to.deep.equal([])
      expect(checkPayload(payload, {manifestDigest: busybox.manifestDigest, dockerReference: busybox.dockerReference})).to.deep.equal([])
    })

    it('reports another digest, another repository, another type, or not a payload', () => {
      const otherDigest = `sha256:${'0'.repeat(64)}`
      expect(checkPayload(payload, {manifestDigest: otherDigest}).map((problem) => problem.kind)).to.deep.equal(['digest-mismatch'])
      expect(checkPayload(payload, {manifestDigest: busybox.manifestDigest, dockerReference: 'registry-testing.svc.lan/alpine'}).map((problem) => problem.kind)).to.deep.equal([
        'identity-mismatch',
      ])
      const attestation = Buffer.from(busybox.payload.replace('cosign container image signature', 'https://in-toto.io/Statement/v0.1'))
      expect(checkPayload(attestation, {manifestDigest: busybox.manifestDigest}).map((problem) => problem.kind)).to.deep.equal(['wrong-type'])
      for (const corrupt of ['', 'null', '{"critical":{}}', '{"critical":{"identity":{"docker-reference":"a"},"image":{},"type":"x"}}']) {
        const [problem] = checkPayload(Buffer.from(corrupt), {manifestDigest: busybox.manifestDigest})
        expect(problem.kind).to.equal('corrupt')
        expect(problem.detail).to.match(/simple-signing/)
      }
    })

    it('treats Docker Hub’s spellings of one repository as the same', () => {
      expect(sameRepository('index.docker.io/library/alpine', 'docker.io/alpine')).to.equal(true)
      expect(sameRepository('index.docker.io/chihjenhuang/cosign1', 'docker.io/chihjenhuang/cosign1')).to.equal(true)
      expect(sameRepository('127.0.0.1:5000/a', '127.0.0.1:5000/b')).to.equal(false)
      expect(sameRepository('ghcr.io/alpine', 'docker.io/alpine')).to.equal(false)
    })
  })
})
