/**
 * Kit builds against the real engine and the local SDK: the kit's packages, its yum repository (made
 * and checked in the SDK), its OCI archive, the no-op rebuild, local kit dependencies, failures and
 * interrupts. The fixture's kit-a holds pkg-a and pkg-b (noarch, BuildRequires pkg-a); kit-b depends on
 * kit-a and holds pkg-c, which build-depends on kit-a and BuildRequires pkg-a from its repository.
 */

import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {cp, mkdtemp, readFile, readdir, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {gunzipSync} from 'node:zlib'

import {hostArch} from '../../src/lib/build/arch.js'
import {type KitBuildResult, buildKits} from '../../src/lib/build/kit-builds.js'
import {KitBuildError} from '../../src/lib/build/kit-repo.js'
import type {BuildReporter, NodeReport, PackageBuildOptions} from '../../src/lib/build/package-builds.js'
import {openBuildSession} from '../../src/lib/build/session.js'
import {sha256File} from '../../src/lib/build/digest.js'
import type {Engine} from '../../src/lib/engine/index.js'
import {TwoliterError} from '../../src/lib/errors.js'
import {readKitArchive} from '../../src/lib/kits/kit-image.js'
import {Logger} from '../../src/lib/ui/logger.js'
import {REPO, twoliter} from '../helpers/cli.js'
import {commitProject} from '../helpers/git.js'
import {connectEngine, ensureLocalSdk} from '../helpers/sdk.js'

const FIXTURE = path.join(REPO, 'test/fixtures/build/kits-project')
const SDK_REF = 'localhost/twoliter-e2e/sdk:v0.1.0'
const ARCH = hostArch()
const DOCKER_ARCH = ARCH === 'x86_64' ? 'amd64' : 'arm64'
const RPM_ARCH_SUFFIX = `.${ARCH}.rpm`

class CollectingReporter implements BuildReporter {
  readonly lines: string[] = []
  constructor(private readonly onLine?: (kind: string, name: string, line: string) => void) {}
  started(): void {}
  line(kind: string, name: string, line: string): void {
    this.lines.push(`${kind} ${name} | ${line}`)
    this.onLine?.(kind, name, line)
  }

  finished(): void {}
}

interface BuildRun extends KitBuildResult {
  containerRuns: number
}

const actions = (reports: NodeReport[]) => reports.map((r) => `${r.kind} ${r.name}: ${r.action}`)

describe('build kit (real engine)', function () {
  this.timeout(300_000)
  let engine: Engine
  let work: string
  let project: string
  let lastContainerRuns: number

  const kitDir = (kit: string) => path.join(project, 'build/kits', kit)
  const repoDir = (kit: string) => path.join(kitDir(kit), ARCH)
  const stagingDir = () => path.join(project, 'build/.staging')

  /** Builds a kit through a build session, as the `build kit` command does. */
  async function build(kit: string, options: Partial<PackageBuildOptions> & {reporter?: BuildReporter} = {}): Promise<BuildRun> {
    const session = await openBuildSession({
      projectPath: path.join(project, 'Twoliter.toml'),
      arch: ARCH,
      cacheDir: path.join(work, 'cache'),
      command: `test build kit ${kit}`,
      logger: new Logger('warn'),
      reporter: options.reporter ?? new CollectingReporter(),
      sources: {},
    })
    try {
      const result = await buildKits(session.context, kit, {jobs: 4, keepGoing: false, force: false, signal: session.signal, ...options})
      return {...result, containerRuns: session.context.engine.stats.containerRuns}
    } finally {
      lastContainerRuns = session.context.engine.stats.containerRuns
      await session.close()
    }
  }

  async function buildOk(kit: string, options: Partial<PackageBuildOptions> = {}): Promise<BuildRun> {
    const result = await build(kit, options)
    expect([...result.failures.values()].map(String)).to.deep.equal([])
    return result
  }

  before(async () => {
    engine = await connectEngine()
    await engine.tagImage(await ensureLocalSdk(), SDK_REF)
  })

  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'twoliter-e2e-kit-'))
    project = path.join(work, 'project')
    await cp(FIXTURE, project, {recursive: true})
  })

  afterEach(async () => {
    await rm(work, {recursive: true, force: true})
  })

  it('builds kit-a into a yum repository dnf lists and an OCI archive named and labelled like twoliter 0.5 does', async () => {
    const {id, timestamp} = commitProject(project)
    const result = await buildOk('kit-a')
    expect(actions(result.reports)).to.deep.equal(['package pkg-a: built', 'package pkg-b: built', 'kit kit-a: built'])
    expect(result.containerRuns).to.equal(3)

    const dist = `1.${timestamp}.${id}.br1`
    expect(await readdir(path.join(repoDir('kit-a'), 'Packages'))).to.deep.equal(['pkg-a', 'pkg-b'])
    const rpmA = `bottlerocket-pkg-a-1.0-${dist}${RPM_ARCH_SUFFIX}`
    const rpmB = `bottlerocket-pkg-b-1.0-${dist}.noarch.rpm`
    expect(await readdir(path.join(repoDir('kit-a'), 'Packages/pkg-a'))).to.deep.equal([rpmA])
    expect(await readdir(path.join(repoDir('kit-a'), 'Packages/pkg-b'))).to.deep.equal([rpmB])
    expect(await sha256File(path.join(repoDir('kit-a'), 'Packages/pkg-a', rpmA))).to.equal(await sha256File(path.join(project, 'build/rpms/pkg-a', rpmA)))

    // The repository's own metadata, read without dnf: both packages, at their place in Packages/.
    const primary = await primaryXml(repoDir('kit-a'))
    expect([...primary.matchAll(/<name>([^<]+)<\/name>/g)].map((m) => m[1]).sort()).to.deep.equal(['bottlerocket-pkg-a', 'bottlerocket-pkg-b'])
    expect([...primary.matchAll(/<location href="([^"]+)"/g)].map((m) => m[1]).sort()).to.deep.equal([`Packages/pkg-a/${rpmA}`, `Packages/pkg-b/${rpmB}`])
    // And dnf in a fresh container of the SDK, as a consumer of the kit reads it.
    expect(await repoquery(engine, repoDir('kit-a'))).to.deep.equal([`bottlerocket-pkg-a ${ARCH}`, 'bottlerocket-pkg-b noarch'])

    const archiveName = `kit-a-v1.2.3-${id}-${ARCH}.tar`
    const archive = path.join(kitDir('kit-a'), archiveName)
    expect((await readdir(kitDir('kit-a'))).sort()).to.deep.equal([ARCH, archiveName].sort())
    expect(result.kits).to.deep.equal([{name: 'kit-a', repoDir: repoDir('kit-a'), archive, manifestDigest: result.kits[0].manifestDigest, action: 'built'}])
    const image = await readKitArchive(archive)
    expect(image.manifestDigest).to.equal(result.kits[0].manifestDigest)
    expect(image.platform).to.deep.include({architecture: DOCKER_ARCH, os: 'linux'})
    expect(image.metadata).to.deep.equal({name: 'kit-a', version: '1.2.3', sdk: {name: 'sdk', version: '0.1.0', vendor: 'local'}, kit: []})
    expect(image.layers).to.have.length(3)
    const index = JSON.parse(execFileSync('tar', ['-xOf', archive, 'index.json'], {encoding: 'utf8'})) as {manifests: Array<{annotations: Record<string, string>}>}
    expect(index.manifests[0].annotations['org.opencontainers.image.created']).to.equal(new Date(Number(timestamp) * 1000).toISOString())

    expect(await readFile(path.join(project, `build/logs/${ARCH}/kits/kit-a.log`), 'utf8')).to.include('the repository lists all 2 RPMs')
    expect(await readdir(stagingDir())).to.deep.equal([])
  })

  it('starts no container when nothing changed, and makes the same image again from the same RPMs', async () => {
    const first = await buildOk('kit-a')
    const archive = first.kits[0].archive
    const archiveDigest = await sha256File(archive)

    const again = await buildOk('kit-a')
    expect(again.containerRuns).to.equal(0)
    expect(actions(again.reports)).to.deep.equal(['package pkg-a: up-to-date', 'package pkg-b: up-to-date', 'kit kit-a: up-to-date'])
    expect(again.kits).to.deep.equal([{...first.kits[0], action: 'up-to-date'}])

    // Without its build record, the kit node alone is built again: its packages are up to date. A second
    // later, so that anything stamped with the time of the build would show.
    await rm(path.join(project, `build/state/${ARCH}/kits/kit-a.json`))
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const rebuilt = await buildOk('kit-a')
    expect(actions(rebuilt.reports)).to.deep.equal(['package pkg-a: up-to-date', 'package pkg-b: up-to-date', 'kit kit-a: built'])
    expect(rebuilt.containerRuns).to.equal(1)
    expect(rebuilt.kits[0].manifestDigest).to.equal(first.kits[0].manifestDigest)
    expect(await sha256File(archive)).to.equal(archiveDigest)

    const repomd = path.join(repoDir('kit-a'), 'repodata/repomd.xml')
    await rm(repomd)
    const repaired = await buildOk('kit-a')
    expect(repaired.reports.find((r) => r.kind === 'kit')!.reasons).to.deep.equal([`output ${ARCH}/repodata/repomd.xml is missing`])
    expect(repaired.containerRuns).to.equal(1)
    expect(await stat(repomd)).to.be.ok

    // A new build id names a new archive; the kit's older archive for the arch goes.
    const {id} = commitProject(project)
    const renamed = await buildOk('kit-a')
    expect(renamed.kits[0].archive).to.equal(path.join(kitDir('kit-a'), `kit-a-v1.2.3-${id}-${ARCH}.tar`))
    expect((await readdir(kitDir('kit-a'))).sort()).to.deep.equal([ARCH, `kit-a-v1.2.3-${id}-${ARCH}.tar`].sort())
  })

  it('builds kit-a before kit-b, whose package takes its build dependency from kit-a\'s repository', async () => {
    const result = await buildOk('kit-b')
    expect(actions(result.reports)).to.deep.equal([
      'package pkg-a: built',
      'package pkg-b: built',
      'kit kit-a: built',
      'package pkg-c: built',
      'kit kit-b: built',
    ])
    expect(result.kits.map((kit) => kit.name)).to.deep.equal(['kit-a', 'kit-b'])
    expect(await readdir(path.join(repoDir('kit-b'), 'Packages'))).to.deep.equal(['pkg-c'])
    const pkgC = JSON.parse(await readFile(path.join(project, `build/state/${ARCH}/packages/pkg-c.json`), 'utf8')) as {inputs: Record<string, string>}
    const kitA = JSON.parse(await readFile(path.join(project, `build/state/${ARCH}/kits/kit-a.json`), 'utf8')) as {outputDigest: string}
    expect(pkgC.inputs['kit:my-vendor-kit-a']).to.equal(kitA.outputDigest)

    const image = await readKitArchive(result.kits[1].archive)
    expect(image.metadata.name).to.equal('kit-b')
    expect(image.metadata.kit).to.deep.equal([{name: 'kit-a', version: '1.2.3', vendor: 'my-vendor'}])

    // A change in kit-a reaches kit-b through kit-a's repository.
    await writeFile(path.join(project, 'packages/pkg-a/pkg-a.txt'), 'pkg-a source, changed\n')
    const changed = await buildOk('kit-b')
    expect(changed.reports.every((r) => r.action === 'built')).to.equal(true)
    expect(changed.reports.find((r) => r.name === 'pkg-c')!.reasons).to.deep.equal(['kit:my-vendor-kit-a changed'])
  })

  it('refuses a kit without packages before any container starts', async () => {
    const manifest = path.join(project, 'kits/kit-a/Cargo.toml')
    await writeFile(manifest, (await readFile(manifest, 'utf8')).replace(/^pkg-.*$/gm, ''))
    const error = await build('kit-b').then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(error).to.be.instanceOf(TwoliterError)
    expect((error as TwoliterError).code).to.equal('build.kit-empty')
    expect((error as TwoliterError).message).to.include('the kit kit-a has no packages')
    expect(lastContainerRuns).to.equal(0)
  })

  it('fails with the end of its log when dnf cannot read an RPM, and keeps the previous kit', async () => {
    const first = await buildOk('kit-a')
    const archiveDigest = await sha256File(first.kits[0].archive)
    // An RPM broken behind the package's back (same size and time, so its build record still holds).
    const rpmDir = path.join(project, 'build/rpms/pkg-b')
    const [rpm] = await readdir(rpmDir)
    const file = path.join(rpmDir, rpm)
    const reference = path.join(work, 'reference')
    execFileSync('cp', ['--preserve=timestamps', file, reference])
    await writeFile(file, Buffer.alloc((await stat(file)).size, 0x42))
    // touch copies the nanoseconds, which Node's utimes would round.
    execFileSync('touch', ['-r', reference, file])
    await rm(path.join(project, `build/state/${ARCH}/kits/kit-a.json`))

    const result = await build('kit-a')
    expect(actions(result.reports)).to.deep.equal(['package pkg-a: up-to-date', 'package pkg-b: up-to-date', 'kit kit-a: failed'])
    const error = result.failures.get('kit-a')
    expect(error).to.be.instanceOf(KitBuildError)
    const {message, hint} = error as KitBuildError
    expect(message).to.include('kit kit-a failed to build')
    expect(message).to.include('dnf repoquery does not list these RPMs')
    expect(message).to.include(`Packages/pkg-b/${rpm}`)
    expect(hint).to.include(path.join(project, `build/logs/${ARCH}/kits/kit-a.log`))
    expect(await sha256File(first.kits[0].archive)).to.equal(archiveDigest)
    expect(await readdir(path.join(repoDir('kit-a'), 'Packages/pkg-b'))).to.deep.equal([rpm])
    expect(await readdir(stagingDir())).to.deep.equal([])
  })

  it('leaves no half-made kit and no container behind when stopped while making the repository', async () => {
    const controller = new AbortController()
    const reporter = new CollectingReporter((kind, _name, line) => {
      if (kind === 'kit' && line.includes('createrepo_c')) controller.abort(new Error('stopped by the test'))
    })
    const result = await build('kit-a', {signal: controller.signal, reporter})
    expect(actions(result.reports)).to.deep.equal(['package pkg-a: built', 'package pkg-b: built', 'kit kit-a: not-run'])
    expect(result.failures.size).to.equal(0)
    expect(result.kits).to.deep.equal([])
    expect(reporter.lines.some((line) => line.includes('createrepo_c'))).to.equal(true)
    expect(await exists(kitDir('kit-a'))).to.equal(false)
    expect(await exists(path.join(project, `build/state/${ARCH}/kits/kit-a.json`))).to.equal(false)
    expect(await readdir(stagingDir())).to.deep.equal([])
    const containers = await engine.docker.listContainers({all: true, filters: {label: [`dev.twoliter.project=${project}`]}})
    expect(containers).to.deep.equal([])

    const resumed = await buildOk('kit-a')
    expect(actions(resumed.reports)).to.deep.equal(['package pkg-a: up-to-date', 'package pkg-b: up-to-date', 'kit kit-a: built'])
    expect(resumed.containerRuns).to.equal(1)
  })

  it('builds the local kit a package depends on before the package, with `twoliter build package`', () => {
    const env = {TWOLITER_CACHE_DIR: path.join(work, 'cache')}
    const run = twoliter(['build', 'package', 'pkg-c', '--arch', ARCH, '--json'], project, env)
    expect(run.status, run.stderr).to.equal(0)
    const result = JSON.parse(run.stdout) as {packages: Array<{kind: string; name: string; action: string}>}
    expect(result.packages.map((node) => `${node.kind} ${node.name}: ${node.action}`)).to.deep.equal([
      'package pkg-a: built',
      'package pkg-b: built',
      'kit kit-a: built',
      'package pkg-c: built',
    ])
    // Built in a kit's build or on its own, the package has the same inputs: nothing to do for kit-b's build.
    const kitB = twoliter(['build', 'kit', 'kit-b', '--arch', ARCH, '--json', '--explain'], project, env)
    expect(kitB.status, kitB.stderr).to.equal(0)
    const nodes = (JSON.parse(kitB.stdout) as {nodes: Array<{kind: string; name: string; action: string}>}).nodes
    expect(nodes.map((node) => `${node.kind} ${node.name}: ${node.action}`)).to.deep.equal([
      'package pkg-a: up-to-date',
      'package pkg-b: up-to-date',
      'kit kit-a: up-to-date',
      'package pkg-c: up-to-date',
      'kit kit-b: built',
    ])
  })

  it('is what `twoliter build kit` runs', () => {
    const env = {TWOLITER_CACHE_DIR: path.join(work, 'cache')}
    const first = twoliter(['build', 'kit', 'kit-a', '--arch', ARCH, '--json'], project, env)
    expect(first.status, first.stderr).to.equal(0)
    const built = JSON.parse(first.stdout) as {kits: Array<{name: string; action: string; archive: string}>; containerRuns: number}
    expect(built.kits.map((kit) => [kit.name, kit.action, path.basename(kit.archive)])).to.deep.equal([['kit-a', 'built', `kit-a-v1.2.3-00000000-${ARCH}.tar`]])
    expect(built.containerRuns).to.equal(3)

    const again = twoliter(['build', 'kit', 'kit-a', '--arch', ARCH, '--json'], project, env)
    expect(again.status, again.stderr).to.equal(0)
    expect((JSON.parse(again.stdout) as {containerRuns: number}).containerRuns).to.equal(0)
  })
})

const exists = (file: string) => stat(file).then(() => true, () => false)

async function primaryXml(repo: string): Promise<string> {
  const [file] = (await readdir(path.join(repo, 'repodata'))).filter((name) => name.endsWith('-primary.xml.gz'))
  return gunzipSync(await readFile(path.join(repo, 'repodata', file))).toString('utf8')
}

/** What dnf in a container of the SDK finds in the repository: `name arch` per package, sorted. */
async function repoquery(engine: Engine, repo: string): Promise<string[]> {
  let output = ''
  const {exitCode} = await engine.run(
    {
      image: SDK_REF,
      cmd: ['dnf', 'repoquery', '-q', '--releasever', '0', '--disablerepo', '*', '--repofrompath', 'kit,/repo', '--enablerepo', 'kit', '--forcearch', ARCH, '--qf', '%{name} %{arch}'],
      user: '0:0',
      mounts: [{host: repo, container: '/repo', readOnly: true}],
      network: 'none',
    },
    {onOutput: (text) => (output += text)},
  )
  expect(exitCode, output).to.equal(0)
  return output.split('\n').filter((line) => line !== '').sort()
}
