import path from 'node:path'

import {expect} from 'chai'

import {type DoctorOptions, runDoctor} from '../../../src/lib/doctor/index.js'
import {Engine} from '../../../src/lib/engine/index.js'
import {Logger} from '../../../src/lib/ui/logger.js'
import {REPO} from '../../helpers/cli.js'
import {temporaryDirectories} from '../project/helpers.js'

const CYCLE = path.join(REPO, 'test', 'fixtures', 'manifest', 'cycle')
const SYNTAX_ERROR = path.join(REPO, 'test', 'fixtures', 'project', 'syntax-error')
const CHECK_IDS = ['node', 'engine', 'buildkit', 'disk-space', 'project-file', 'workspace', 'dependency-cycles', 'sdk-image', 'local-sdk']

describe('doctor: runDoctor without an engine', () => {
  const directories = temporaryDirectories()

  function options(overrides: Partial<DoctorOptions>): DoctorOptions {
    return {
      node: {version: 'v22.22.0', execPath: '/usr/bin/node'},
      nodeRequirement: '>=22.22.0',
      connectEngine: () => Engine.connect(new Logger('off'), {env: {DOCKER_HOST: 'unix:///nonexistent/twoliter-doctor.sock'}}),
      cwd: CYCLE,
      deep: false,
      plugins: [],
      diskThresholds: {warnBelow: 0, failBelow: 0},
      ...overrides,
    }
  }

  const statuses = (report: {checks: {id: string; status: string}[]}) => Object.fromEntries(report.checks.map((check) => [check.id, check.status]))

  it('runs every check in order in a project with a cycle, and is not ok', async () => {
    const report = await runDoctor(options({}))
    expect(report.checks.map((check) => check.id)).to.deep.equal(CHECK_IDS)
    expect(statuses(report)).to.deep.equal({
      node: 'ok',
      engine: 'fail',
      buildkit: 'skipped',
      'disk-space': 'ok',
      'project-file': 'ok',
      workspace: 'ok',
      'dependency-cycles': 'fail',
      'sdk-image': 'warn',
      'local-sdk': 'skipped',
    })
    expect(report.ok).to.equal(false)
    for (const check of report.checks) if (check.status !== 'ok') expect(check.fix, check.id).to.be.a('string').and.not.equal('')
  })

  it('measures the disk where the project builds', async () => {
    const report = await runDoctor(options({diskThresholds: {warnBelow: Number.MAX_SAFE_INTEGER, failBelow: 0}}))
    const disk = report.checks.find((check) => check.id === 'disk-space')
    expect(disk?.status).to.equal('warn')
    expect(disk?.detail).to.include(`free for ${path.join(CYCLE, 'build')}:`)
  })

  it('skips the project checks outside a project, which alone does not make it fail', async () => {
    const cwd = await directories.create()
    const report = await runDoctor(options({cwd, connectEngine: () => Promise.reject(new Error('no engine in this test'))}))
    expect(statuses(report)).to.include({'project-file': 'skipped', workspace: 'skipped', 'dependency-cycles': 'skipped', 'sdk-image': 'skipped'})
    expect(report.checks.find((check) => check.id === 'project-file')?.detail).to.equal(`not in a project: no Twoliter.toml in ${cwd} or any directory above it`)
    expect(report.checks.filter((check) => check.status === 'fail').map((check) => check.id)).to.deep.equal(['engine'])
  })

  it('skips what depends on a Twoliter.toml that does not load', async () => {
    const report = await runDoctor(options({cwd: SYNTAX_ERROR}))
    expect(statuses(report)).to.include({'project-file': 'fail', workspace: 'fail', 'dependency-cycles': 'skipped', 'sdk-image': 'skipped'})
  })

  it('fails the project check for a --project-path that names no file', async () => {
    const cwd = await directories.create()
    const report = await runDoctor(options({cwd, projectPath: 'missing/Twoliter.toml'}))
    const project = report.checks.find((check) => check.id === 'project-file')
    expect(project).to.deep.include({status: 'fail', detail: '--project-path missing/Twoliter.toml: no such file.'})
  })

  it('fails an old Node and reports the plugins it is given', async () => {
    const report = await runDoctor(
      options({
        node: {version: 'v20.11.1', execPath: '/usr/bin/node'},
        plugins: [{name: 'acme', version: '1.0.0', type: 'user', hookEvents: ['twoliter:pre-build', 'init']}],
      }),
    )
    expect(report.checks[0].status).to.equal('fail')
    expect(report.plugins).to.deep.equal([{name: 'acme', version: '1.0.0', type: 'user', capabilities: ['twoliter:pre-build']}])
  })
})
