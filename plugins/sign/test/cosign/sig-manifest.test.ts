import {expect} from 'chai'
import {createHash} from 'node:crypto'

import {SigningError} from '../../src/cosign/errors.js'
import {
  appendSignature,
  buildSignatureImage,
  DOCKER_MANIFEST_MEDIA_TYPE,
  parseSignatureManifest,
  SIGNATURE_ANNOTATION,
  signatureEntry,
  signatureTag,
  SIMPLE_SIGNING_MEDIA_TYPE,
} from '../../src/cosign/sig-manifest.js'
import {COSIGN_TRACE, NEXUS0, SIGSTORE_RS} from './golden.js'

const sha256 = (bytes: Uint8Array | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

/** The signatures of sigstore-rs' two-signer manifest, as entries. */
function alpineEntries() {
  const {alpine} = SIGSTORE_RS
  return alpine.signatures.map((signature) => signatureEntry(Buffer.from(alpine.payload), signature))
}

describe('cosign signature manifests', () => {
  describe('signatureTag', () => {
    it('names the tag as cosign does', () => {
      expect(signatureTag(COSIGN_TRACE.manifestDigest)).to.equal(COSIGN_TRACE.tag)
    })

    it('refuses what is not a sha256 digest', () => {
      for (const bad of ['latest', 'sha256:abc', `sha512:${'a'.repeat(128)}`, `sha256:${'A'.repeat(64)}`]) {
        expect(() => signatureTag(bad)).to.throw(SigningError).with.property('code', 'cosign.digest-invalid')
      }
    })
  })

  describe('buildSignatureImage, against real cosign signature images', () => {
    it('writes the config cosign 2 writes for one signature (nexus0’s .sig config digest)', () => {
      const [layer] = NEXUS0.manifest.layers
      const entry = {...signatureEntry(Buffer.alloc(0), layer.annotations[SIGNATURE_ANNOTATION]), payloadDigest: layer.digest, payloadSize: layer.size}
      const image = buildSignatureImage([entry])
      expect(image.config.length).to.equal(NEXUS0.manifest.config.size)
      expect(image.configDigest).to.equal(NEXUS0.manifest.config.digest)
      expect(JSON.parse(image.manifest.toString())).to.deep.equal(NEXUS0.manifest)
    })

    it('writes the config for two signatures of one payload (sigstore-rs’ two-signer manifest)', () => {
      const image = buildSignatureImage(alpineEntries())
      expect(image.config.length).to.equal(SIGSTORE_RS.alpine.configSize)
      expect(image.configDigest).to.equal(SIGSTORE_RS.alpine.configDigest)
    })

    it('writes the manifest byte for byte as cosign v1.13.1 pushed it (only its config differs: cosign 1 recorded the time)', () => {
      const entry = signatureEntry(Buffer.from(COSIGN_TRACE.payload), COSIGN_TRACE.signature)
      expect(entry.payloadDigest).to.equal(COSIGN_TRACE.payloadDigest)
      const image = buildSignatureImage([entry])
      const created = /"created":"([^"]+)"/.exec(COSIGN_TRACE.config)![1]
      expect(image.config.toString().replace('"created":"0001-01-01T00:00:00Z"', `"created":"${created}"`)).to.equal(COSIGN_TRACE.config)
      expect(sha256(COSIGN_TRACE.config)).to.equal(COSIGN_TRACE.configDigest)
      const withTheirConfig = image.manifest
        .toString()
        .replace(`"size":${image.config.length},"digest":"${image.configDigest}"`, `"size":${COSIGN_TRACE.config.length},"digest":"${COSIGN_TRACE.configDigest}"`)
      expect(withTheirConfig).to.equal(COSIGN_TRACE.manifest)
      expect(sha256(withTheirConfig)).to.equal(COSIGN_TRACE.manifestRegistryDigest)
      expect(image.manifestMediaType).to.equal('application/vnd.oci.image.manifest.v1+json')
    })
  })

  describe('parseSignatureManifest', () => {
    it('reads the signature out of a real cosign manifest', () => {
      expect(parseSignatureManifest(Buffer.from(COSIGN_TRACE.manifest))).to.deep.equal([
        {
          mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
          payloadDigest: COSIGN_TRACE.payloadDigest,
          payloadSize: COSIGN_TRACE.payloadSize,
          signature: COSIGN_TRACE.signature,
          annotations: {[SIGNATURE_ANNOTATION]: COSIGN_TRACE.signature},
        },
      ])
    })

    it('reads every signer of a manifest with several, even of the same payload', () => {
      const manifest = Buffer.from(JSON.stringify(JSON.parse(buildSignatureImage(alpineEntries()).manifest.toString()), null, 2))
      const entries = parseSignatureManifest(manifest)
      expect(entries.map((entry) => entry.signature)).to.deep.equal(SIGSTORE_RS.alpine.signatures)
      expect(entries.map((entry) => entry.payloadDigest)).to.deep.equal([SIGSTORE_RS.alpine.payloadDigest, SIGSTORE_RS.alpine.payloadDigest])
    })

    it('refuses what is not a signature manifest, saying why', () => {
      const index = {schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: []}
      const noDigest = {schemaVersion: 2, config: {}, layers: [{mediaType: SIMPLE_SIGNING_MEDIA_TYPE, size: 1}]}
      const badAnnotation = {schemaVersion: 2, config: {}, layers: [{mediaType: SIMPLE_SIGNING_MEDIA_TYPE, size: 1, digest: `sha256:${'a'.repeat(64)}`, annotations: {x: 1}}]}
      for (const [bad, reason] of [
        ['{', /not JSON/],
        [JSON.stringify(index), /index/],
        [JSON.stringify(noDigest), /layer 1 has no sha256 digest/],
        [JSON.stringify(badAnnotation), /annotation x of layer 1/],
      ] as const) {
        expect(() => parseSignatureManifest(Buffer.from(bad)))
          .to.throw(SigningError, reason)
          .with.property('code', 'cosign.signature-manifest-corrupt')
      }
    })
  })

  describe('appendSignature', () => {
    const [first, second] = alpineEntries()

    it('starts a new signature image when there is none', () => {
      const result = appendSignature(undefined, first)
      expect(result.added).to.equal(true)
      if (result.added) expect(parseSignatureManifest(result.image.manifest)).to.deep.equal([first])
    })

    it('adds a second signer after the first, keeping the first layer as it was, and gives the two-layer config', () => {
      const result = appendSignature(Buffer.from(COSIGN_TRACE.manifest), second)
      expect(result.added).to.equal(true)
      if (!result.added) return
      const manifest = result.image.manifest.toString()
      const firstLayer = COSIGN_TRACE.manifest.slice(COSIGN_TRACE.manifest.indexOf('"layers":[') + 10, -2)
      expect(manifest).to.contain(`"layers":[${firstLayer},`)
      expect(parseSignatureManifest(result.image.manifest).map((entry) => entry.signature)).to.deep.equal([COSIGN_TRACE.signature, second.signature])
      const config = JSON.parse(result.image.config.toString())
      expect(config.rootfs.diff_ids).to.deep.equal([COSIGN_TRACE.payloadDigest, second.payloadDigest])
      expect(config.history).to.have.length(2)
    })

    it('gives sigstore-rs’ two-signer image when the second signer appends to the first’s', () => {
      const one = appendSignature(undefined, first)
      if (!one.added) throw new Error('not added')
      const two = appendSignature(one.image.manifest, second)
      if (!two.added) throw new Error('not added')
      expect(two.image.configDigest).to.equal(SIGSTORE_RS.alpine.configDigest)
      expect(two.image.manifest.equals(buildSignatureImage([first, second]).manifest)).to.equal(true)
    })

    it('does not add a signature that is there already, or one the caller says is a duplicate', () => {
      const present = appendSignature(Buffer.from(COSIGN_TRACE.manifest), signatureEntry(Buffer.from(COSIGN_TRACE.payload), COSIGN_TRACE.signature))
      expect(present).to.deep.include({added: false})
      const sameKey = appendSignature(Buffer.from(COSIGN_TRACE.manifest), signatureEntry(Buffer.from(COSIGN_TRACE.payload), 'MEUCIQ==another'), () => true)
      expect(sameKey.added).to.equal(false)
      if (!sameKey.added) expect(sameKey.duplicate.signature).to.equal(COSIGN_TRACE.signature)
      // Another payload is never a duplicate, whatever the caller says.
      expect(appendSignature(Buffer.from(COSIGN_TRACE.manifest), second, () => true).added).to.equal(true)
    })

    it('keeps the media types of a manifest cosign wrote with COSIGN_DOCKER_MEDIA_TYPES', () => {
      const docker = JSON.parse(COSIGN_TRACE.manifest)
      docker.mediaType = DOCKER_MANIFEST_MEDIA_TYPE
      docker.config.mediaType = 'application/vnd.docker.container.image.v1+json'
      const result = appendSignature(Buffer.from(JSON.stringify(docker)), second)
      if (!result.added) throw new Error('not added')
      expect(result.image.manifestMediaType).to.equal(DOCKER_MANIFEST_MEDIA_TYPE)
      expect(JSON.parse(result.image.manifest.toString())).to.deep.include({mediaType: DOCKER_MANIFEST_MEDIA_TYPE})
      expect(JSON.parse(result.image.manifest.toString()).config.mediaType).to.equal('application/vnd.docker.container.image.v1+json')
    })
  })
})
