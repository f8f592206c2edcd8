import {expect} from 'chai'
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {expectNoStackTrace, twoliter} from '../../helpers/cli.js'
import {snapshot, temporaryDirectory} from '../scaffold/helpers.js'

describe('twoliter new (CLI)', () => {
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>
  beforeEach(async () => {
    tmp = await temporaryDirectory()
  })
  afterEach(() => tmp.remove())

  it('creates a project and adds a package, reporting both as JSON', async () => {
    const created = twoliter(['new', 'project', '--name', 'demo', '--json'], tmp.dir)
    expect(created.status, created.stderr).to.equal(0)
    const project = JSON.parse(created.stdout)
    expect(project).to.include({root: path.join(tmp.dir, 'demo'), package: 'demo-hello', kit: 'demo-kit', variant: 'demo-dev'})
    expect(project.files).to.include.members(['Twoliter.toml', 'Cargo.toml', 'Cargo.lock', 'packages/demo-hello/demo-hello.spec'])

    const added = twoliter(['new', 'package', '--name', 'agent', '--kit', 'demo-kit', '--json'], path.join(tmp.dir, 'demo', 'kits'))
    expect(added.status, added.stderr).to.equal(0)
    expect(JSON.parse(added.stdout).changed).to.deep.equal(['Cargo.lock', 'Cargo.toml', 'kits/demo-kit/Cargo.toml'])
    expect(await readFile(path.join(tmp.dir, 'demo', 'kits/demo-kit/Cargo.toml'), 'utf8')).to.include('agent = { path = "../../packages/agent" }')
  })

  it('fails with exit code 1 and a one-paragraph error when the directory is in use', async () => {
    twoliter(['new', 'project', '--name', 'demo'], tmp.dir)
    const before = await snapshot(tmp.dir)
    const again = twoliter(['new', 'project', '--name', 'demo'], tmp.dir)
    expect(again.status).to.equal(1)
    expect(again.stderr).to.match(/^Error: .*demo already exists and is not empty.*never overwrites/m)
    expectNoStackTrace(again)
    expect(await snapshot(tmp.dir)).to.deep.equal(before)
  })

  it('treats a bad name as a usage error (exit code 2), also under --json', () => {
    const run = twoliter(['new', 'project', '--name', 'my os', '--json'], tmp.dir)
    expect(run.status).to.equal(2)
    expect(JSON.parse(run.stdout).error).to.include({code: 'scaffold.name', exitCode: 2})
    expectNoStackTrace(run)
  })

  it('needs --registry with --vendor', () => {
    const run = twoliter(['new', 'project', '--name', 'demo', '--vendor', 'acme'], tmp.dir)
    expect(run.status).to.equal(2)
    expect(run.stderr).to.include('--registry')
  })

  it('says where to run it when there is no project', () => {
    const run = twoliter(['new', 'package', '--name', 'agent'], tmp.dir)
    expect(run.status).to.equal(1)
    expect(run.stderr).to.include('Unable to find a Twoliter.toml')
    expect(run.stderr).to.include('twoliter new project')
    expectNoStackTrace(run)
  })
})
