import {expect} from 'chai'
import {createHash, randomUUID} from 'node:crypto'

import {blobFromBytes, RegistryClient} from '../../../../src/lib/oci/index.js'
import {useTestRegistry} from '../../../../test/helpers/registry.js'
import {type SignatureStore, signImage, verifyImage} from '../../src/cosign/attach.js'
import {decryptPrivateKey, generateKeyPair, keyId} from '../../src/cosign/keys.js'
import {parsePayload, simpleSigningPayload} from '../../src/cosign/payload.js'
import {buildSignatureImage, OCI_MANIFEST_MEDIA_TYPE, parseSignatureManifest, signatureEntry, signatureTag} from '../../src/cosign/sig-manifest.js'

const sha256 = (bytes: Uint8Array): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

/** The store twoliter's core will plug in: its registry client, seen through the plugin's four calls. */
function registryStore(client: RegistryClient, registry: string): SignatureStore {
  return {
    async getManifest(repository, reference) {
      const ref = `${registry}/${repository}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`
      if ((await client.headManifest(ref)) === undefined) return undefined
      const fetched = await client.getManifest(ref)
      return {bytes: fetched.bytes, mediaType: fetched.mediaType}
    },
    getBlob: (repository, digest) => client.getBlob({registry, repository}, digest),
    async putBlob(repository, bytes) {
      const blob = blobFromBytes(bytes)
      await client.pushBlob({registry, repository}, blob)
      return blob.digest
    },
    async putManifest(repository, tag, bytes, mediaType) {
      await client.pushManifest(`${registry}/${repository}:${tag}`, bytes, mediaType)
    },
  }
}

/** A store in memory, for the cases a registry would refuse to hold (blobs that do not match their digest). */
class MemoryStore implements SignatureStore {
  readonly manifests = new Map<string, {bytes: Buffer; mediaType: string}>()
  readonly blobs = new Map<string, Buffer>()

  async getManifest(repository: string, reference: string): Promise<{bytes: Buffer; mediaType: string} | undefined> {
    return this.manifests.get(`${repository}:${reference}`)
  }

  async getBlob(repository: string, digest: string): Promise<Buffer> {
    const blob = this.blobs.get(`${repository}@${digest}`)
    if (blob === undefined) throw new Error(`blob unknown: ${digest}`)
    return blob
  }

  async putBlob(repository: string, bytes: Buffer): Promise<string> {
    const digest = sha256(bytes)
    this.blobs.set(`${repository}@${digest}`, Buffer.from(bytes))
    return digest
  }

  async putManifest(repository: string, tag: string, bytes: Buffer, mediaType: string): Promise<void> {
    this.manifests.set(`${repository}:${tag}`, {bytes: Buffer.from(bytes), mediaType})
  }
}

interface Harness {
  store: SignatureStore
  repository: string
  /** The repository as signatures name it. */
  dockerReference: string
  /** Pushes a small image and resolves to its digest. */
  pushImage(): Promise<string>
}

/** Pushes a tiny (not runnable) OCI image: a layer, its config, the manifest. */
async function pushTinyImage(store: SignatureStore, repository: string, putManifest: (bytes: Buffer) => Promise<void>): Promise<string> {
  const layer = Buffer.from(`layer ${randomUUID()}`)
  const layerDigest = await store.putBlob(repository, layer)
  const config = Buffer.from(JSON.stringify({architecture: 'amd64', os: 'linux', rootfs: {type: 'layers', diff_ids: [layerDigest]}, config: {}}))
  const configDigest = await store.putBlob(repository, config)
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST_MEDIA_TYPE,
      config: {mediaType: 'application/vnd.oci.image.config.v1+json', size: config.length, digest: configDigest},
      layers: [{mediaType: 'application/vnd.oci.image.layer.v1.tar', size: layer.length, digest: layerDigest}],
    }),
  )
  await putManifest(manifest)
  return sha256(manifest)
}

