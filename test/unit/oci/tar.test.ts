import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {createReadStream, createWriteStream} from 'node:fs'
import {mkdir, readFile, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {Readable} from 'node:stream'

import {readTar, type TarEntry, type TarWriteEntry, writeTar} from '../../../src/lib/oci/tar.js'
import {expectTwoliterError, temporaryDirectories} from '../project/helpers.js'
import {randomContent} from './helpers.js'

interface ReadEntry extends TarEntry {
  content: Buffer
}

async function readAll(input: AsyncIterable<Buffer>): Promise<ReadEntry[]> {
  const entries: ReadEntry[] = []
  await readTar(input, async (entry, content) => {
    const chunks: Buffer[] = []
    for await (const chunk of content) chunks.push(chunk as Buffer)
    entries.push({...entry, content: Buffer.concat(chunks)})
  })
  return entries
}

/** Splits a buffer into chunks of awkward sizes, as a network stream delivers them. */
function trickle(buffer: Buffer, size = 333): Readable {
  const chunks: Buffer[] = []
  for (let offset = 0; offset < buffer.length; offset += size) chunks.push(buffer.subarray(offset, offset + size))
  return Readable.from(chunks)
}

const LONG_NAME = `${'deep/'.repeat(30)}file-with-a-name-longer-than-one-hundred-bytes.rpm`

describe('tar', () => {
  const directories = temporaryDirectories()

  it('reads back what it writes, long names, symlinks and odd chunk sizes included', async () => {
    const dir = await directories.create()
    const big = randomContent(70_001)
    const entries: TarWriteEntry[] = [
      {name: 'oci-layout', type: 'file', size: 5, content: () => Buffer.from('hello')},
      {name: 'blobs/', type: 'directory'},
      {name: LONG_NAME, type: 'file', size: big.length, content: () => Readable.from([big.subarray(0, 1000), big.subarray(1000)])},
      {name: 'empty', type: 'file', size: 0, content: () => Buffer.alloc(0)},
      {name: 'link', type: 'symlink', linkName: `../${LONG_NAME}`},
    ]
    await writeTar(createWriteStream(path.join(dir, 'a.tar')), entries)
    const read = await readAll(trickle(await readFile(path.join(dir, 'a.tar'))))
    expect(read.map(({name, type, size, linkName}) => ({name, type, size, linkName}))).to.deep.equal([
      {name: 'oci-layout', type: 'file', size: 5, linkName: ''},
      {name: 'blobs/', type: 'directory', size: 0, linkName: ''},
      {name: LONG_NAME, type: 'file', size: big.length, linkName: ''},
      {name: 'empty', type: 'file', size: 0, linkName: ''},
      {name: 'link', type: 'symlink', size: 0, linkName: `../${LONG_NAME}`},
    ])
    expect(read[2].content.equals(big)).to.equal(true)
  })

  it('writes archives GNU tar reads', async () => {
    const dir = await directories.create()
    const content = Buffer.from('kit layer content\n')
    await writeTar(createWriteStream(path.join(dir, 'a.tar')), [
      {name: 'blobs/', type: 'directory'},
      {name: LONG_NAME, type: 'file', size: content.length, content: () => content},
    ])
    expect(execFileSync('tar', ['-tf', path.join(dir, 'a.tar')], {encoding: 'utf8'}).trim().split('\n')).to.deep.equal(['blobs/', LONG_NAME])
    expect(execFileSync('tar', ['-xOf', path.join(dir, 'a.tar'), LONG_NAME]).equals(content)).to.equal(true)
  })

  for (const format of ['gnu', 'pax', 'ustar', 'v7']) {
    it(`reads what GNU tar writes in ${format} format`, async () => {
      const dir = await directories.create()
      const source = path.join(dir, 'source')
      const name = format === 'v7' ? 'short/name.rpm' : LONG_NAME
      await mkdir(path.dirname(path.join(source, name)), {recursive: true})
      const content = randomContent(10_000)
      await writeFile(path.join(source, name), content)
      // ustar and v7 cannot hold a link target over 100 bytes.
      const linkTarget = format === 'gnu' || format === 'pax' ? name : 'short/target'
      await symlink(linkTarget, path.join(source, 'link'))
      execFileSync('tar', [`--format=${format}`, '--sort=name', '-cf', path.join(dir, 'a.tar'), '-C', source, name.split('/')[0], 'link'])
      const read = await readAll(createReadStream(path.join(dir, 'a.tar')))
      const file = read.find((entry) => entry.type === 'file')
      expect(file?.name).to.equal(name)
      expect(file?.content.equals(content)).to.equal(true)
      expect(read.find((entry) => entry.name === 'link')).to.include({type: 'symlink', linkName: linkTarget})
    })
  }

  it('skips the content of entries the handler does not read', async () => {
    const dir = await directories.create()
    const second = randomContent(5000)
    await writeTar(createWriteStream(path.join(dir, 'a.tar')), [
      {name: 'unread', type: 'file', size: 100_000, content: () => randomContent(100_000)},
      {name: 'read', type: 'file', size: second.length, content: () => second},
    ])
    const seen: Array<[string, number]> = []
    await readTar(trickle(await readFile(path.join(dir, 'a.tar')), 4096), async (entry, content) => {
      if (entry.name === 'unread') {
        seen.push([entry.name, 0])
        return
      }

      const chunks: Buffer[] = []
      for await (const chunk of content) chunks.push(chunk as Buffer)
      seen.push([entry.name, Buffer.concat(chunks).length])
    })
    expect(seen).to.deep.equal([['unread', 0], ['read', 5000]])
  })

  it('reads GNU base-256 sizes', async () => {
    const dir = await directories.create()
    const content = randomContent(1234)
    await writeTar(createWriteStream(path.join(dir, 'a.tar')), [{name: 'big', type: 'file', size: content.length, content: () => content}])
    const archive = await readFile(path.join(dir, 'a.tar'))
    const sizeField = Buffer.alloc(12)
    sizeField.writeUInt32BE(content.length, 8)
    sizeField[0] = 0x80
    sizeField.copy(archive, 124)
    archive.fill(' ', 148, 156)
    const checksum = archive.subarray(0, 512).reduce((sum, byte) => sum + byte, 0)
    archive.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii')
    const [entry] = await readAll(Readable.from([archive]))
    expect(entry.size).to.equal(1234)
    expect(entry.content.equals(content)).to.equal(true)
  })

  it('refuses a damaged header and an archive cut short', async () => {
    const dir = await directories.create()
    const content = randomContent(2000)
    await writeTar(createWriteStream(path.join(dir, 'a.tar')), [{name: 'file', type: 'file', size: content.length, content: () => content}])
    const archive = await readFile(path.join(dir, 'a.tar'))
    const damaged = Buffer.from(archive)
    damaged[10] = 0x41
    const error = await expectTwoliterError(readAll(Readable.from([damaged])), 'oci.tar-invalid')
    expect(error.message).to.include('checksum')
    await expectTwoliterError(readAll(Readable.from([archive.subarray(0, 1500)])), 'oci.tar-invalid')
  })

  it('refuses to write content that is not the size announced', async () => {
    const dir = await directories.create()
    let failure: unknown
    try {
      await writeTar(createWriteStream(path.join(dir, 'a.tar')), [{name: 'file', type: 'file', size: 10, content: () => Buffer.from('short')}])
    } catch (error) {
      failure = error
    }

    expect(String(failure)).to.include('not the 10 bytes announced')
  })
})
