import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {mkdir, mkdtemp, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {removeOrphans, withScratchDirectory} from '../src/scratch.js'

const PREFIX = 'twoliter-scratch-test-'

describe('scratch directories of the sign plugin', () => {
  let base: string
  beforeEach(async () => {
    base = await mkdtemp(path.join(tmpdir(), 'twoliter-scratch-base-'))
  })
  afterEach(() => rm(base, {recursive: true, force: true}))

  it('removes the directories of processes that are gone, with what they hold, and keeps the others', async () => {
    const ended = spawnSync(process.execPath, ['-e', '']).pid
    const orphan = `${PREFIX}${ended}-abc123`
    const live = `${PREFIX}${process.pid}-def456`
    for (const name of [orphan, live, `${PREFIX}not-a-pid`, 'unrelated-1-x']) await mkdir(path.join(base, name))
    await writeFile(path.join(base, orphan, 'key.asc'), 'secret key copy')

    expect(await removeOrphans(PREFIX, base)).to.deep.equal([orphan])
    expect((await readdir(base)).sort()).to.deep.equal([live, `${PREFIX}not-a-pid`, 'unrelated-1-x'].sort())
  })

  it('gives a directory named after this process, removed afterwards even when the work fails', async () => {
    let seen = ''
    const failing = withScratchDirectory(PREFIX, async (dir) => {
      seen = dir
      expect(path.basename(dir).startsWith(`${PREFIX}${process.pid}-`)).to.equal(true)
      await writeFile(path.join(dir, 'key.asc'), 'secret key copy')
      throw new Error('the work failed')
    })
    const error = await failing.then(() => undefined, (reason: unknown) => reason)
    expect(String(error)).to.include('the work failed')
    expect(seen).to.not.equal('')
    expect(await readdir(path.dirname(seen))).to.not.include(path.basename(seen))
  })
})