async function newKey(password = 'pw'): Promise<{privateKeyPem: string; publicKeyPem: string; privateKey: Awaited<ReturnType<typeof decryptPrivateKey>>}> {
  // A cheaper scrypt than cosign's, to keep the suite quick; the format is the same.
  const pair = await generateKeyPair(password, {scrypt: {N: 1024, r: 8, p: 1}})
  return {...pair, privateKey: await decryptPrivateKey(pair.privateKeyPem, password)}
}

function attachScenarios(harness: () => Harness): void {
  it('round trip: generate, decrypt, sign, verify', async () => {
    const {store, repository, dockerReference, pushImage} = harness()
    const pair = await generateKeyPair('pw')
    const privateKey = await decryptPrivateKey(pair.privateKeyPem, 'pw')
    const manifestDigest = await pushImage()
    const signed = await signImage({store, repository, dockerReference, manifestDigest, privateKey})
    expect(signed).to.deep.include({tag: signatureTag(manifestDigest), added: true, keyId: keyId(pair.publicKeyPem)})
    const stored = await store.getManifest(repository, signed.tag)
    expect(sha256(stored!.bytes)).to.equal(signed.signatureManifestDigest)
    const [entry] = parseSignatureManifest(stored!.bytes)
    expect(entry).to.deep.include({payloadDigest: signed.payloadDigest, signature: signed.signature})
    expect(parsePayload(await store.getBlob(repository, entry.payloadDigest))).to.deep.include({dockerReference, manifestDigest})
    const verified = await verifyImage({store, repository, dockerReference, manifestDigest, publicKeys: [pair.publicKeyPem]})
    expect(verified).to.deep.equal({verified: true, keyId: keyId(pair.publicKeyPem), signatures: 1, payloadDigest: signed.payloadDigest})
  })

  it('an unsigned image is missing its signature', async () => {
    const {store, repository, dockerReference, pushImage} = harness()
    const manifestDigest = await pushImage()
    const result = await verifyImage({store, repository, dockerReference, manifestDigest, publicKeys: (await newKey()).publicKeyPem})
    expect(result).to.deep.include({verified: false, reason: 'missing', signatures: 0})
  })

  it('a signature by another key does not verify', async () => {
    const {store, repository, dockerReference, pushImage} = harness()
    const [signer, stranger] = [await newKey(), await newKey()]
    const manifestDigest = await pushImage()
    await signImage({store, repository, dockerReference, manifestDigest, privateKey: signer.privateKey})
    const result = await verifyImage({store, repository, dockerReference, manifestDigest, publicKeys: stranger.publicKeyPem})
    expect(result).to.deep.include({verified: false, reason: 'bad-signature', signatures: 1})
    if (!result.verified) expect(result.detail).to.match(/not made by the given public key/)
  })

  it('a tampered payload (a new payload blob under the old signature) does not verify', async () => {
    const {store, repository, dockerReference, pushImage} = harness()
    const signer = await newKey()
    const manifestDigest = await pushImage()
    const signed = await signImage({store, repository, dockerReference, manifestDigest, privateKey: signer.privateKey})
    const tampered = simpleSigningPayload({dockerReference, manifestDigest, annotations: {approved: 'yes'}})
    const image = buildSignatureImage([signatureEntry(tampered, signed.signature)])
    await store.putBlob(repository, tampered)
    await store.putBlob(repository, image.config)
    await store.putManifest(repository, signed.tag, image.manifest, image.manifestMediaType)
    expect(await verifyImage({store, repository, dockerReference, manifestDigest, publicKeys: signer.publicKeyPem})).to.deep.include({verified: false, reason: 'bad-signature'})
  })

  it('a valid signature of another image (copied to this image’s tag) is a digest mismatch', async () => {
    const {store, repository, dockerReference, pushImage} = harness()
    const signer = await newKey()
    const [signedDigest, otherDigest] = [await pushImage(), await pushImage()]
    const signed = await signImage({store, repository, dockerReference, manifestDigest: signedDigest, privateKey: signer.privateKey})
    const manifest = await store.getManifest(repository, signed.tag)
    await store.putManifest(repository, signatureTag(otherDigest), manifest!.bytes, manifest!.mediaType)
    const result = await verifyImage({store, repository, dockerReference, manifestDigest: otherDigest, publicKeys: signer.publicKeyPem})
    expect(result).to.deep.include({verified: false, reason: 'digest-mismatch'})
    if (!result.verified) expect(result.detail).to.contain(signedDigest)
  })

  it('a signature for another repository is an identity mismatch when the repository is checked', async () => {
    const {store, repository, dockerReference, pushImage} = harness()
    const signer = await newKey()
    const manifestDigest = await pushImage()
    await signImage({store, repository, dockerReference: `${dockerReference}-elsewhere`, manifestDigest, privateKey: signer.privateKey})
    const checked = await verifyImage({store, repository, dockerReference, manifestDigest, publicKeys: signer.publicKeyPem})
    expect(checked).to.deep.include({verified: false, reason: 'identity-mismatch'})
    // Like `cosign verify`, which checks only the digest, when no repository is asked for.
    expect(await verifyImage({store, repository, manifestDigest, publicKeys: signer.publicKeyPem})).to.deep.include({verified: true})
  })

  it('two signers: two layers, each verifies with its own key; signing again with a key adds nothing', async () => {
    const {store, repository, dockerReference, pushImage} = harness()
    const [first, second] = [await newKey(), await newKey()]
    const manifestDigest = await pushImage()
    const one = await signImage({store, repository, dockerReference, manifestDigest, privateKey: first.privateKey, annotations: {signer: 'first'}})
    const two = await signImage({store, repository, dockerReference, manifestDigest, privateKey: second.privateKey})
    expect(two.added).to.equal(true)
    const manifest = await store.getManifest(repository, two.tag)
    expect(parseSignatureManifest(manifest!.bytes).map((entry) => entry.signature)).to.deep.equal([one.signature, two.signature])
    for (const key of [first, second]) {
      expect(await verifyImage({store, repository, dockerReference, manifestDigest, publicKeys: key.publicKeyPem})).to.deep.include({verified: true, keyId: keyId(key.publicKeyPem), signatures: 2})
    }

    // Several keys: the first layer a key made wins (private key objects do as public keys).
    expect(await verifyImage({store, repository, dockerReference, manifestDigest, publicKeys: [second.privateKey, first.publicKeyPem]})).to.deep.include({verified: true, keyId: keyId(first.publicKeyPem)})

    const again = await signImage({store, repository, dockerReference, manifestDigest, privateKey: first.privateKey, annotations: {signer: 'first'}})
    expect(again).to.deep.include({added: false, signature: one.signature, signatureManifestDigest: two.signatureManifestDigest})
    expect((await store.getManifest(repository, two.tag))!.bytes.equals(manifest!.bytes)).to.equal(true)
    // Other claims are another payload: a new signature.
    expect((await signImage({store, repository, dockerReference, manifestDigest, privateKey: first.privateKey})).added).to.equal(true)
  })

  it('a .sig tag that is not a signature manifest is corrupt', async () => {
    const {store, repository, dockerReference, pushImage} = harness()
    const manifestDigest = await pushImage()
    const notSignatures = await pushTinyImage(store, repository, async (bytes) => store.putManifest(repository, signatureTag(manifestDigest), bytes, OCI_MANIFEST_MEDIA_TYPE))
    expect(notSignatures).to.match(/^sha256:/)
    const result = await verifyImage({store, repository, dockerReference, manifestDigest, publicKeys: (await newKey()).publicKeyPem})
    expect(result).to.deep.include({verified: false, reason: 'corrupt', signatures: 1})
  })
}

