import {expect} from 'chai'
import {mkdtemp, rm, utimes, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {type BuildRecord, readBuildRecord, reasonsToRebuild, writeBuildRecord} from '../../../src/lib/build/build-record.js'
import {sha256File} from '../../../src/lib/build/digest.js'

describe('build records', () => {
  let dir: string
  let record: BuildRecord
  const inputs = {arch: 'x86_64', 'file:a.spec': '11', 'dependency:b': '22'}

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'twoliter-record-'))
    await writeFile(path.join(dir, 'a.rpm'), 'rpm bytes')
    const {size, mtimeMs} = await import('node:fs/promises').then((fs) => fs.stat(path.join(dir, 'a.rpm')))
    record = {version: 1, inputDigest: 'x', inputs, outputs: [{name: 'a.rpm', size, mtimeMs, sha256: await sha256File(path.join(dir, 'a.rpm'))}], outputDigest: 'y', builtAt: 'now'}
  })
  afterEach(() => rm(dir, {recursive: true, force: true}))

  it('holds while inputs and outputs are unchanged', async () => {
    expect(await reasonsToRebuild(record, {...inputs}, dir)).to.deep.equal([])
  })

  it('names the inputs that changed, appeared or went away', async () => {
    const reasons = await reasonsToRebuild(record, {arch: 'x86_64', 'file:a.spec': '12', 'file:a.patch': '33'}, dir)
    expect(reasons).to.deep.equal(['new input file:a.patch', 'file:a.spec changed', 'input dependency:b was removed'])
  })

  it('notices a missing or touched output', async () => {
    await utimes(path.join(dir, 'a.rpm'), new Date(), new Date(Date.now() + 5000))
    expect(await reasonsToRebuild(record, inputs, dir)).to.deep.equal(['output a.rpm was changed after the build'])
    await rm(path.join(dir, 'a.rpm'))
    expect(await reasonsToRebuild(record, inputs, dir)).to.deep.equal(['output a.rpm is missing'])
  })

  it('rebuilds without a record, and reads back what it wrote', async () => {
    expect(await reasonsToRebuild(undefined, inputs, dir)).to.deep.equal(['never built (no build record)'])
    const file = path.join(dir, 'state', 'a.json')
    await writeBuildRecord(file, record)
    expect(await readBuildRecord(file)).to.deep.equal(record)
  })

  it('treats an unreadable or foreign record as no record', async () => {
    const file = path.join(dir, 'broken.json')
    await writeFile(file, '{not json')
    expect(await readBuildRecord(file)).to.equal(undefined)
    await writeFile(file, JSON.stringify({...record, version: 99}))
    expect(await readBuildRecord(file)).to.equal(undefined)
  })
})
