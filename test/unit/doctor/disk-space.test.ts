import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {DEFAULT_DISK_THRESHOLDS, GiB, checkDiskSpace, formatBytes, measureFreeSpace} from '../../../src/lib/doctor/disk-space.js'

describe('doctor: free disk space', () => {
  let dir: string

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'twoliter-doctor-disk-'))
  })

  after(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  it('measures a directory that does not exist yet on the file system it will be on', async () => {
    const existing = await measureFreeSpace(dir)
    const missing = await measureFreeSpace(path.join(dir, 'build', 'rpms'))
    expect(existing.freeBytes).to.be.greaterThan(0)
    expect(missing.dir).to.equal(path.join(dir, 'build', 'rpms'))
    // Other processes write to the same disk meanwhile: allow them a GiB.
    expect(Math.abs(missing.freeBytes - existing.freeBytes)).to.be.lessThan(GiB)
  })

  it('is ok, warns or fails around the thresholds of the measured space', async () => {
    const space = await measureFreeSpace(dir)
    const free = space.freeBytes
    expect(checkDiskSpace(space, {warnBelow: free, failBelow: 0}).status).to.equal('ok')
    expect(checkDiskSpace(space, {warnBelow: free + 1, failBelow: 0}).status).to.equal('warn')
    expect(checkDiskSpace(space, {warnBelow: free + 2, failBelow: free + 1}).status).to.equal('fail')
  })

  it('uses 10 GiB and 2 GiB by default, and says what to do', () => {
    const at = (freeBytes: number) => checkDiskSpace({dir: '/p/build', freeBytes})
    expect(at(10 * GiB)).to.deep.equal({id: 'disk-space', title: 'Free disk space', status: 'ok', detail: '10.0 GiB free for /p/build'})
    const warn = at(10 * GiB - 1)
    expect(warn.status).to.equal('warn')
    expect(warn.detail).to.equal('10.0 GiB free for /p/build: less than 10.0 GiB, large builds may run out of space.')
    expect(warn.fix).to.include('twoliter build clean --all')
    expect(at(2 * GiB).status).to.equal('warn')
    const fail = at(1536 * 1024 ** 2)
    expect(fail.status).to.equal('fail')
    expect(fail.detail).to.equal('1.5 GiB free for /p/build: less than 2.0 GiB, builds will run out of space.')
    expect(DEFAULT_DISK_THRESHOLDS).to.deep.equal({warnBelow: 10 * GiB, failBelow: 2 * GiB})
  })

  it('formats sizes in binary units', () => {
    expect(formatBytes(77.04 * GiB)).to.equal('77.0 GiB')
    expect(formatBytes(512 * 1024 ** 2)).to.equal('512 MiB')
    expect(formatBytes(20 * 1024 + 5)).to.equal('20 KiB')
    expect(formatBytes(12)).to.equal('12 bytes')
  })
})
