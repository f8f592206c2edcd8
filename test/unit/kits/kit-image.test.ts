import {expect} from 'chai'
import {createReadStream} from 'node:fs'
import {mkdir, readdir, readFile, symlink, utimes, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {assembleKitImage, CREATED_ANNOTATION, type KitImageRequest, readKitArchive} from '../../../src/lib/kits/kit-image.js'
import {decodeKitMetadata, KIT_METADATA_LABEL, type KitImageMetadata} from '../../../src/lib/kits/metadata.js'
import {sha256Digest} from '../../../src/lib/oci/digest.js'
import {extractLayoutArchive, layoutBlobPath, readLayoutBlob, readLayoutIndex} from '../../../src/lib/oci/layout.js'
import {MediaType, parseImageManifest} from '../../../src/lib/oci/manifest.js'
import {readTar} from '../../../src/lib/oci/tar.js'
import {expectTwoliterError, temporaryDirectories} from '../project/helpers.js'

const metadata: KitImageMetadata = {
  name: 'core-kit',
  version: '1.2.3',
  sdk: {name: 'bottlerocket-sdk', version: '0.50.0', vendor: 'bottlerocket', source: 'public.ecr.aws/bottlerocket/bottlerocket-sdk:v0.50.0', digest: 'abc='},
  kit: [{name: 'extra-kit', version: '1.2.3', vendor: 'my-vendor'}],
}
const created = new Date('2024-05-06T07:08:09Z')

// Written deliberately out of name order: the image must not depend on the order files were created in.
const REPO_FILES: Array<[string, string]> = [
  ['repodata/repomd.xml', '<repomd/>'],
  ['Packages/pkg-b/pkg-b-1.0-1.x86_64.rpm', 'rpm b'],
  ['Packages/pkg-a/pkg-a-libs-1.0-1.x86_64.rpm', 'rpm a libs'],
  ['Packages/pkg-a/pkg-a-1.0-1.x86_64.rpm', 'rpm a'],
  ['repodata/abc-primary.xml.gz', 'primary'],
  ['repodata/000-filelists.xml.gz', 'filelists'],
]

describe('kit image assembly', () => {
  const directories = temporaryDirectories()

  async function repo(files = REPO_FILES): Promise<string> {
    const dir = await directories.create()
    for (const [name, content] of files) {
      await mkdir(path.dirname(path.join(dir, name)), {recursive: true})
      await writeFile(path.join(dir, name), content)
    }

    return dir
  }

  async function request(repoDir: string, overrides: Partial<KitImageRequest> = {}): Promise<KitImageRequest> {
    const out = await directories.create()
    return {repoDir, arch: 'x86_64', metadata, created, archive: path.join(out, 'kits', 'core-kit-v1.2.3-abcdef0-x86_64.tar'), ...overrides}
  }

  /** The archive unpacked: its index, manifest, config and each layer's tar entries. */
  async function unpack(archive: string) {
    const dir = await directories.create()
    await extractLayoutArchive(archive, dir)
    const index = await readLayoutIndex(dir)
    const manifest = parseImageManifest(await readLayoutBlob(dir, index.manifests[0].digest), 'manifest')
    const config = JSON.parse((await readLayoutBlob(dir, manifest.config.digest)).toString('utf8'))
    const layers: string[][] = []
    for (const layer of manifest.layers) {
      const names: string[] = []
      await readTar(createReadStream(layoutBlobPath(dir, layer.digest)), async (entry, content) => {
        names.push(`${entry.type} ${entry.name}${entry.type === 'file' ? ` ${(await readStream(content)).toString('utf8')}` : ''}`)
      })
      layers.push(names)
    }

    return {index, manifest, config, layers}
  }

  it('gives the same digest and the same bytes for the same repository, whatever the file times or creation order', async () => {
    const first = await assembleKitImage(await request(await repo()))
    const again = await assembleKitImage(await request(await repo()))
    expect(again.manifestDigest).to.equal(first.manifestDigest)
    expect((await readFile(again.archive)).equals(await readFile(first.archive))).to.equal(true)

    const reordered = await repo([...REPO_FILES].reverse())
    for (const [name] of REPO_FILES) await utimes(path.join(reordered, name), new Date('2001-01-01T00:00:00Z'), new Date('2001-01-01T00:00:00Z'))
    await utimes(path.join(reordered, 'Packages/pkg-a'), 12_345, 67_890)
    const touched = await assembleKitImage(await request(reordered))
    expect(touched.manifestDigest).to.equal(first.manifestDigest)
    expect((await readFile(touched.archive)).equals(await readFile(first.archive))).to.equal(true)
  })

  it('gives another digest when an RPM changes', async () => {
    const dir = await repo()
    const before = await assembleKitImage(await request(dir))
    await writeFile(path.join(dir, 'Packages/pkg-b/pkg-b-1.0-1.x86_64.rpm'), 'rpm B')
    const after = await assembleKitImage(await request(dir))
    expect(after.manifestDigest).to.not.equal(before.manifestDigest)
    expect(after.layers.map((layer) => layer.digest)).to.not.deep.equal(before.layers.map((layer) => layer.digest))
    expect(after.layers[0].digest).to.equal(before.layers[0].digest)
  })

  it('writes one uncompressed layer per package directory, then repodata, each with its entries in name order', async () => {
    const dir = await repo([...REPO_FILES, ['Packages/pkg-c/nested/z.rpm', 'z'], ['Packages/pkg-c/a.rpm', 'a']])
    const image = await assembleKitImage(await request(dir))
    const {index, manifest, config, layers} = await unpack(image.archive)

    expect(image.layers.map((layer) => layer.path)).to.deep.equal(['Packages/pkg-a', 'Packages/pkg-b', 'Packages/pkg-c', 'repodata'])
    expect(layers).to.deep.equal([
      ['directory Packages/pkg-a/', 'file Packages/pkg-a/pkg-a-1.0-1.x86_64.rpm rpm a', 'file Packages/pkg-a/pkg-a-libs-1.0-1.x86_64.rpm rpm a libs'],
      ['directory Packages/pkg-b/', 'file Packages/pkg-b/pkg-b-1.0-1.x86_64.rpm rpm b'],
      ['directory Packages/pkg-c/', 'file Packages/pkg-c/a.rpm a', 'directory Packages/pkg-c/nested/', 'file Packages/pkg-c/nested/z.rpm z'],
      ['directory repodata/', 'file repodata/000-filelists.xml.gz filelists', 'file repodata/abc-primary.xml.gz primary', 'file repodata/repomd.xml <repomd/>'],
    ])
    expect(manifest.mediaType).to.equal(MediaType.ociManifest)
    expect(manifest.config.mediaType).to.equal(MediaType.ociConfig)
    expect(manifest.config.digest).to.equal(image.configDigest)
    expect(manifest.layers).to.deep.equal(image.layers.map(({digest, size}) => ({mediaType: MediaType.ociLayer, digest, size})))
    expect(index.manifests).to.have.length(1)
    expect(index.manifests[0].digest).to.equal(image.manifestDigest)
    expect(config).to.deep.equal({
      architecture: 'amd64',
      os: 'linux',
      created: '2024-05-06T07:08:09.000Z',
      history: [],
      rootfs: {type: 'layers', diff_ids: image.layers.map((layer) => layer.digest)},
      config: {Env: [], WorkingDir: '/', OnBuild: null, Labels: {[KIT_METADATA_LABEL]: config.config.Labels[KIT_METADATA_LABEL]}},
    })
  })

  it('puts the kit metadata in the config label as base64 of compact, key-sorted JSON with a newline', async () => {
    const image = await assembleKitImage(await request(await repo()))
    const {config} = await unpack(image.archive)
    expect(decodeKitMetadata(config.config.Labels, 'the kit')).to.deep.equal(metadata)
    expect(Buffer.from(config.config.Labels[KIT_METADATA_LABEL], 'base64').toString('utf8')).to.equal(
      '{"kit":[{"name":"extra-kit","vendor":"my-vendor","version":"1.2.3"}],"name":"core-kit","sdk":{"digest":"abc=","name":"bottlerocket-sdk","source":"public.ecr.aws/bottlerocket/bottlerocket-sdk:v0.50.0","vendor":"bottlerocket","version":"0.50.0"},"version":"1.2.3"}\n',
    )
  })

  it('names arm64 for aarch64 in the config and the index, with the created annotation', async () => {
    const image = await assembleKitImage(await request(await repo(), {arch: 'aarch64'}))
    const {index, config} = await unpack(image.archive)
    expect(config.architecture).to.equal('arm64')
    expect(index.manifests[0].platform).to.deep.equal({architecture: 'arm64', os: 'linux'})
    expect(index.manifests[0].annotations).to.deep.equal({[CREATED_ANNOTATION]: '2024-05-06T07:08:09.000Z'})
    expect(image.manifestDigest).to.equal(sha256Digest(await readArchiveBlob(image.archive, image.manifestDigest)))
  })

  it('refuses a symbolic link in the repository and writes nothing', async () => {
    const dir = await repo()
    await symlink('pkg-a-1.0-1.x86_64.rpm', path.join(dir, 'Packages/pkg-a/link.rpm'))
    const target = await request(dir)
    const error = await expectTwoliterError(assembleKitImage(target), 'kit.repo-unsupported-file')
    expect(error.message).to.include(path.join(dir, 'Packages/pkg-a/link.rpm')).and.include('symbolic link')
    expect(await readdir(path.dirname(path.dirname(target.archive)))).to.deep.equal([])
  })

  it('refuses a repository without repodata', async () => {
    const dir = await repo(REPO_FILES.filter(([name]) => name.startsWith('Packages/')))
    const target = await request(dir)
    const error = await expectTwoliterError(assembleKitImage(target), 'kit.repo-missing')
    expect(error.message).to.include('repodata').and.include('was not created')
    expect(await readdir(path.dirname(path.dirname(target.archive)))).to.deep.equal([])
  })

  it('leaves neither a partial archive nor its scratch layout when writing the archive fails', async () => {
    const target = await request(await repo())
    // A directory where the archive should go: everything is written until the final rename fails.
    await mkdir(path.join(target.archive, 'in-the-way'), {recursive: true})
    let failed = false
    await assembleKitImage(target).catch(() => {
      failed = true
    })
    expect(failed).to.equal(true)
    expect(await readdir(path.dirname(target.archive))).to.deep.equal([path.basename(target.archive)])
  })

  it('reads an archive back: manifest digest, platform, metadata and layers', async () => {
    const image = await assembleKitImage(await request(await repo(), {arch: 'aarch64'}))
    expect(await readKitArchive(image.archive)).to.deep.equal({
      manifestDigest: image.manifestDigest,
      platform: {architecture: 'arm64', os: 'linux'},
      metadata,
      layers: image.layers.map((layer) => layer.digest),
    })
    expect(await readdir(path.dirname(image.archive))).to.deep.equal([path.basename(image.archive)])
    await expectTwoliterError(readKitArchive(`${image.archive}.missing`), 'kit.archive-missing')
  })
})

async function readStream(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk)
  return Buffer.concat(chunks)
}

/** One blob of an archive, straight from the tar. */
async function readArchiveBlob(archive: string, digest: string): Promise<Buffer> {
  let found: Buffer | undefined
  await readTar(createReadStream(archive), async (entry, content) => {
    if (entry.name === `blobs/sha256/${digest.slice('sha256:'.length)}`) found = await readStream(content)
  })
  if (found === undefined) throw new Error(`${archive} has no blob ${digest}`)
  return found
}
