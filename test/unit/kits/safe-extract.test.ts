import {expect} from 'chai'
import {lstat, mkdir, readdir, readFile, readlink, stat, symlink} from 'node:fs/promises'
import path from 'node:path'
import {Readable} from 'node:stream'
import {gzipSync} from 'node:zlib'

import {extractTarSafely} from '../../../src/lib/kits/safe-extract.js'
import {tarBytes} from '../../helpers/kit-images.js'
import {expectTwoliterError, temporaryDirectories} from '../project/helpers.js'

const BLOCK = 512

/** One tar entry written by hand: writeTar cannot express the hostile ones. */
function rawEntry(name: string, typeFlag: string, options: {linkName?: string; content?: string} = {}): Buffer {
  const content = Buffer.from(options.content ?? '')
  const header = Buffer.alloc(BLOCK)
  header.write(name, 0, 'utf8')
  header.write('0000644\0', 100, 'ascii')
  header.write('0000000\0', 108, 'ascii')
  header.write('0000000\0', 116, 'ascii')
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124, 'ascii')
  header.write('00000000000\0', 136, 'ascii')
  header.write(typeFlag, 156, 'ascii')
  header.write(options.linkName ?? '', 157, 'utf8')
  header.write('ustar\u000000', 257, 'ascii')
  if (typeFlag === '3') header.write('0000001\0', 329, 'ascii')
  header.fill(' ', 148, 156)
  const checksum = header.reduce((sum, byte) => sum + byte, 0)
  header.write(`${checksum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii')
  const padding = Buffer.alloc((BLOCK - (content.length % BLOCK)) % BLOCK)
  return Buffer.concat([header, content, padding])
}

function rawTar(...entries: Buffer[]): Buffer {
  return Buffer.concat([...entries, Buffer.alloc(2 * BLOCK)])
}

/** Every path under `dir`, relative, sorted; directories end with `/`. */
async function tree(dir: string, prefix = ''): Promise<string[]> {
  const names: string[] = []
  for (const entry of await readdir(dir, {withFileTypes: true})) {
    const relative = `${prefix}${entry.name}`
    if (entry.isDirectory()) names.push(`${relative}/`, ...(await tree(path.join(dir, entry.name), `${relative}/`)))
    else names.push(relative)
  }

  return names.sort()
}

describe('extractTarSafely', () => {
  const directories = temporaryDirectories()

  /** `<base>/deep/target`, so that `../x` and `a/../../x` would land inside `<base>` where the test can see them. */
  async function sandbox(): Promise<{base: string; target: string}> {
    const base = await directories.create()
    const target = path.join(base, 'deep', 'target')
    await mkdir(target, {recursive: true})
    return {base, target}
  }

  async function expectNothingOutside(base: string): Promise<void> {
    const outside = (await tree(base)).filter((name) => !name.startsWith('deep/target/') || name === 'deep/target/')
    expect(outside).to.deep.equal(['deep/', 'deep/target/'])
  }

  it('extracts files, directories, inner symlinks and hard links', async () => {
    const {base, target} = await sandbox()
    const archive = Buffer.concat([
      (await tarBytes([
        {name: './', type: 'directory'},
        {name: 'Packages/', type: 'directory'},
        {name: 'Packages/pkg/', type: 'directory'},
        {name: 'Packages/pkg/pkg.x86_64.rpm', type: 'file', size: 3, content: () => Buffer.from('rpm')},
        {name: './repodata/repomd.xml', type: 'file', size: 8, content: () => Buffer.from('<repomd>')},
        {name: 'repodata/latest', type: 'symlink', linkName: 'repomd.xml'},
        {name: 'Packages/pkg/repomd', type: 'symlink', linkName: '../../repodata/repomd.xml'},
      ])).subarray(0, -2 * BLOCK),
      rawTar(rawEntry('Packages/pkg/same.rpm', '1', {linkName: 'Packages/pkg/pkg.x86_64.rpm'})),
    ])
    await extractTarSafely(Readable.from([archive]), target, 'the good archive')
    expect(await tree(target)).to.deep.equal([
      'Packages/',
      'Packages/pkg/',
      'Packages/pkg/pkg.x86_64.rpm',
      'Packages/pkg/repomd',
      'Packages/pkg/same.rpm',
      'repodata/',
      'repodata/latest',
      'repodata/repomd.xml',
    ])
    expect(await readFile(path.join(target, 'Packages/pkg/pkg.x86_64.rpm'), 'utf8')).to.equal('rpm')
    expect(await readlink(path.join(target, 'repodata/latest'))).to.equal('repomd.xml')
    expect(await readFile(path.join(target, 'Packages/pkg/repomd'), 'utf8')).to.equal('<repomd>')
    const [original, linked] = await Promise.all([stat(path.join(target, 'Packages/pkg/pkg.x86_64.rpm')), stat(path.join(target, 'Packages/pkg/same.rpm'))])
    expect(linked.ino).to.equal(original.ino)
    await expectNothingOutside(base)
  })

  it('extracts a gzip-compressed archive when told so', async () => {
    const {target} = await sandbox()
    const archive = await tarBytes([{name: 'repodata/repomd.xml', type: 'file', size: 2, content: () => Buffer.from('ok')}])
    await extractTarSafely(Readable.from([gzipSync(archive)]), target, 'the gzip archive', {gzip: true})
    expect(await readFile(path.join(target, 'repodata/repomd.xml'), 'utf8')).to.equal('ok')
  })

  it('replaces a file an earlier entry wrote, as tar does', async () => {
    const {target} = await sandbox()
    const archive = rawTar(rawEntry('a', '0', {content: 'first'}), rawEntry('a', '0', {content: 'second'}))
    await extractTarSafely(Readable.from([archive]), target, 'the archive')
    expect(await readFile(path.join(target, 'a'), 'utf8')).to.equal('second')
  })

  describe('refuses entries that could reach outside the target directory', () => {
    const cases: Array<{title: string; entries: (base: string) => Buffer[]; entry: (base: string) => string; reason: RegExp}> = [
      {
        title: 'an absolute path',
        entries: (base) => [rawEntry(path.join(base, 'absolute-file'), '0', {content: 'x'})],
        entry: (base) => path.join(base, 'absolute-file'),
        reason: /absolute path/,
      },
      {title: '`../x`', entries: () => [rawEntry('../x', '0', {content: 'x'})], entry: () => '../x', reason: /'\.\.' component/},
      {title: '`a/../../x`', entries: () => [rawEntry('a/../../x', '0', {content: 'x'})], entry: () => 'a/../../x', reason: /'\.\.' component/},
      {title: 'a symlink to /etc/passwd', entries: () => [rawEntry('passwd', '2', {linkName: '/etc/passwd'})], entry: () => 'passwd', reason: /symlink to the absolute path '\/etc\/passwd'/},
      {
        title: 'a symlink `a -> ..` followed by a file `a/x`',
        entries: () => [rawEntry('a', '2', {linkName: '..'}), rawEntry('a/x', '0', {content: 'x'})],
        entry: () => 'a',
        reason: /leads outside/,
      },
      {
        title: 'a symlink deeper down that climbs out (`sub/up -> ../../x`)',
        entries: () => [rawEntry('sub/', '5'), rawEntry('sub/up', '2', {linkName: '../../x'})],
        entry: () => 'sub/up',
        reason: /leads outside/,
      },
      {
        title: 'a symlink that goes up after going down (`l -> d/../..`)',
        entries: () => [rawEntry('d/', '5'), rawEntry('l', '2', {linkName: 'd/../..'})],
        entry: () => 'l',
        reason: /goes up after going down/,
      },
      {title: 'a hard link to ../x', entries: () => [rawEntry('h', '1', {linkName: '../x'})], entry: () => 'h', reason: /hard link to '\.\.\/x'/},
      {title: 'a hard link to an absolute path', entries: () => [rawEntry('h', '1', {linkName: '/etc/passwd'})], entry: () => 'h', reason: /hard link to the absolute path/},
      {
        title: 'a hard link to a symlink',
        entries: () => [rawEntry('s', '2', {linkName: 'f'}), rawEntry('h', '1', {linkName: 's'})],
        entry: () => 'h',
        reason: /not a file the archive made/,
      },
      {title: 'a character device', entries: () => [rawEntry('dev/null', '3')], entry: () => 'dev/null', reason: /neither a file, a directory nor a link/},
      {title: 'a FIFO', entries: () => [rawEntry('pipe', '6')], entry: () => 'pipe', reason: /neither a file, a directory nor a link/},
    ]

    for (const {title, entries, entry, reason} of cases) {
      it(title, async () => {
        const {base, target} = await sandbox()
        const error = await expectTwoliterError(extractTarSafely(Readable.from([rawTar(...entries(base))]), target, 'layer sha256:abc of kit k'), 'extract.unsafe-entry')
        expect(error.message).to.include(`'${entry(base)}'`)
        expect(error.message).to.include('layer sha256:abc of kit k')
        expect(error.message).to.match(reason)
        await expectNothingOutside(base)
      })
    }

    it('a file under a symlink already in the target directory', async () => {
      const {base, target} = await sandbox()
      await symlink(base, path.join(target, 'escape'))
      const error = await expectTwoliterError(extractTarSafely(Readable.from([rawTar(rawEntry('escape/x', '0', {content: 'x'}))]), target, 'the archive'), 'extract.unsafe-entry')
      expect(error.message).to.include("'escape/x'").and.include("goes through the symlink 'escape'")
      expect((await lstat(path.join(target, 'escape'))).isSymbolicLink()).to.equal(true)
      expect(await readdir(base)).to.deep.equal(['deep'])
    })

    it('a file that would replace a directory', async () => {
      const {target} = await sandbox()
      const archive = rawTar(rawEntry('d/', '5'), rawEntry('d/inner', '0', {content: 'x'}), rawEntry('d', '2', {linkName: '.'}))
      const error = await expectTwoliterError(extractTarSafely(Readable.from([archive]), target, 'the archive'), 'extract.unsafe-entry')
      expect(error.message).to.include("'d'").and.include('would replace a directory')
      expect(await readFile(path.join(target, 'd/inner'), 'utf8')).to.equal('x')
    })
  })
})
