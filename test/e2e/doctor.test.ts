import {randomBytes} from 'node:crypto'
import {existsSync} from 'node:fs'
import path from 'node:path'

import {expect} from 'chai'

import {type CheckResult, type DoctorReport} from '../../src/lib/doctor/index.js'
import {checkLocalSdk, checkSdkImage} from '../../src/lib/doctor/sdk.js'
import {Engine} from '../../src/lib/engine/index.js'
import {openProject} from '../../src/lib/project/project.js'
import {SDK_RECIPE_LABEL} from '../../src/lib/sdk/index.js'
import {Logger} from '../../src/lib/ui/logger.js'
import {REPO, type Run, expectNoStackTrace, twoliter} from '../helpers/cli.js'
import {temporaryDirectories} from '../unit/project/helpers.js'

const CYCLE = path.join(REPO, 'test', 'fixtures', 'manifest', 'cycle')
const OLD_RECIPE = '0'.repeat(64)
const OTHER_RECIPE = 'f'.repeat(64)

function report(run: Run): DoctorReport {
  expectNoStackTrace(run)
  return JSON.parse(run.stdout) as DoctorReport
}

function check(result: DoctorReport, id: string): CheckResult {
  const found = result.checks.find((candidate) => candidate.id === id)
  if (found === undefined) throw new Error(`no check ${id} in ${JSON.stringify(result.checks.map((candidate) => candidate.id))}`)
  return found
}

