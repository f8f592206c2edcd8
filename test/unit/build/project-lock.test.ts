import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {acquireBuildLock} from '../../../src/lib/build/project-lock.js'
import {TwoliterError} from '../../../src/lib/errors.js'
import {Logger} from '../../../src/lib/ui/logger.js'

describe('build lock', () => {
  let dir: string
  let lockFile: string
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'twoliter-lock-'))
    lockFile = path.join(dir, 'build', '.lock')
  })
  afterEach(() => rm(dir, {recursive: true, force: true}))

  it('is taken, refused to a second taker while its owner lives, and released', async () => {
    const release = await acquireBuildLock(lockFile, 'first', new Logger('off'))
    expect(JSON.parse(await readFile(lockFile, 'utf8'))).to.include({pid: process.pid, command: 'first'})
    // Another live process holds it: pretend the owner is our parent, which is certainly alive.
    await writeFile(lockFile, JSON.stringify({pid: process.ppid, startedAt: 'earlier', command: 'twoliter build package x'}))
    const error = await acquireBuildLock(lockFile, 'second', new Logger('off')).catch((e: unknown) => e)
    expect(error).to.be.instanceOf(TwoliterError)
    expect((error as TwoliterError).message).to.include(`twoliter build package x\` (process ${process.ppid}`)
    await release()
    const again = await acquireBuildLock(lockFile, 'third', new Logger('off'))
    await again()
  })

  it('takes over a lock whose owner is gone, with a warning', async () => {
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {encoding: 'utf8'})
    await acquireBuildLock(lockFile, 'first', new Logger('off'))
    await writeFile(lockFile, JSON.stringify({pid: Number(dead.stdout), startedAt: 'earlier', command: 'old'}))
    const logger = new Logger('off')
    const release = await acquireBuildLock(lockFile, 'new', logger)
    expect(logger.warnings.join('\n')).to.include(`left by process ${dead.stdout}`)
    await release()
  })
})
