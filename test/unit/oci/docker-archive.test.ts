import {expect} from 'chai'
import {createReadStream, createWriteStream} from 'node:fs'
import {readdir, readFile} from 'node:fs/promises'
import path from 'node:path'
import {gzipSync} from 'node:zlib'

import {sha256Digest} from '../../../src/lib/oci/digest.js'
import {dockerArchiveToLayout} from '../../../src/lib/oci/docker-archive.js'
import {readLayoutBlob, readLayoutIndex} from '../../../src/lib/oci/layout.js'
import {MediaType, parseImageManifest} from '../../../src/lib/oci/manifest.js'
import {linuxPlatform} from '../../../src/lib/oci/platform.js'
import {type TarWriteEntry, writeTar} from '../../../src/lib/oci/tar.js'
import {expectTwoliterError, temporaryDirectories} from '../project/helpers.js'
import {imageConfig, randomContent, writeClassicDockerArchive} from './helpers.js'

const amd64 = linuxPlatform('x86_64')

describe('docker save archives', () => {
  const directories = temporaryDirectories()

  it('converts the classic layout into an OCI image, repeated layers (symlinks) included', async () => {
    const dir = await directories.create()
    const layers = [randomContent(3000), randomContent(5000)]
    layers.push(layers[0])
    const config = imageConfig(amd64, layers.length)
    await writeClassicDockerArchive(path.join(dir, 'image.tar'), config, layers, 'sdk:v1')

    const image = await dockerArchiveToLayout(createReadStream(path.join(dir, 'image.tar')), path.join(dir, 'layout'))
    expect(image.repoTags).to.deep.equal(['sdk:v1'])
    expect(image.manifest.platform).to.deep.equal(amd64)
    expect((await readLayoutIndex(path.join(dir, 'layout'))).manifests).to.deep.equal([image.manifest])
    const manifest = parseImageManifest(await readLayoutBlob(path.join(dir, 'layout'), image.manifest.digest), 'manifest')
    expect(manifest.config).to.deep.equal({mediaType: MediaType.ociConfig, digest: sha256Digest(config), size: config.length})
    expect(manifest.layers).to.deep.equal(layers.map((layer) => ({mediaType: MediaType.ociLayer, digest: sha256Digest(layer), size: layer.length})))
    // Only the image's own blobs stay: no manifest.json, VERSION files or layer json.
    expect((await readdir(path.join(dir, 'layout', 'blobs', 'sha256'))).sort()).to.deep.equal(
      [image.manifest.digest, sha256Digest(config), sha256Digest(layers[0]), sha256Digest(layers[1])].map((digest) => digest.slice(7)).sort(),
    )
  })

  it('converts the OCI-based layout of Docker 25+, telling compressed layers by their bytes', async () => {
    const dir = await directories.create()
    const plain = randomContent(2000)
    const gzipped = gzipSync(randomContent(2000))
    const config = imageConfig({architecture: 'arm64', os: 'linux', variant: 'v8'}, 2)
    const blob = (content: Buffer): TarWriteEntry => ({name: `blobs/sha256/${sha256Digest(content).slice(7)}`, type: 'file', size: content.length, content: () => content})
    const manifestJson = Buffer.from(
      JSON.stringify([{Config: `blobs/sha256/${sha256Digest(config).slice(7)}`, RepoTags: null, Layers: [plain, gzipped].map((layer) => `blobs/sha256/${sha256Digest(layer).slice(7)}`)}]),
    )
    await writeTar(createWriteStream(path.join(dir, 'image.tar')), [
      {name: 'blobs/', type: 'directory'},
      {name: 'blobs/sha256/', type: 'directory'},
      blob(config),
      blob(plain),
      blob(gzipped),
      {name: 'oci-layout', type: 'file', size: 30, content: () => Buffer.from('{"imageLayoutVersion":"1.0.0"}')},
      {name: 'manifest.json', type: 'file', size: manifestJson.length, content: () => manifestJson},
    ])

    const image = await dockerArchiveToLayout(createReadStream(path.join(dir, 'image.tar')), path.join(dir, 'layout'))
    expect(image.manifest.platform).to.deep.equal({architecture: 'arm64', os: 'linux', variant: 'v8'})
    const manifest = parseImageManifest(await readLayoutBlob(path.join(dir, 'layout'), image.manifest.digest), 'manifest')
    expect(manifest.layers.map((layer) => layer.mediaType)).to.deep.equal([MediaType.ociLayer, MediaType.ociLayerGzip])
  })

  it('takes the platform given over the configuration', async () => {
    const dir = await directories.create()
    await writeClassicDockerArchive(path.join(dir, 'image.tar'), imageConfig(amd64, 1), [randomContent(10)], 'x:y')
    const image = await dockerArchiveToLayout(createReadStream(path.join(dir, 'image.tar')), path.join(dir, 'layout'), linuxPlatform('aarch64'))
    expect(image.manifest.platform).to.deep.equal(linuxPlatform('aarch64'))
  })

  it('refuses archives that are not one docker image', async () => {
    const dir = await directories.create()
    const noManifest = path.join(dir, 'no-manifest.tar')
    await writeTar(createWriteStream(noManifest), [{name: 'layer.tar', type: 'file', size: 3, content: () => Buffer.from('abc')}])
    const error = await expectTwoliterError(dockerArchiveToLayout(createReadStream(noManifest), path.join(dir, 'a')), 'oci.docker-archive-invalid')
    expect(error.message).to.include('manifest.json')

    const missingLayer = path.join(dir, 'missing-layer.tar')
    const manifest = Buffer.from(JSON.stringify([{Config: 'c.json', Layers: ['gone/layer.tar']}]))
    const config = imageConfig(amd64, 1)
    await writeTar(createWriteStream(missingLayer), [
      {name: 'c.json', type: 'file', size: config.length, content: () => config},
      {name: 'manifest.json', type: 'file', size: manifest.length, content: () => manifest},
    ])
    const layerError = await expectTwoliterError(dockerArchiveToLayout(createReadStream(missingLayer), path.join(dir, 'b')), 'oci.docker-archive-invalid')
    expect(layerError.message).to.include('gone/layer.tar')
    expect(await readFile(missingLayer)).to.have.length.greaterThan(0)
  })
})