describe('cosign signImage and verifyImage', function () {
  this.timeout(60_000)

  describe('with an in-memory store', () => {
    let memory: MemoryStore
    beforeEach(() => {
      memory = new MemoryStore()
    })
    const repository = 'kits/core'
    attachScenarios(() => ({
      store: memory,
      repository,
      dockerReference: `registry.example/${repository}`,
      pushImage: () => pushTinyImage(memory, repository, (bytes) => memory.putManifest(repository, sha256(bytes), bytes, OCI_MANIFEST_MEDIA_TYPE)),
    }))

    it('a payload blob that does not match its digest is corrupt', async () => {
      const signer = await newKey()
      const manifestDigest = `sha256:${'1'.repeat(64)}`
      const signed = await signImage({store: memory, repository, dockerReference: `registry.example/${repository}`, manifestDigest, privateKey: signer.privateKey})
      memory.blobs.set(`${repository}@${signed.payloadDigest}`, Buffer.from('{"something":"else"}'))
      const result = await verifyImage({store: memory, repository, manifestDigest, publicKeys: signer.publicKeyPem})
      expect(result).to.deep.include({verified: false, reason: 'corrupt'})
      if (!result.verified) expect(result.detail).to.match(/does not match its descriptor/)
    })

    it('refuses a store that stores other bytes than it was given', async () => {
      const signer = await newKey()
      const lying: SignatureStore = {
        getManifest: memory.getManifest.bind(memory),
        getBlob: memory.getBlob.bind(memory),
        putBlob: async () => `sha256:${'0'.repeat(64)}`,
        putManifest: memory.putManifest.bind(memory),
      }
      const signing = signImage({store: lying, repository, dockerReference: 'r.example/a', manifestDigest: `sha256:${'2'.repeat(64)}`, privateKey: signer.privateKey})
      try {
        await signing
        expect.fail('signImage should have rejected')
      } catch (error) {
        expect(error).to.have.property('code', 'cosign.digest-invalid')
      }
    })

    it('lets the store’s failures through: the registry could not be asked', async () => {
      const failing: SignatureStore = {
        getManifest: async () => Promise.reject(new Error('connection refused')),
        getBlob: memory.getBlob.bind(memory),
        putBlob: memory.putBlob.bind(memory),
        putManifest: memory.putManifest.bind(memory),
      }
      const signer = await newKey()
      try {
        await verifyImage({store: failing, repository, manifestDigest: `sha256:${'3'.repeat(64)}`, publicKeys: signer.publicKeyPem})
        expect.fail('verifyImage should have rejected')
      } catch (error) {
        expect((error as Error).message).to.equal('connection refused')
      }
    })
  })

  describe('with twoliter’s registry client against a real registry (docker-registry on loopback)', () => {
    const registry = useTestRegistry()
    let client: RegistryClient
    before(() => {
      client = new RegistryClient({env: {}})
    })
    after(async () => {
      await client.close()
    })

    const repository = 'e2e/cosign'
    attachScenarios(() => {
      const {host} = registry()
      const store = registryStore(client, host)
      return {
        store,
        repository,
        dockerReference: `${host}/${repository}`,
        pushImage: () =>
          pushTinyImage(store, repository, async (bytes) => {
            await client.pushManifest(`${host}/${repository}:image-${randomUUID().slice(0, 8)}`, bytes, OCI_MANIFEST_MEDIA_TYPE)
          }),
      }
    })

    it('stores the signature where cosign looks: the sha256-<hex>.sig tag, an OCI manifest the registry serves back unchanged', async () => {
      const {host} = registry()
      const store = registryStore(client, host)
      const signer = await newKey()
      const manifestDigest = await pushTinyImage(store, repository, async (bytes) => {
        await client.pushManifest(`${host}/${repository}:tagged`, bytes, OCI_MANIFEST_MEDIA_TYPE)
      })
      expect((await client.headManifest(`${host}/${repository}:tagged`))?.digest).to.equal(manifestDigest)
      const signed = await signImage({store, repository, dockerReference: `${host}/${repository}`, manifestDigest, privateKey: signer.privateKey})
      expect(await client.listTags({registry: host, repository})).to.include(signed.tag)
      const head = await client.headManifest(`${host}/${repository}:${signed.tag}`)
      expect(head).to.deep.include({digest: signed.signatureManifestDigest, mediaType: OCI_MANIFEST_MEDIA_TYPE})
      const fetched = await client.getManifest(`${host}/${repository}@${signed.signatureManifestDigest}`)
      expect(parseSignatureManifest(fetched.bytes)).to.have.length(1)
    })
  })
})