describe('twoliter doctor (real engine)', function () {
  this.timeout(120_000)
  const directories = temporaryDirectories()
  const runId = randomBytes(6).toString('hex')
  // The project's SDK: a one-file image labelled as a local SDK of an older recipe, made in a second.
  const registry = `localhost/twoliter-doctor-${runId}`
  const sdkImage = `${registry}/sdk:v0.1.0`
  let engine: Engine
  let context: string

  before(async () => {
    engine = await Engine.connect(new Logger('off'))
    context = await directories.create({Dockerfile: 'FROM scratch\nCOPY marker /marker\n', marker: `${runId}\n`})
    await engine.buildImage({context, tag: sdkImage, labels: {[SDK_RECIPE_LABEL]: OLD_RECIPE}})
  })

  after(async () => {
    await engine?.removeImage(sdkImage, {force: true})
  })

  /** A project whose [sdk] is the test image, with one package. */
  function createProject(sdkVersion = '0.1.0'): Promise<string> {
    return directories.create({
      'Twoliter.toml': `schema-version = 1\nrelease-version = "1.0.0"\n\n[vendor.doctor]\nregistry = "${registry}"\n\n[sdk]\nname = "sdk"\nversion = "${sdkVersion}"\nvendor = "doctor"\n`,
      'Cargo.toml': '[workspace]\nmembers = ["packages/pkg-a"]\n',
      'packages/pkg-a/Cargo.toml': '[package]\nname = "pkg-a"\nversion = "0.1.0"\n\n[package.metadata.build-package]\n',
    })
  }

  describe('the CLI', () => {
    it('prints the JSON report of a sound project and exits 0, with warnings', async () => {
      const project = await createProject()
      const run = twoliter(['doctor', '--json'], path.join(project, 'packages'))
      const result = report(run)
      expect(run.status, run.stderr).to.equal(0)
      expect(Object.keys(result)).to.deep.equal(['checks', 'plugins', 'ok'])
      expect(result.ok).to.equal(true)
      expect(result.checks.map(({id, status}) => `${id}:${status}`)).to.deep.equal([
        'node:ok',
        'engine:ok',
        'buildkit:ok',
        `disk-space:${check(result, 'disk-space').status}`,
        'project-file:ok',
        'workspace:ok',
        'dependency-cycles:ok',
        'sdk-image:ok',
        'local-sdk:warn',
      ])
      expect(check(result, 'node').detail).to.equal(`${process.version} at ${process.execPath} (twoliter needs >=22.22.0)`)
      expect(check(result, 'engine').detail).to.match(/^Docker \S+ \(API 1\.\d+, linux\/\w+\) at unix:\/\/\/var\/run\/docker\.sock$/)
      expect(check(result, 'disk-space').detail).to.include(`free for ${path.join(project, 'build')}`)
      expect(check(result, 'workspace').detail).to.equal(`${path.join(project, 'Cargo.toml')}: 1 package, 0 kits, 0 variants`)
      expect(check(result, 'sdk-image').detail).to.match(new RegExp(`^${sdkImage.replaceAll('.', '\\.')} is in the engine \\(sha256:[0-9a-f]{12}\\)$`))
      expect(check(result, 'local-sdk').fix).to.include(`tags it ${sdkImage}`)
      expect(result.plugins.map((plugin) => `${plugin.name} (${plugin.type}): ${plugin.capabilities.length}`)).to.include('@oclif/plugin-help (core): 0')
    })

    it('fails the engine check with its fix when DOCKER_HOST points at a dead socket: exit 1, the whole report, no stack trace', async () => {
      const dead = path.join(await directories.create(), 'dead.sock')
      const json = twoliter(['doctor', '--json'], CYCLE, {DOCKER_HOST: `unix://${dead}`})
      expect(json.status, json.stderr).to.equal(1)
      const result = report(json)
      expect(result.ok).to.equal(false)
      expect(result.checks).to.have.length(9)
      expect(check(result, 'engine')).to.deep.include({status: 'fail', detail: `No Docker engine answers at unix://${dead} (connect ENOENT ${dead}).`})
      expect(check(result, 'engine').fix).to.include('DOCKER_HOST')
      expect(check(result, 'buildkit').status).to.equal('skipped')
      expect(check(result, 'dependency-cycles').status).to.equal('fail')

      const text = twoliter(['doctor'], CYCLE, {DOCKER_HOST: `unix://${dead}`})
      expectNoStackTrace(text)
      expect(text.status).to.equal(1)
      expect(text.stdout).to.include(`✖ Docker engine      No Docker engine answers at unix://${dead}`)
      expect(text.stdout).to.match(/^ {21}Fix: On Debian, run scripts\/setup as root/m)
      expect(text.stdout).to.include('✖ Dependency cycles  ').and.include('– BuildKit           needs the Docker engine')
      expect(text.stdout.trim().split('\n').at(-1)).to.equal('4 of 9 checks passed; 2 failed, 1 warning, 2 skipped.')
      expect(text.stderr).to.equal('')
    })

    it('builds a probe image with --deep and leaves none behind', async () => {
      const run = twoliter(['doctor', '--deep', '--json'], await directories.create())
      const buildkit = check(report(run), 'buildkit')
      expect(buildkit.status, buildkit.detail).to.equal('ok')
      expect(buildkit.detail).to.match(/^built a probe image with BuildKit in \d+ ms$/)
      const left = await engine.docker.listImages({filters: {reference: ['twoliter-doctor-probe']}})
      expect(left).to.deep.equal([])
    })

    it('lists a linked plugin with the capabilities it declares, without running its code', async () => {
      const home = await directories.create()
      const marker = path.join(home, 'plugin-code-ran')
      const hook = `import {writeFileSync} from 'node:fs'\nwriteFileSync(${JSON.stringify(marker)}, 'imported')\nexport default async function () {}\n`
      const plugin = await directories.create({
        'package.json': JSON.stringify({
          name: 'twoliter-plugin-doctor-fixture',
          version: '0.3.0',
          type: 'module',
          oclif: {hooks: {'twoliter:post-build': './hooks/hook.js', 'twoliter:registry-auth': './hooks/hook.js', 'twoliter:frobnicate': './hooks/hook.js'}},
        }),
        'hooks/hook.js': hook,
      })
      const env = {TWOLITER_DATA_DIR: path.join(home, 'data'), TWOLITER_CACHE_DIR: path.join(home, 'cache'), TWOLITER_CONFIG_DIR: path.join(home, 'config')}
      const link = twoliter(['plugins', 'link', plugin, '--no-install'], home, env)
      expect(link.status, link.stderr).to.equal(0)

      const result = report(twoliter(['doctor', '--json'], home, env))
      expect(result.plugins.find((candidate) => candidate.name === 'twoliter-plugin-doctor-fixture')).to.deep.equal({
        name: 'twoliter-plugin-doctor-fixture',
        version: '0.3.0',
        type: 'link',
        capabilities: ['twoliter:registry-auth', 'twoliter:post-build'],
      })
      expect(existsSync(marker), 'the plugin\'s hook module was imported').to.equal(false)
    })
  })

  describe('the SDK checks', () => {
    const open = (project: string) => openProject({cwd: project, logger: new Logger('off')})

    it('finds the project\'s SDK image, and warns with the build\'s advice when it is missing', async () => {
      const found = await checkSdkImage(await open(await createProject()), engine)
      expect(found.check.status).to.equal('ok')
      expect(found.value?.image).to.equal(sdkImage)

      const missing = await checkSdkImage(await open(await createProject('9.9.9')), engine)
      expect(missing.value).to.equal(undefined)
      expect(missing.check).to.deep.include({status: 'warn', detail: `the SDK image ${registry}/sdk:v9.9.9 is not in the container engine.`})
      expect(missing.check.fix).to.include('twoliter sdk build-local').and.include(`pull ${registry}/sdk:v9.9.9`)
    })

    it('tells a project SDK of this recipe from one of an older recipe, and says when no local SDK is built', async () => {
      const projectSdk = {image: sdkImage, id: (await engine.imageId(sdkImage)) ?? ''}
      expect(await checkLocalSdk(engine, {recipeHash: OLD_RECIPE, projectSdk})).to.deep.include({
        status: 'ok',
        detail: `the project's SDK ${sdkImage} is the local SDK of this twoliter's recipe`,
      })

      const stale = await checkLocalSdk(engine, {recipeHash: OTHER_RECIPE, projectSdk})
      expect(stale.status).to.equal('warn')
      expect(stale.detail).to.equal(`the project's SDK ${sdkImage} is a local SDK of an older recipe (000000000000), not of this twoliter's (ffffffffffff).`)

      expect(await checkLocalSdk(engine, {recipeHash: OTHER_RECIPE})).to.deep.include({
        status: 'ok',
        detail: 'not built: the engine has no twoliter-local-sdk:ffffffffffff, which only projects using the local SDK need (`twoliter sdk build-local` builds it)',
      })
    })
  })
})
