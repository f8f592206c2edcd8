import {expect} from 'chai'
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {chown, cp, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {Engine} from '../../src/lib/engine/index.js'
import {Logger} from '../../src/lib/ui/logger.js'
import {REPO, type Run, expectNoStackTrace, twoliter, twoliterAsync} from '../helpers/cli.js'
import {ensureLocalSdk} from '../helpers/sdk.js'
import {type LoopbackServer, loopbackServers, serve, sha512Hex} from '../helpers/loopback-server.js'

const FIXTURE = path.join(REPO, 'test/fixtures/build/packages-project')
const SDK_REF = 'localhost/twoliter-e2e/sdk:v0.1.0'

interface BuildResult {
  packages: Array<{name: string; action: string; reasons: string[]; outputs: string[]}>
  containerRuns: number
}

function parseResult(run: Run): BuildResult {
  expect(run.status, `${run.stderr}\n${run.stdout}`).to.equal(0)
  return JSON.parse(run.stdout) as BuildResult
}

const actions = (result: BuildResult) => Object.fromEntries(result.packages.map((p) => [p.name, p.action]))

describe('build package (real engine)', function () {
  this.timeout(300_000)
  const servers = loopbackServers()
  let engine: Engine
  let work: string
  let project: string
  let lookaside: LoopbackServer
  const build = (...args: string[]) => twoliter(['build', 'package', ...args], project, {TWOLITER_CACHE_DIR: path.join(work, 'cache')})
  const buildAsync = (...args: string[]) => twoliterAsync(['build', 'package', ...args], project, {TWOLITER_CACHE_DIR: path.join(work, 'cache')})

  before(async () => {
    engine = await Engine.connect(new Logger('off'))
    await engine.tagImage(await ensureLocalSdk(), SDK_REF)
  })

  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'twoliter-e2e-build-'))
    project = path.join(work, 'project')
    await cp(FIXTURE, project, {recursive: true})
  })

  afterEach(async () => {
    await rm(work, {recursive: true, force: true})
  })

  it('builds a package after the packages it BuildRequires, then skips them all when nothing changed', async () => {
    const first = parseResult(build('pkg-c', '--json'))
    expect(actions(first)).to.deep.equal({'pkg-a': 'built', 'pkg-b': 'built', 'pkg-c': 'built'})
    expect(first.containerRuns).to.equal(3)
    for (const name of ['pkg-a', 'pkg-b', 'pkg-c']) {
      const rpms = await readdir(path.join(project, 'build/rpms', name))
      expect(rpms).to.deep.equal([`bottlerocket-${name}-1.0-1.0000000000.00000000.br1.x86_64.rpm`])
    }

    const again = parseResult(build('pkg-c', '--json'))
    expect(again.containerRuns).to.equal(0)
    expect(actions(again)).to.deep.equal({'pkg-a': 'up-to-date', 'pkg-b': 'up-to-date', 'pkg-c': 'up-to-date'})
  })

  it('rebuilds a changed package and its dependents only, and says why', async () => {
    parseResult(build('pkg-c', '--json'))
    await writeFile(path.join(project, 'packages/pkg-b/pkg-b.txt'), 'pkg-b source, changed\n')
    const result = parseResult(build('pkg-c', '--json', '--explain'))
    expect(actions(result)).to.deep.equal({'pkg-a': 'up-to-date', 'pkg-b': 'built', 'pkg-c': 'built'})
    expect(result.containerRuns).to.equal(2)
    const reasons = Object.fromEntries(result.packages.map((p) => [p.name, p.reasons]))
    expect(reasons['pkg-b']).to.deep.equal(['file:pkg-b.txt changed'])
    expect(reasons['pkg-c']).to.deep.equal(['dependency:pkg-b changed'])

    const explained = build('pkg-c', '--explain')
    expect(explained.stderr).to.match(/package pkg-a: skipped, inputs and outputs unchanged/)

    const forced = parseResult(build('pkg-c', '--json', '--force'))
    expect(forced.containerRuns).to.equal(3)
  })

  it('rebuilds a package whose RPM was deleted', async () => {
    parseResult(build('pkg-a', '--json'))
    await rm(path.join(project, 'build/rpms/pkg-a'), {recursive: true})
    const result = parseResult(build('pkg-a', '--json'))
    expect(result.packages[0].reasons[0]).to.match(/output .* is missing/)
    expect(result.containerRuns).to.equal(1)
  })

  it('says what to do when the project names no SDK, or an SDK the engine does not have', async () => {
    const toml = path.join(project, 'Twoliter.toml')
    const original = await readFile(toml, 'utf8')
    await writeFile(toml, original.replace(/\[sdk\][^[]*/, ''))
    const noSdk = build('pkg-a')
    expect(noSdk.status).to.equal(1)
    expect(noSdk.stderr).to.include('has no [sdk] table')
    expect(noSdk.stderr).to.include('twoliter sdk build-local')
    expectNoStackTrace(noSdk)

    await writeFile(toml, original.replace('version = "0.1.0"', 'version = "9.9.9"'))
    const missing = build('pkg-a')
    expect(missing.status).to.equal(1)
    expect(missing.stderr).to.include('the SDK image localhost/twoliter-e2e/sdk:v9.9.9 is not in the container engine')
    expect(await exists(path.join(project, 'build'))).to.equal(false)
  })

  it('cleans the build directory, but not while a build holds the lock', async () => {
    parseResult(build('pkg-a', '--json'))
    await writeFile(path.join(project, 'build/.twoliter-build.lock'), JSON.stringify({pid: process.pid, startedAt: 'now', command: 'twoliter build package x'}))
    const refused = twoliter(['build', 'clean'], project)
    expect(refused.status).to.equal(1)
    expect(refused.stderr).to.include('another build is running')
    expect(await exists(path.join(project, 'build/rpms/pkg-a'))).to.equal(true)

    await rm(path.join(project, 'build/.twoliter-build.lock'))
    const cleaned = twoliter(['build', 'clean', '--json'], project)
    expect(cleaned.status, cleaned.stderr).to.equal(0)
    expect(JSON.parse(cleaned.stdout).removed).to.include.members(['build/rpms', 'build/state', 'build/logs'])
    expect(await readdir(path.join(project, 'build'))).to.deep.equal([])
    const rebuilt = parseResult(build('pkg-a', '--json'))
    expect(rebuilt.containerRuns).to.equal(1)
  })

  describe('external files', () => {
    let tarball: Buffer
    beforeEach(async () => {
      const staging = path.join(work, 'tar')
      await mkdir(staging)
      await writeFile(path.join(staging, 'payload.txt'), 'external content\n')
      tarball = execFileSync('tar', ['-C', staging, '-c', 'payload.txt'])
      const sha512 = sha512Hex(tarball)
      lookaside = await servers.start({[`/pkg-ext-1.0.tar/${sha512}/pkg-ext-1.0.tar`]: serve(tarball)})
      const toml = path.join(project, 'Twoliter.toml')
      await writeFile(toml, (await readFile(toml, 'utf8')).replace('lookaside-caches = []', `lookaside-caches = ["${lookaside.origin}"]`))
    })

    it('are fetched on the host from the lookaside cache and built into the package', async () => {
      const manifest = path.join(project, 'packages/pkg-ext/Cargo.toml')
      await writeFile(manifest, (await readFile(manifest, 'utf8')).replace(/sha512 = "0+"/, `sha512 = "${sha512Hex(tarball)}"`))
      const result = parseResult(await buildAsync('pkg-ext', '--json'))
      expect(actions(result)).to.deep.equal({'pkg-ext': 'built'})
      expect(lookaside.requests).to.have.length(1)
    })

    it('are refused, before any container starts, when their SHA-512 does not match', async () => {
      const wrong = sha512Hex(Buffer.from('something else'))
      lookaside = await servers.start({[`/pkg-ext-1.0.tar/${wrong}/pkg-ext-1.0.tar`]: serve(tarball)})
      const toml = path.join(project, 'Twoliter.toml')
      await writeFile(toml, (await readFile(toml, 'utf8')).replace(/lookaside-caches = \[.*\]/, `lookaside-caches = ["${lookaside.origin}"]`))
      const manifest = path.join(project, 'packages/pkg-ext/Cargo.toml')
      await writeFile(manifest, (await readFile(manifest, 'utf8')).replace(/sha512 = "0+"/, `sha512 = "${wrong}"`))
      const run = await buildAsync('pkg-ext')
      expect(run.status).to.equal(1)
      expect(run.stderr).to.include(wrong)
      expect(run.stderr).to.include(sha512Hex(tarball))
      expectNoStackTrace(run)
      expect(await exists(path.join(project, 'build/rpms/pkg-ext'))).to.equal(false)
    })
  })

  it('shows the end of the log and where the whole log is when a spec fails', async () => {
    const run = build('pkg-bad')
    expect(run.status).to.equal(1)
    expect(run.stderr).to.include('package pkg-bad failed to build')
    expect(run.stderr).to.include('pkg-bad: this spec fails on purpose')
    const logFile = path.join(project, 'build/logs/x86_64/packages/pkg-bad.log')
    expect(run.stderr).to.include(logFile)
    expect(await readFile(logFile, 'utf8')).to.include('Bad exit status')
    expectNoStackTrace(run)
  })

  it('stops cleanly on SIGINT, refuses a second build meanwhile, and builds correctly afterwards', async () => {
    const cli = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(REPO, 'bin/dev.js'), 'build', 'package', 'pkg-slow'], {
      cwd: project,
      env: {...process.env, NO_COLOR: '1', TWOLITER_CACHE_DIR: path.join(work, 'cache')},
    })
    let stderr = ''
    cli.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const exited = new Promise<number | null>((resolve) => cli.on('exit', resolve))
    await waitFor(() => stderr.includes('building'), 60_000)
    await waitFor(async () => (await containersOf(project)).length > 0, 30_000)

    const second = build('pkg-a')
    expect(second.status).to.equal(1)
    expect(second.stderr).to.include('another build is running in this project')

    cli.kill('SIGINT')
    const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 30_000))])
    expect(code, stderr).to.equal(130)
    expect(stderr).to.include('interrupted')
    expect(await containersOf(project)).to.deep.equal([])
    expect(await exists(path.join(project, 'build/rpms/pkg-slow'))).to.equal(false)
    expect(await readdir(path.join(project, 'build/.staging'))).to.deep.equal([])
    expect(await exists(path.join(project, 'build/.twoliter-build.lock'))).to.equal(false)

    const spec = path.join(project, 'packages/pkg-slow/pkg-slow.spec')
    await writeFile(spec, (await readFile(spec, 'utf8')).replace('sleep 60', 'true'))
    expect(actions(parseResult(build('pkg-slow', '--json')))).to.deep.equal({'pkg-slow': 'built'})
  })

  it('leaves everything it writes owned by the invoking user when that user is not root', async function () {
    if (process.getuid?.() !== 0) this.skip()
    const uid = 4242
    const dockerGroup = (await stat('/var/run/docker.sock')).gid
    await chownTree(work, uid, dockerGroup)
    const result = spawnSync(process.execPath, ['--import', import.meta.resolve('tsx'), path.join(REPO, 'bin/dev.js'), 'build', 'package', 'pkg-b', '--json'], {
      cwd: project,
      encoding: 'utf8',
      uid,
      gid: dockerGroup,
      // oclif asks the passwd database for the shell unless SHELL says it, and this uid has no entry.
      env: {...process.env, SHELL: '/bin/sh', HOME: work, NO_COLOR: '1', TWOLITER_CACHE_DIR: path.join(work, 'cache'), TSX_TSCONFIG_PATH: path.join(REPO, 'tsconfig.json')},
    })
    expect(result.status, result.stderr).to.equal(0)
    const owners = new Set<string>()
    for (const entry of await readdir(path.join(project, 'build'), {recursive: true})) {
      const info = await stat(path.join(project, 'build', entry))
      owners.add(`${info.uid}:${info.gid}`)
    }

    expect([...owners]).to.deep.equal([`${uid}:${dockerGroup}`])
  })
})

const exists = (file: string) => stat(file).then(() => true, () => false)

async function containersOf(project: string): Promise<string[]> {
  const engine = await Engine.connect(new Logger('off'))
  const containers = await engine.docker.listContainers({all: true, filters: {label: [`dev.twoliter.project=${project}`]}})
  return containers.map((c) => c.Id)
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await chown(dir, uid, gid)
  for (const entry of await readdir(dir, {recursive: true})) await chown(path.join(dir, entry), uid, gid)
}
