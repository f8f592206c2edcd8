import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {probeEngine} from '../../../src/lib/doctor/engine.js'
import {Engine} from '../../../src/lib/engine/index.js'
import {Logger} from '../../../src/lib/ui/logger.js'

describe('doctor: Docker engine', () => {
  let dir: string

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'twoliter-doctor-engine-'))
  })

  after(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  const connectTo = (dockerHost: string) => () => Engine.connect(new Logger('off'), {env: {DOCKER_HOST: dockerHost}})

  it('fails when nothing listens at DOCKER_HOST, with how to start an engine or point at one', async () => {
    const socket = path.join(dir, 'dead.sock')
    const probe = await probeEngine(connectTo(`unix://${socket}`))
    expect(probe.engine).to.equal(undefined)
    expect(probe.check.status).to.equal('fail')
    expect(probe.check.detail).to.equal(`No Docker engine answers at unix://${socket} (connect ENOENT ${socket}).`)
    expect(probe.check.fix).to.include('DOCKER_HOST').and.include('start Docker')
  })

  it('fails a DOCKER_HOST it cannot use, saying what it should look like', async () => {
    const probe = await probeEngine(connectTo('ssh://builder@example.com'))
    expect(probe.check.status).to.equal('fail')
    expect(probe.check.detail).to.equal("DOCKER_HOST is 'ssh://builder@example.com', which twoliter cannot use.")
    expect(probe.check.fix).to.include('unix:///path/to/docker.sock or tcp://HOST:PORT')
  })
})
