import {expect} from 'chai'
import {chmod, cp, mkdtemp, readFile, readdir, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {Engine} from '../../src/lib/engine/index.js'
import {Logger} from '../../src/lib/ui/logger.js'
import {REPO, expectNoStackTrace, twoliter} from '../helpers/cli.js'
import {ensureLocalSdk} from '../helpers/sdk.js'

const PACKAGES_PROJECT = path.join(REPO, 'test/fixtures/build/packages-project')
const HOOKS = path.join(REPO, 'test/fixtures/hooks')
const SDK_REF = 'localhost/twoliter-e2e/sdk:v0.1.0'
const RPM = (name: string) => `bottlerocket-${name}-1.0-1.0000000000.00000000.br1.x86_64.rpm`

describe('project hook steps around package builds (real engine)', function () {
  this.timeout(300_000)
  let work: string
  let project: string
  const build = (...args: string[]) => twoliter(['build', 'package', ...args], project, {TWOLITER_CACHE_DIR: path.join(work, 'cache')})

  before(async () => {
    const engine = await Engine.connect(new Logger('off'))
    await engine.tagImage(await ensureLocalSdk(), SDK_REF)
  })

  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'twoliter-e2e-hooks-'))
    project = path.join(work, 'project')
    await cp(PACKAGES_PROJECT, project, {recursive: true})
    await cp(path.join(HOOKS, 'hooks'), path.join(project, 'hooks'), {recursive: true})
    // Git may not have kept the executable bit of the fixture.
    await chmod(path.join(project, 'hooks/stamp.sh'), 0o755)
  })

  afterEach(async () => {
    await rm(work, {recursive: true, force: true})
  })

  async function addHooks(table: string): Promise<void> {
    const toml = path.join(project, 'Twoliter.toml')
    await writeFile(toml, `${await readFile(toml, 'utf8')}\n${table}`)
  }

  it('runs the pre- and post-build steps of each package it builds, in order, into the package\'s log', async () => {
    await addHooks(await readFile(path.join(HOOKS, 'hooks.toml'), 'utf8'))
    const run = build('pkg-b', '--json')
    expect(run.status, run.stderr).to.equal(0)
    expect((JSON.parse(run.stdout) as {packages: Array<{name: string; action: string}>}).packages.map((p) => [p.name, p.action])).to.deep.equal([
      ['pkg-a', 'built'],
      ['pkg-b', 'built'],
    ])

    expect(await readFile(path.join(project, 'hooks.journal'), 'utf8')).to.equal(`pre pkg-a\npost pkg-a ${RPM('pkg-a')}\npre pkg-b\npost pkg-b ${RPM('pkg-b')}\n`)
    expect(await readFile(path.join(project, 'stamps/pkg-a'), 'utf8')).to.equal('package pkg-a x86_64\n')
    expect(await readFile(path.join(project, 'stamps/pkg-b'), 'utf8')).to.equal('package pkg-b x86_64\n')

    const log = (await readFile(path.join(project, 'build/logs/x86_64/packages/pkg-b.log'), 'utf8')).split('\n')
    const pre = log.indexOf('stamped pkg-b')
    const post = log.indexOf(`post pkg-b ${RPM('pkg-b')}`)
    expect(log.indexOf('[pre-build-package] hooks/stamp.sh pre')).to.equal(pre - 1)
    expect(pre).to.be.greaterThan(0)
    const wrote = log.findIndex((line) => line.startsWith('Wrote: '))
    expect(wrote, 'rpmbuild writes the RPM after the pre-build step').to.be.greaterThan(pre)
    expect(post, 'the post-build step prints after the build').to.be.greaterThan(wrote)
    expect(log).not.to.include('stamped pkg-a')

    // Steps run around builds, not around packages that are up to date.
    const journal = await readFile(path.join(project, 'hooks.journal'), 'utf8')
    expect(build('pkg-b').status).to.equal(0)
    expect(await readFile(path.join(project, 'hooks.journal'), 'utf8')).to.equal(journal)
  })

  it('stops the build when a pre-build step fails, showing its output, and builds no RPM', async () => {
    await addHooks(`[hooks]\npre-build-package = [\n  "echo checking $TWOLITER_TARGET; echo 'the license check failed' >&2; exit 4",\n  "touch second-step-ran",\n]\n`)
    const run = build('pkg-b')
    expect(run.status).to.equal(1)
    expectNoStackTrace(run)
    const logFile = path.join(project, 'build/logs/x86_64/packages/pkg-a.log')
    expect(run.stderr).to.include("the pre-build-package step `echo checking $TWOLITER_TARGET; echo 'the license check failed' >&2; exit 4` of package pkg-a failed: it exited with code 4.")
    expect(run.stderr).to.include('    checking pkg-a\n    the license check failed\n')
    expect(run.stderr).to.include(`The whole log is in ${logFile}.`)
    expect(run.stderr).to.include(`The step is declared at ${path.join(project, 'Twoliter.toml')}:`)
    expect(run.stderr).to.include('0 built, 0 up to date, 1 failed, 1 not built')
    expect(await readFile(logFile, 'utf8')).to.include('the license check failed')
    expect(await exists(path.join(project, 'second-step-ran'))).to.equal(false)
    expect(await rpmsUnder(path.join(project, 'build'))).to.deep.equal([])
  })

  it('refuses a mistake in [hooks] before anything is built, pointing at its line', async () => {
    await addHooks('[hooks]\npre-build-pakage = ["true"]\n')
    const run = build('pkg-a')
    expect(run.status).to.equal(1)
    expectNoStackTrace(run)
    const lines = (await readFile(path.join(project, 'Twoliter.toml'), 'utf8')).split('\n')
    expect(run.stderr).to.include(`${path.join(project, 'Twoliter.toml')}:${lines.indexOf('pre-build-pakage = ["true"]') + 1}:1: [hooks] has no lifecycle point named "pre-build-pakage". Did you mean pre-build-package?`)
    expect(await exists(path.join(project, 'build/rpms'))).to.equal(false)
  })
})

const exists = (file: string) => stat(file).then(() => true, () => false)

async function rpmsUnder(dir: string): Promise<string[]> {
  if (!(await exists(dir))) return []
  return (await readdir(dir, {recursive: true})).filter((entry) => entry.endsWith('.rpm'))
}
