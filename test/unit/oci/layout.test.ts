import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {createReadStream} from 'node:fs'
import {readdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {sha256Digest} from '../../../src/lib/oci/digest.js'
import {
  createImageLayout,
  extractLayoutArchive,
  hasLayoutBlob,
  layoutBlobPath,
  readLayoutBlob,
  readLayoutIndex,
  writeLayoutArchive,
  writeLayoutBlob,
} from '../../../src/lib/oci/layout.js'
import {MediaType} from '../../../src/lib/oci/manifest.js'
import {linuxPlatform} from '../../../src/lib/oci/platform.js'
import {expectTwoliterError, temporaryDirectories} from '../project/helpers.js'
import {randomContent, writeTestImage} from './helpers.js'

describe('OCI image layouts', () => {
  const directories = temporaryDirectories()

  it('creates the marker, an empty index and content-addressed blobs', async () => {
    const dir = await directories.create()
    await createImageLayout(dir)
    expect(JSON.parse(await readFile(path.join(dir, 'oci-layout'), 'utf8'))).to.deep.equal({imageLayoutVersion: '1.0.0'})
    expect(await readLayoutIndex(dir)).to.deep.equal({schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: []})
    const stored = await writeLayoutBlob(dir, Buffer.from('config'))
    expect(stored).to.deep.equal({digest: sha256Digest('config'), size: 6})
    expect(layoutBlobPath(dir, stored.digest)).to.equal(path.join(dir, 'blobs', 'sha256', stored.digest.slice(7)))
    expect(await hasLayoutBlob(dir, stored.digest)).to.equal(true)
    expect((await readLayoutBlob(dir, stored.digest)).toString()).to.equal('config')
  })

  it('detects a blob whose content was changed, and one that is missing', async () => {
    const dir = await directories.create()
    const {digest} = await writeLayoutBlob(dir, Buffer.from('original'))
    await writeFile(layoutBlobPath(dir, digest), 'tampered')
    const error = await expectTwoliterError(readLayoutBlob(dir, digest), 'oci.digest-mismatch')
    expect(error.message).to.include(digest).and.include(sha256Digest('tampered'))
    await expectTwoliterError(readLayoutBlob(dir, sha256Digest('absent')), 'oci.layout-incomplete')
  })

  it('says when a directory is not an image layout', async () => {
    const dir = await directories.create({'index.json': '{}'})
    const error = await expectTwoliterError(readLayoutIndex(dir), 'oci.layout-invalid')
    expect(error.message).to.include('oci-layout')
  })

  it('archives a layout as tar and unpacks it again, identical', async () => {
    const dir = await directories.create()
    const image = await writeTestImage(path.join(dir, 'layout'), linuxPlatform('aarch64'), [randomContent(1000), randomContent(70_000)])
    await writeLayoutArchive(path.join(dir, 'layout'), path.join(dir, 'image.tar'))
    const listed = execFileSync('tar', ['-tf', path.join(dir, 'image.tar')], {encoding: 'utf8'}).trim().split('\n')
    expect(listed.slice(0, 4)).to.deep.equal(['oci-layout', 'index.json', 'blobs/', 'blobs/sha256/'])
    expect(listed).to.have.length(4 + 4)

    await extractLayoutArchive(path.join(dir, 'image.tar'), path.join(dir, 'unpacked'))
    expect((await readLayoutIndex(path.join(dir, 'unpacked'))).manifests).to.deep.equal([image.manifest])
    const original = (await readdir(path.join(dir, 'layout', 'blobs', 'sha256'))).sort()
    expect((await readdir(path.join(dir, 'unpacked', 'blobs', 'sha256'))).sort()).to.deep.equal(original)
    for (const hex of original) expect((await readFile(path.join(dir, 'unpacked', 'blobs', 'sha256', hex))).equals(await readFile(path.join(dir, 'layout', 'blobs', 'sha256', hex)))).to.equal(true)
  })

  it('unpacks archives GNU tar made, as rpm2kit does, checking every blob against its name', async () => {
    const dir = await directories.create()
    await writeTestImage(path.join(dir, 'layout'), linuxPlatform('x86_64'), [randomContent(3000)])
    execFileSync('tar', ['--format=gnu', '-cf', path.join(dir, 'good.tar'), '-C', path.join(dir, 'layout'), '.'])
    await extractLayoutArchive(createReadStream(path.join(dir, 'good.tar')), path.join(dir, 'good'))
    expect((await readLayoutIndex(path.join(dir, 'good'))).manifests).to.have.length(1)

    const [hex] = await readdir(path.join(dir, 'layout', 'blobs', 'sha256'))
    await writeFile(path.join(dir, 'layout', 'blobs', 'sha256', hex), 'swapped content')
    execFileSync('tar', ['--format=gnu', '-cf', path.join(dir, 'bad.tar'), '-C', path.join(dir, 'layout'), '.'])
    const error = await expectTwoliterError(extractLayoutArchive(path.join(dir, 'bad.tar'), path.join(dir, 'bad')), 'oci.digest-mismatch')
    expect(error.message).to.include(`sha256:${hex}`).and.include(path.join(dir, 'bad.tar'))
    expect(await readdir(path.join(dir, 'bad', 'blobs', 'sha256'))).to.not.include(hex)
  })
})
