import {expect} from 'chai'
import {randomUUID} from 'node:crypto'
import {createWriteStream} from 'node:fs'
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import {Readable} from 'node:stream'

import Dockerode from 'dockerode'

import {RegistryClient} from '../../src/lib/oci/client.js'
import {sha256Digest} from '../../src/lib/oci/digest.js'
import {pushDockerArchive} from '../../src/lib/oci/docker-archive.js'
import {pullImage} from '../../src/lib/oci/image-transfer.js'
import {layoutBlobPath} from '../../src/lib/oci/layout.js'
import {MediaType, parseImageIndex, parseImageManifest, parseJsonObject} from '../../src/lib/oci/manifest.js'
import {readTar, writeTar} from '../../src/lib/oci/tar.js'
import {useTestRegistry} from '../helpers/registry.js'
import {temporaryDirectories} from '../unit/project/helpers.js'

const MARKER = `made by twoliter's OCI tests ${randomUUID()}\n`

describe('pushing a local image from the docker engine (real engine, real registry)', function () {
  this.timeout(120_000)
  const registry = useTestRegistry()
  const directories = temporaryDirectories()
  const docker = new Dockerode()
  const name = `twoliter-oci-test:${randomUUID().slice(0, 8)}`

  before(async function () {
    try {
      await docker.ping()
    } catch {
      // The e2e rig always has an engine (scripts/setup); a developer's machine may not.
      this.skip()
    }

    const dir = await directories.create()
    const rootfs = path.join(dir, 'rootfs.tar')
    await writeTar(createWriteStream(rootfs), [
      {name: 'etc/', type: 'directory'},
      {name: 'etc/twoliter-test', type: 'file', size: Buffer.byteLength(MARKER), content: () => Buffer.from(MARKER)},
    ])
    const [repo, tag] = name.split(':')
    const progress = await docker.importImage(rootfs, {repo, tag})
    expect(await streamText(progress)).to.not.include('"error"')
  })

  after(async () => {
    await docker
      .getImage(name)
      .remove({force: true})
      .catch(() => undefined)
  })

  it('pushes what GET /images/{name}/get returns as a one-entry index, and pulls back the same layer', async () => {
    const client = new RegistryClient({env: {}})
    try {
      const reference = `${registry().host}/engine/local-sdk:v0.0.1`
      const pushed = await pushDockerArchive(client, await docker.getImage(name).get(), reference)
      const index = parseImageIndex((await client.getManifest(reference)).bytes, 'index')
      const info = await docker.getImage(name).inspect()
      const platform = {architecture: info.Architecture, os: info.Os}
      expect(index.manifests).to.deep.equal([{mediaType: MediaType.ociManifest, digest: pushed.image.digest, size: pushed.image.size, platform}])

      const pulled = await pullImage(client, reference, platform, await directories.create())
      const manifest = parseImageManifest(await readFile(layoutBlobPath(pulled.dir, pulled.manifest.digest)), 'manifest')
      // The engine's image ID is the digest of its config, which we pushed unchanged.
      expect(manifest.config.digest).to.equal(info.Id)
      const config = parseJsonObject(await readFile(layoutBlobPath(pulled.dir, manifest.config.digest)), 'config')
      const layer = await readFile(layoutBlobPath(pulled.dir, manifest.layers[0].digest))
      expect((config.rootfs as {diff_ids: string[]}).diff_ids).to.deep.equal([sha256Digest(layer)])
      expect(manifest.layers[0].mediaType).to.equal(MediaType.ociLayer)

      let marker = ''
      await readTar(Readable.from([layer]), async (entry, content) => {
        if (entry.name.replace(/^\.?\//, '') === 'etc/twoliter-test') marker = await streamText(content)
      })
      expect(marker).to.equal(MARKER)
    } finally {
      await client.close()
    }
  })
})

async function streamText(stream: NodeJS.ReadableStream): Promise<string> {
  let text = ''
  for await (const chunk of stream) text += chunk.toString()
  return text
}
