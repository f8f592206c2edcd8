import {expect} from 'chai'
import {execFileSync, spawnSync} from 'node:child_process'
import {cp, mkdir, mkdtemp, readFile, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {Engine} from '../../src/lib/engine/index.js'
import {Logger} from '../../src/lib/ui/logger.js'
import {REPO, type Run, expectNoStackTrace, twoliter, twoliterAsync, twoliterBuilt} from '../helpers/cli.js'
import {TEST_USER, type TestRegistry, startTestRegistry} from '../helpers/registry.js'
import {ensureLocalSdk} from '../helpers/sdk.js'

const FIXTURES = path.join(REPO, 'test/fixtures/plugins')
const BUILD_FIXTURE = path.join(REPO, 'test/fixtures/build/packages-project')
const SDK_REF = 'localhost/twoliter-e2e/sdk:v0.1.0'
const HELLO = 'twoliter-plugin-hello'
// The npm that @oclif/plugin-plugins itself runs.
const NPM_CLI = path.join(path.dirname(fileURLToPath(import.meta.resolve('npm/package.json'))), 'bin/npm-cli.js')

interface MarkerRecord {
  event: string
  apiVersion?: string
  kind?: string
  name?: string
  arch?: string
  projectRoot?: string
  outputDir?: string
  outputs?: string[]
  rpmNames?: string[]
  sdkImage?: string
  host?: string
  context?: Record<string, string>
}

interface PluginListing {
  name: string
  type: string
  version: string
  root: string
}

/** `npm pack` of a fixture plugin (its prepack runs `oclif manifest`) into a new directory; returns the tarball. */
async function pack(fixture: string, work: string): Promise<string> {
  const destination = await mkdtemp(path.join(work, `${fixture}-`))
  const run = spawnSync(process.execPath, [NPM_CLI, 'pack', '--pack-destination', destination], {
    cwd: path.join(FIXTURES, fixture),
    encoding: 'utf8',
    // The prepack script finds `oclif` in the repository's node_modules/.bin, and runs it with this node.
    env: {...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`},
  })
  expect(run.status, run.stderr).to.equal(0)
  const [tarball, ...others] = await readdir(destination)
  expect(others).to.deep.equal([])
  return path.join(destination, tarball)
}

function succeeded(run: Run): Run {
  expect(run.status, `${run.stderr}\n${run.stdout}`).to.equal(0)
  expectNoStackTrace(run)
  return run
}

function warningsAbout(plugin: string, run: Run): string[] {
  return run.stderr.split('\n').filter((line) => line.startsWith(`warning: plugin ${plugin}:`))
}

async function markerRecords(file: string): Promise<MarkerRecord[]> {
  const text = await readFile(file, 'utf8').catch(() => '')
  return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as MarkerRecord)
}

describe('plugins (real installs, hooks around real builds)', function () {
  this.timeout(300_000)
  let work: string
  let marker: string
  let env: NodeJS.ProcessEnv
  const cli = (args: string[], cwd = REPO, extra: NodeJS.ProcessEnv = {}) => twoliter(args, cwd, {...env, ...extra})
  const plugins = () => JSON.parse(succeeded(cli(['plugins', '--json'])).stdout) as PluginListing[]

  before(async () => {
    const engine = await Engine.connect(new Logger('off'))
    await engine.tagImage(await ensureLocalSdk(), SDK_REF)
  })

  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'twoliter-e2e-plugins-'))
    marker = path.join(work, 'marker.jsonl')
    await mkdir(path.join(work, 'docker'))
    // Isolated from the developer's own plugins and credentials; npm uses its cache first and the registry for what it lacks.
    env = {
      TWOLITER_DATA_DIR: path.join(work, 'data'),
      TWOLITER_CACHE_DIR: path.join(work, 'cache'),
      TWOLITER_CONFIG_DIR: path.join(work, 'config'),
      DOCKER_CONFIG: path.join(work, 'docker'),
      npm_config_prefer_offline: 'true',
      TWOLITER_HELLO_MARKER: marker,
    }
  })

  afterEach(async () => {
    await rm(work, {recursive: true, force: true})
  })

  async function copyProject(): Promise<string> {
    const project = path.join(work, 'project')
    await cp(BUILD_FIXTURE, project, {recursive: true})
    return project
  }

  it('installs a packed plugin from a file:// URL: listed, inspected, its command runs, its hooks see a real build; uninstalled, it is gone', async () => {
    const tarball = await pack('hello-plugin', work)
    expect(execFileSync('tar', ['-tzf', tarball], {encoding: 'utf8'}).split('\n')).to.include('package/oclif.manifest.json')
    expect(await readdir(path.join(FIXTURES, 'hello-plugin')), 'postpack removes the manifest prepack made').not.to.include('oclif.manifest.json')
    const installed = succeeded(cli(['plugins', 'install', `file://${tarball}`]))
    expect(installed.stderr).to.include('installed v1.0.0')

    expect(plugins().find((p) => p.name === HELLO)).to.include({type: 'user', version: '1.0.0'})
    const [inspected] = JSON.parse(succeeded(cli(['plugins', 'inspect', HELLO, '--json'])).stdout) as Array<{name: string; root: string; hooks: Record<string, unknown>; commandIDs: string[]}>
    expect(inspected.name).to.equal(HELLO)
    expect(inspected.root).to.equal(path.join(work, 'data/node_modules', HELLO))
    expect(inspected.commandIDs).to.deep.equal(['hello'])
    expect(Object.keys(inspected.hooks)).to.have.members(['twoliter:pre-build', 'twoliter:post-build', 'twoliter:registry-auth'])
    expect(JSON.parse(succeeded(cli(['hello', '--name', 'e2e', '--json'])).stdout)).to.deep.equal({greeting: 'hello, e2e, from twoliter-plugin-hello', cli: 'twoliter'})
    // The built CLI, as users run it, lists the plugin's commands from the manifest in its tarball.
    const [built] = JSON.parse(succeeded(twoliterBuilt(['plugins', 'inspect', HELLO, '--json'], REPO, env)).stdout) as Array<{hasManifest: boolean}>
    expect(built.hasManifest).to.equal(true)
    expect(succeeded(twoliterBuilt(['hello'], REPO, env)).stdout).to.equal('hello, world, from twoliter-plugin-hello\n')

    const project = await copyProject()
    const build = succeeded(cli(['build', 'package', 'pkg-a', '--json'], project))
    const {arch} = JSON.parse(build.stdout) as {arch: string}
    expect(warningsAbout(HELLO, build)).to.deep.equal([])
    const outputDir = path.join(project, 'build/rpms/pkg-a')
    const rpm = path.join(outputDir, `bottlerocket-pkg-a-1.0-1.0000000000.00000000.br1.${arch}.rpm`)
    const step = {apiVersion: '1.0.0', kind: 'package', name: 'pkg-a', arch, projectRoot: project, outputDir, sdkImage: SDK_REF}
    const services = {apiVersion: '1.0.0', projectRoot: project, engine: 'function', registry: 'function', logger: 'function'}
    const [pre, post, ...more] = await markerRecords(marker)
    expect(more).to.deep.equal([])
    expect(pre).to.deep.include({event: 'twoliter:pre-build', ...step, context: services})
    expect(pre).not.to.have.property('outputs')
    // The post-build hook ran rpm in the SDK through the engine twoliter lent it.
    expect(post).to.deep.include({event: 'twoliter:post-build', ...step, context: services, outputs: [rpm], rpmNames: ['bottlerocket-pkg-a']})
    expect(await readFile(path.join(project, `build/logs/${arch}/packages/pkg-a.log`), 'utf8')).to.include('twoliter-plugin-hello: about to build pkg-a')

    const upToDate = succeeded(cli(['build', 'package', 'pkg-a'], project))
    expect(upToDate.stderr).not.to.include('twoliter-plugin-hello')
    expect(await markerRecords(marker), 'no lifecycle events for a package that is not built').to.have.length(2)

    succeeded(cli(['plugins', 'uninstall', HELLO]))
    expect(plugins().map((p) => p.name)).not.to.include(HELLO)
    const gone = cli(['hello'])
    expect(gone.status).to.equal(2)
    expect(gone.stderr).to.include('command hello not found')
  })

  it('links a plugin directory: its command and hooks run from there, and unlink removes it', async () => {
    const root = path.join(FIXTURES, 'hello-plugin')
    succeeded(cli(['plugins', 'link', root, '--no-install']))
    expect(plugins().find((p) => p.name === HELLO)).to.include({type: 'link', root})
    expect(succeeded(cli(['hello'])).stdout).to.equal('hello, world, from twoliter-plugin-hello\n')

    const project = await copyProject()
    succeeded(cli(['build', 'package', 'pkg-a'], project))
    expect((await markerRecords(marker)).map((r) => `${r.event} ${r.name}`)).to.deep.equal(['twoliter:pre-build pkg-a', 'twoliter:post-build pkg-a'])

    succeeded(cli(['plugins', 'unlink', HELLO]))
    expect(cli(['hello']).status).to.equal(2)
  })

  it('turns a failing and a hanging hook into one warning each, naming the plugin, and the build goes on', async () => {
    for (const fixture of ['throwing-plugin', 'hanging-plugin', 'hello-plugin']) succeeded(cli(['plugins', 'link', path.join(FIXTURES, fixture), '--no-install']))
    const project = await copyProject()
    const started = Date.now()
    // The hanging hook keeps a timer alive for an hour: twoliter must stop waiting, and still exit.
    const build = succeeded(cli(['build', 'package', 'pkg-a'], project, {TWOLITER_HOOK_TIMEOUT_MS: '1500'}))
    expect(Date.now() - started).to.be.below(45_000)

    expect(warningsAbout('twoliter-plugin-throws', build)).to.deep.equal(['warning: plugin twoliter-plugin-throws: its twoliter:pre-build hook failed: the scanner service is down'])
    expect(warningsAbout('twoliter-plugin-hangs', build)).to.deep.equal([
      'warning: plugin twoliter-plugin-hangs: its twoliter:post-build hook did not finish within 1500 ms (TWOLITER_HOOK_TIMEOUT_MS); going on without it',
    ])
    expect(build.stderr).to.match(/✔ package pkg-a: built/)
    expect(await readdir(path.join(project, 'build/rpms/pkg-a'))).to.have.length(1)
    // The well-behaved plugin is not disturbed by the others.
    expect((await markerRecords(marker)).map((r) => r.event)).to.deep.equal(['twoliter:pre-build', 'twoliter:post-build'])
  })

  it('lets a user-installed plugin with the name of a bundled plugin replace it', async () => {
    expect(succeeded(cli(['help'])).stdout).to.include('TOPICS')
    const tarball = await pack('replacement-help', work)
    succeeded(cli(['plugins', 'install', `file://${tarball}`]))
    const listed = JSON.parse(succeeded(cli(['plugins', '--core', '--json'])).stdout) as PluginListing[]
    expect(listed.filter((p) => p.name === '@oclif/plugin-help').map((p) => [p.type, p.version])).to.deep.equal([['user', '0.0.0-twoliter-fixture']])
    expect(succeeded(cli(['help'])).stdout).to.equal('help from the replacement of @oclif/plugin-help\n')

    succeeded(cli(['plugins', 'uninstall', '@oclif/plugin-help']))
    expect(succeeded(cli(['help'])).stdout).to.include('TOPICS')
  })

  describe('twoliter:registry-auth', () => {
    let registry: TestRegistry
    before(async () => {
      registry = await startTestRegistry({htpasswd: TEST_USER.htpasswd})
    })
    after(() => registry?.stop())

    it('gives the registry client credentials from a plugin; a provider of another major version is ignored with one warning', async () => {
      for (const fixture of ['hello-plugin', 'wrong-api-plugin']) succeeded(cli(['plugins', 'link', path.join(FIXTURES, fixture), '--no-install']))
      const reference = `${registry.host}/plugins-e2e/sdk:v1`
      const credentials = {TWOLITER_HELLO_REGISTRY: registry.host, TWOLITER_HELLO_USERNAME: TEST_USER.username, TWOLITER_HELLO_PASSWORD: TEST_USER.password}
      // docker's config.json (DOCKER_CONFIG) is empty: without the plugin the registry refuses the push.
      const push = succeeded(await twoliterAsync(['sdk', 'build-local', '--tag', reference, '--push', '--json'], REPO, {...env, ...credentials}))
      expect((JSON.parse(push.stdout) as {pushed: {reference: string}}).pushed.reference).to.equal(reference)
      expect(warningsAbout('twoliter-plugin-wrong-api', push)).to.deep.equal([
        'warning: plugin twoliter-plugin-wrong-api: its registry-auth provider is ignored: it implements version 2.0.0 of the interface and this twoliter supports 1.x (update the plugin, or twoliter)',
      ])
      expect(push.stderr).not.to.include(TEST_USER.password)
      expect((await markerRecords(marker)).map((r) => r.host)).to.deep.equal([registry.host])
    })
  })
})
