import {expect} from 'chai'
import {createReadStream} from 'node:fs'
import {access, readdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {blobFromBytes, blobFromFile} from '../../src/lib/oci/blob-source.js'
import {RegistryClient} from '../../src/lib/oci/client.js'
import {sha256Digest} from '../../src/lib/oci/digest.js'
import {pushDockerArchive} from '../../src/lib/oci/docker-archive.js'
import {pullImage, pushImageLayout, pushIndex} from '../../src/lib/oci/image-transfer.js'
import {layoutBlobPath, readLayoutIndex, writeLayoutArchive} from '../../src/lib/oci/layout.js'
import {MediaType, parseImageIndex, parseImageManifest} from '../../src/lib/oci/manifest.js'
import {linuxPlatform} from '../../src/lib/oci/platform.js'
import {lockDigest} from '../../src/lib/project/lock.js'
import {startRecordingProxy, useTestRegistry} from '../helpers/registry.js'
import {imageConfig, randomContent, writeClassicDockerArchive, writeTestImage} from '../unit/oci/helpers.js'
import {expectTwoliterError, temporaryDirectories} from '../unit/project/helpers.js'

const MiB = 1024 * 1024
const amd64 = linuxPlatform('x86_64')
const arm64 = linuxPlatform('aarch64')

describe('OCI registry client against a real registry (docker-registry on loopback)', function () {
  this.timeout(60_000)
  const registry = useTestRegistry()
  const directories = temporaryDirectories()
  const clients: RegistryClient[] = []
  const client = (options: ConstructorParameters<typeof RegistryClient>[0] = {}): RegistryClient => {
    const created = new RegistryClient({env: {}, ...options})
    clients.push(created)
    return created
  }

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((created) => created.close()))
  })

  const repo = (name: string): string => `${registry().host}/e2e/${name}`

  describe('blobs', () => {
    it('uploads a small blob in one PUT and reads it back identical, to a buffer and to a file', async () => {
      const proxy = await startRecordingProxy(registry().host)
      try {
        const content = randomContent(200 * 1024)
        const blob = blobFromBytes(content)
        const target = `${proxy.host}/e2e/monolithic`
        expect(await client().pushBlob(target, blob)).to.equal('uploaded')
        expect(proxy.requests.map(({method, status}) => `${method} ${status}`)).to.deep.equal(['HEAD 404', 'POST 202', 'PUT 201'])
        expect(proxy.requests[2].path).to.include(`digest=${encodeURIComponent(blob.digest)}`)

        expect(await client().blobExists(repo('monolithic'), blob.digest)).to.equal(true)
        expect((await client().getBlob(repo('monolithic'), blob.digest)).equals(content)).to.equal(true)
        const file = path.join(await directories.create(), 'blob')
        expect(await client().getBlobToFile(repo('monolithic'), blob.digest, file)).to.equal(content.length)
        expect((await readFile(file)).equals(content)).to.equal(true)
      } finally {
        await proxy.close()
      }
    })

    it('uploads a blob above the threshold in PATCH chunks with ranges, then a PUT with the digest', async () => {
      const proxy = await startRecordingProxy(registry().host)
      try {
        const content = randomContent(3.5 * MiB)
        const file = path.join(await directories.create(), 'big')
        await writeFile(file, content)
        const blob = await blobFromFile(file)
        expect(blob.digest).to.equal(sha256Digest(content))
        const chunked = client({monolithicUploadLimit: MiB, uploadChunkSize: MiB})
        expect(await chunked.pushBlob(`${proxy.host}/e2e/chunked`, blob)).to.equal('uploaded')
        expect(proxy.requests.map(({method, status}) => `${method} ${status}`)).to.deep.equal(['HEAD 404', 'POST 202', 'PATCH 202', 'PATCH 202', 'PATCH 202', 'PATCH 202', 'PUT 201'])
        const fetched = path.join(path.dirname(file), 'fetched')
        await client().getBlobToFile(repo('chunked'), blob.digest, fetched)
        expect((await readFile(fetched)).equals(content)).to.equal(true)
      } finally {
        await proxy.close()
      }
    })

    it('asks first and does not upload a blob the repository has', async () => {
      const blob = blobFromBytes(randomContent(4096))
      await client().pushBlob(repo('present'), blob)
      const proxy = await startRecordingProxy(registry().host)
      try {
        expect(await client().pushBlob(`${proxy.host}/e2e/present`, blob)).to.equal('existed')
        expect(proxy.requests.map(({method, status}) => `${method} ${status}`)).to.deep.equal(['HEAD 200'])
      } finally {
        await proxy.close()
      }
    })

    it('mounts a blob from another repository of the registry instead of uploading it', async () => {
      const blob = blobFromBytes(randomContent(64 * 1024))
      await client().pushBlob(repo('mount-source'), blob)
      const proxy = await startRecordingProxy(registry().host)
      try {
        expect(await client().pushBlob(`${proxy.host}/e2e/mount-target`, blob, {mountFrom: 'e2e/mount-source'})).to.equal('mounted')
        expect(proxy.requests.map(({method, status}) => `${method} ${status}`)).to.deep.equal(['HEAD 404', 'POST 201'])
        expect(proxy.requests[1].path).to.include(`mount=${encodeURIComponent(blob.digest)}`).and.include('from=e2e%2Fmount-source')
      } finally {
        await proxy.close()
      }

      expect(await client().blobExists(repo('mount-target'), blob.digest)).to.equal(true)
    })

    it('uploads when the repository to mount from does not have the blob', async () => {
      const blob = blobFromBytes(randomContent(1024))
      expect(await client().pushBlob(repo('mount-fallback'), blob, {mountFrom: 'e2e/nothing-here'})).to.equal('uploaded')
      expect((await client().getBlob(repo('mount-fallback'), blob.digest)).length).to.equal(1024)
    })

    it('detects a blob corrupted in the registry storage, keeps nothing and does not retry', async () => {
      const content = randomContent(100 * 1024)
      const blob = blobFromBytes(content)
      await client().pushBlob(repo('corrupt'), blob)
      const corrupted = Buffer.from(content)
      corrupted[5000] ^= 0xff
      await writeFile(registry().blobDataFile(blob.digest), corrupted)

      const proxy = await startRecordingProxy(registry().host)
      const dir = await directories.create()
      try {
        const error = await expectTwoliterError(client().getBlobToFile(`${proxy.host}/e2e/corrupt`, blob.digest, path.join(dir, 'blob')), 'oci.digest-mismatch')
        expect(error.message).to.include(blob.digest).and.include(sha256Digest(corrupted)).and.include(`${proxy.host}/e2e/corrupt`)
        expect(proxy.requests.filter((request) => request.method === 'GET')).to.have.length(1)
        expect(await readdir(dir)).to.deep.equal([])
        await expectTwoliterError(client().getBlob(repo('corrupt'), blob.digest), 'oci.digest-mismatch')
      } finally {
        await proxy.close()
      }
    })

    it('explains a blob the repository does not have', async () => {
      const missing = sha256Digest('not pushed')
      const error = await expectTwoliterError(client().getBlob(repo('monolithic'), missing), 'oci.blob-unknown')
      expect(error.message).to.include(missing).and.include('BLOB_UNKNOWN')
      expect(await client().blobExists(repo('monolithic'), missing)).to.equal(false)
    })
  })

  describe('manifests and images', () => {
    it('pushes an image layout under a tag and pulls it back byte for byte', async () => {
      const source = await directories.create()
      const image = await writeTestImage(source, amd64, [randomContent(10_000), randomContent(300_000)])
      const pushed = await pushImageLayout(client(), source, `${repo('image')}:v1.0.0`)
      expect(pushed.digest).to.equal(image.manifest.digest)
      expect(pushed.blobs).to.deep.equal({existed: 0, mounted: 0, uploaded: 3})

      const fetched = await client().getManifest(`${repo('image')}:v1.0.0`)
      expect(fetched.bytes.equals(image.manifestBytes)).to.equal(true)
      expect(fetched.mediaType).to.equal(MediaType.ociManifest)
      expect(fetched.digest).to.equal(image.manifest.digest)
      expect(await client().headManifest(`${repo('image')}:v1.0.0`)).to.deep.equal({digest: image.manifest.digest, mediaType: MediaType.ociManifest, size: image.manifestBytes.length})

      const pulled = await pullImage(client(), `${repo('image')}:v1.0.0`, amd64, await directories.create())
      expect(pulled.manifest.digest).to.equal(image.manifest.digest)
      expect(pulled.indexDigest).to.equal(undefined)
      expect((await readLayoutIndex(pulled.dir)).manifests).to.deep.equal([{...image.manifest, platform: amd64}])
      const manifest = parseImageManifest(await readFile(layoutBlobPath(pulled.dir, pulled.manifest.digest)), 'pulled')
      expect((await readFile(layoutBlobPath(pulled.dir, manifest.config.digest))).equals(image.config)).to.equal(true)
      for (const [index, layer] of manifest.layers.entries()) expect((await readFile(layoutBlobPath(pulled.dir, layer.digest))).equals(image.layers[index])).to.equal(true)

      const wrongPlatform = await expectTwoliterError(pullImage(client(), `${repo('image')}:v1.0.0`, arm64), 'oci.platform-missing')
      expect(wrongPlatform.message).to.include('is an image for linux/amd64, not for linux/arm64')

      const again = await pushImageLayout(client(), source, `${repo('image')}:v1.0.0`)
      expect(again.blobs).to.deep.equal({existed: 3, mounted: 0, uploaded: 0})
    })

    it('pushes an image layout tar archive, mounting blobs from another repository', async () => {
      const source = await directories.create()
      const image = await writeTestImage(path.join(source, 'layout'), arm64, [randomContent(5000)])
      await pushImageLayout(client(), path.join(source, 'layout'), `${repo('archive-source')}:v1`)
      const archive = path.join(source, 'kit-v1-arm64.tar')
      await writeLayoutArchive(path.join(source, 'layout'), archive)

      const pushed = await pushImageLayout(client(), archive, `${repo('archive-target')}:v1`, {mountFrom: 'e2e/archive-source'})
      expect(pushed.blobs).to.deep.equal({existed: 0, mounted: 2, uploaded: 0})
      expect(pushed.platform).to.deep.equal(arm64)
      expect((await client().getManifest(`${repo('archive-target')}:v1`)).bytes.equals(image.manifestBytes)).to.equal(true)
      expect((await readdir(source)).sort()).to.deep.equal(['kit-v1-arm64.tar', 'layout'])
    })

    it('tags a multi-arch index whose lock digest is stable when fetched again', async () => {
      const amdDir = await directories.create()
      const armDir = await directories.create()
      const amdImage = await writeTestImage(amdDir, amd64, [randomContent(1000)], 'amd64')
      const armImage = await writeTestImage(armDir, arm64, [randomContent(1000)], 'arm64')
      const amd = await pushImageLayout(client(), amdDir, `${repo('kit')}:v1.2.3-build-x86_64`)
      const arm = await pushImageLayout(client(), armDir, `${repo('kit')}:v1.2.3-build-aarch64`)
      const pushed = await pushIndex(client(), `${repo('kit')}:v1.2.3`, [
        {...amd, platform: amd64},
        {...arm, platform: arm64},
      ])

      const first = await client().getManifest(`${repo('kit')}:v1.2.3`)
      const second = await client().getManifest(`${repo('kit')}:v1.2.3`)
      expect(first.bytes.equals(pushed.bytes)).to.equal(true)
      expect(first.mediaType).to.equal(MediaType.ociIndex)
      expect(first.digest).to.equal(pushed.digest)
      expect(lockDigest(first.bytes)).to.equal(lockDigest(pushed.bytes)).and.to.equal(lockDigest(second.bytes))
      expect(lockDigest(first.bytes)).to.match(/^[A-Za-z0-9+/]{43}=$/)
      const index = parseImageIndex(first.bytes, 'index')
      expect(index.manifests.map((entry) => [entry.digest, entry.platform])).to.deep.equal([
        [amdImage.manifest.digest, amd64],
        [armImage.manifest.digest, arm64],
      ])

      const byDigest = await client().getManifest(`${repo('kit')}@${pushed.digest}`)
      expect(byDigest.bytes.equals(pushed.bytes)).to.equal(true)

      const pulled = await pullImage(client(), `${repo('kit')}:v1.2.3`, arm64, await directories.create())
      expect(pulled.manifest.digest).to.equal(armImage.manifest.digest)
      expect(pulled.indexDigest).to.equal(pushed.digest)
      const missing = await expectTwoliterError(pullImage(client(), `${repo('kit')}:v1.2.3`, {architecture: 'riscv64', os: 'linux'}), 'oci.platform-missing')
      expect(missing.message).to.include('linux/amd64, linux/arm64')
      expect(await client().listTags(repo('kit'))).to.have.members(['v1.2.3', 'v1.2.3-build-x86_64', 'v1.2.3-build-aarch64'])
    })

    it('refuses an index over images the repository does not have', async () => {
      const dir = await directories.create()
      const image = await writeTestImage(dir, amd64, [randomContent(100)])
      const error = await expectTwoliterError(pushIndex(client(), `${repo('no-images')}:v1`, [image.manifest]), 'oci.manifest-missing')
      expect(error.message).to.include(image.manifest.digest)
    })

    it('pushes a docker save archive as a one-entry index and pulls the image back', async () => {
      const dir = await directories.create()
      const layers = [randomContent(20_000), randomContent(30_000), randomContent(20_000)]
      layers[2] = layers[0]
      const config = imageConfig(amd64, layers.length, 'local sdk')
      const archive = path.join(dir, 'sdk.tar')
      await writeClassicDockerArchive(archive, config, layers, 'twoliter-sdk:v0.1.0')

      const pushed = await pushDockerArchive(client(), createReadStream(archive), `${repo('sdk')}:v0.1.0`)
      const fetched = await client().getManifest(`${repo('sdk')}:v0.1.0`)
      expect(fetched.mediaType).to.equal(MediaType.ociIndex)
      expect(fetched.bytes.equals(pushed.index.bytes)).to.equal(true)
      const index = parseImageIndex(fetched.bytes, 'index')
      expect(index.manifests).to.deep.equal([{mediaType: MediaType.ociManifest, digest: pushed.image.digest, size: pushed.image.size, platform: amd64}])

      const pulled = await pullImage(client(), `${repo('sdk')}:v0.1.0`, amd64, await directories.create())
      const manifest = parseImageManifest(await readFile(layoutBlobPath(pulled.dir, pulled.manifest.digest)), 'pulled')
      expect((await readFile(layoutBlobPath(pulled.dir, manifest.config.digest))).equals(config)).to.equal(true)
      expect(manifest.layers.map((layer) => layer.digest)).to.deep.equal(layers.map((layer) => sha256Digest(layer)))
      expect(manifest.layers.every((layer) => layer.mediaType === MediaType.ociLayer)).to.equal(true)
      await access(layoutBlobPath(pulled.dir, sha256Digest(layers[1])))
    })

    it('checks a manifest fetched by digest against that digest', async () => {
      const dir = await directories.create()
      const image = await writeTestImage(dir, amd64, [randomContent(100)])
      await pushImageLayout(client(), dir, `${repo('by-digest')}:v1`)
      const fetched = await client().getManifest(`${repo('by-digest')}@${image.manifest.digest}`)
      expect(fetched.bytes.equals(image.manifestBytes)).to.equal(true)
    })

    it('explains a tag or a repository that does not exist', async () => {
      const tag = await expectTwoliterError(client().getManifest(`${repo('image')}:v9.9.9`), 'oci.manifest-unknown')
      expect(tag.message).to.include(`${repo('image')}:v9.9.9`).and.include('does not exist')
      expect(tag.hint).to.include('v<version>')
      // distribution answers MANIFEST_UNKNOWN for a missing repository too; listing its tags says NAME_UNKNOWN.
      await expectTwoliterError(client().getManifest(`${repo('never-pushed')}:v1`), 'oci.manifest-unknown')
      const repository = await expectTwoliterError(client().listTags(repo('never-pushed')), 'oci.name-unknown')
      expect(repository.message).to.include('repository does not exist').and.include('NAME_UNKNOWN')
      expect(await client().headManifest(`${repo('image')}:v9.9.9`)).to.equal(undefined)
    })

    it('explains a registry nobody answers at', async () => {
      const error = await expectTwoliterError(client().getManifest('127.0.0.1:9/nothing/here:v1'), 'oci.unreachable')
      expect(error.message).to.include('nothing answers at http://127.0.0.1:9')
    })
  })
})
