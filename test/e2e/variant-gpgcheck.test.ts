/**
 * dnf checks the signatures of the RPMs it installs from kit repositories (real engine, real SDK, the
 * gpg signer of the bundled @twoliter/sign; its dist must be built). A variant built from signed local
 * kits installs with gpgcheck on every repository; a kit whose RPM-GPG-KEY no longer verifies its RPMs
 * is refused, naming the kit and the RPM; an external kit whose vendor lists GPG keys in signing-keys
 * is checked against those keys, not against its own RPM-GPG-KEY (a kit published to a real registry
 * and fetched, then a variant built from it, through the CLI); and a package's build dependencies from
 * a kit repository are checked the same way.
 */

import {Config} from '@oclif/core'
import {expect} from 'chai'
import {cp, mkdir, mkdtemp, readFile, readdir, readlink, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {type GeneratedGpgKey, generateGpgKey} from '../../plugins/sign/src/gpg/keygen.js'
import {hostArch} from '../../src/lib/build/arch.js'
import {BuildLog} from '../../src/lib/build/build-log.js'
import {describeOutputFiles, outputDigestOf, readBuildRecord, writeBuildRecord} from '../../src/lib/build/build-record.js'
import {type KitBuildResult, buildKits} from '../../src/lib/build/kit-builds.js'
import {BuildLayout} from '../../src/lib/build/layout.js'
import type {BuildReporter, NodeReport} from '../../src/lib/build/package-builds.js'
import {gpgKeyId, kitGpgCheck} from '../../src/lib/build/repo-gpgcheck.js'
import {openBuildSession} from '../../src/lib/build/session.js'
import {type VariantBuildResult, buildVariant} from '../../src/lib/build/variant-builds.js'
import type {Engine} from '../../src/lib/engine/index.js'
import {TwoliterError} from '../../src/lib/errors.js'
import {IMAGE_FEATURE_DEFAULTS} from '../../src/lib/manifest/index.js'
import type {TrustedKey} from '../../src/lib/project/signing-keys.js'
import {Logger} from '../../src/lib/ui/logger.js'
import {compositeRepos} from '../../src/lib/variant/composite.js'
import {VariantInstallError, installVariantRoot} from '../../src/lib/variant/install.js'
import {REPO, type Run, expectNoStackTrace, twoliter, twoliterAsync} from '../helpers/cli.js'
import {commitProject} from '../helpers/git.js'
import {type TestRegistry, startTestRegistry} from '../helpers/registry.js'
import {connectEngine, ensureLocalSdk} from '../helpers/sdk.js'

const VARIANT_FIXTURE = path.join(REPO, 'test/fixtures/build/variant-project')
const KITS_FIXTURE = path.join(REPO, 'test/fixtures/build/kits-project')
const SDK_REF = 'localhost/twoliter-e2e/sdk:v0.1.0'
const ARCH = hostArch()
const quiet: BuildReporter = {started() {}, line() {}, finished() {}}
const actions = (reports: NodeReport[]) => reports.map((r) => `${r.kind} ${r.name}: ${r.action}`)

describe('gpgcheck of kit repositories (real engine)', function () {
  this.timeout(900_000)
  let engine: Engine
  let config: Config
  let sdkImage: string
  let work: string
  let keyA: GeneratedGpgKey
  let keyB: GeneratedGpgKey
  const savedPassphrase = process.env.GPG_PASSPHRASE

  async function session(project: string, command: string) {
    return openBuildSession({
      projectPath: path.join(project, 'Twoliter.toml'),
      arch: ARCH,
      cacheDir: path.join(work, 'cache'),
      command,
      logger: new Logger('warn'),
      reporter: quiet,
      sources: {},
      config,
    })
  }

  async function variantBuild(project: string, variant: string): Promise<VariantBuildResult> {
    const opened = await session(project, `test build variant ${variant}`)
    try {
      return await buildVariant(opened.context, variant, {jobs: 4, keepGoing: false, force: false, signal: opened.signal})
    } finally {
      await opened.close()
    }
  }

  async function kitBuild(project: string, kit: string): Promise<KitBuildResult> {
    const opened = await session(project, `test build kit ${kit}`)
    try {
      return await buildKits(opened.context, kit, {jobs: 4, keepGoing: false, force: false, signal: opened.signal})
    } finally {
      await opened.close()
    }
  }

  /** A project from the fixture, committed, whose packages are signed with key A. */
  async function signedProject(fixture: string, name: string): Promise<string> {
    const project = path.join(work, name)
    await cp(fixture, project, {recursive: true})
    await writeFile(path.join(project, 'Infra.toml'), `[rpm-signing]\nkey = "../keys-a/private.asc"\npassphrase-env = "NO_PASSPHRASE"\n`)
    commitProject(project)
    return project
  }

  /**
   * Replaces the built kit's RPM-GPG-KEY by key B and makes its build record match, so that the kit stays
   * up to date: only the signature check can notice that the key no longer verifies the kit's RPMs.
   */
  async function swapKitKey(project: string, kit: string): Promise<void> {
    const layout = new BuildLayout(project, ARCH)
    await writeFile(path.join(layout.kitRepoDir(kit), 'RPM-GPG-KEY'), await readFile(keyB.publicKeyFile, 'utf8'))
    const stateFile = layout.kitStateFile(kit)
    const record = (await readBuildRecord(stateFile))!
    const name = `${ARCH}/RPM-GPG-KEY`
    const [described] = await describeOutputFiles(layout.kitDir(kit), [name])
    record.outputs = record.outputs.map((output) => (output.name === name ? described! : output))
    record.outputDigest = outputDigestOf(record.outputs)
    await writeBuildRecord(stateFile, record)
  }

  before(async function () {
    this.timeout(900_000)
    engine = await connectEngine()
    sdkImage = await ensureLocalSdk()
    await engine.tagImage(sdkImage, SDK_REF)
    config = await Config.load(REPO)
    work = await mkdtemp(path.join(tmpdir(), 'twoliter-e2e-gpgcheck-'))
    keyA = await generateGpgKey({runner: engine, sdkImage, name: 'Kit Key A', email: 'a@example.com', outDir: path.join(work, 'keys-a')})
    keyB = await generateGpgKey({runner: engine, sdkImage, name: 'Kit Key B', email: 'b@example.com', outDir: path.join(work, 'keys-b')})
    delete process.env.GPG_PASSPHRASE
  })

  after(async () => {
    if (savedPassphrase === undefined) delete process.env.GPG_PASSPHRASE
    else process.env.GPG_PASSPHRASE = savedPassphrase
    if (work !== undefined) await rm(work, {recursive: true, force: true})
  })

  describe('a variant from signed local kits', () => {
    let project: string
    let layout: BuildLayout

    before(async () => {
      project = await signedProject(VARIANT_FIXTURE, 'variant-project')
      layout = new BuildLayout(project, ARCH)
    })

    it('installs with gpgcheck on the project\'s packages and on every kit, each against its key', async () => {
      const result = await variantBuild(project, 'metal-dev')
      expect([...result.failures.values()].map(String)).to.deep.equal([])
      expect(result.variant?.action).to.equal('built')

      const log = await readFile(layout.variantLogFile('metal-dev'), 'utf8')
      expect(log).to.match(/ local \(priority 10, gpgcheck against 1 key\(s\)\)/)
      expect(log).to.match(/ core-kit \(priority 20, gpgcheck against 1 key\(s\)\)/)
      expect(log).to.match(/ custom-kit \(priority 30, gpgcheck against 1 key\(s\)\)/)
      expect(log).to.contain('twoliter: checking the signatures of the RPMs against the keys of their repos')

      const keyId = gpgKeyId(await readFile(path.join(layout.kitRepoDir('core-kit'), 'RPM-GPG-KEY'), 'utf8'))
      const record = (await readBuildRecord(layout.variantStateFile('metal-dev')))!
      expect(record.inputs['gpgcheck:core-kit']).to.equal(`kit-key ${keyId}`)
      expect(record.inputs['gpgcheck:local']).to.match(/^project-key sha256:[0-9a-f]{64}$/)
    })

    it('refuses a kit whose RPM-GPG-KEY does not verify its RPMs, naming the kit and the RPM, and keeps the previous image', async () => {
      const imagesDir = path.dirname(layout.variantImageDir('metal-dev', 'x'))
      const latest = await readlink(path.join(imagesDir, 'latest'))
      const before = await readdir(path.join(imagesDir, latest))
      await swapKitKey(project, 'core-kit')

      const run = await twoliterAsync(['build', 'variant', 'metal-dev', '--arch', ARCH], project, {TWOLITER_CACHE_DIR: path.join(work, 'cache')})
      expect(run.status, run.stderr).to.equal(1)
      expectNoStackTrace(run)
      expect(run.stderr).to.match(/The signature of (an RPM|\d+ RPMs) of the variant metal-dev is refused/)
      expect(run.stderr).to.match(/bottlerocket-(motd|kernel-stub|hostctr-agent)-[^ ]+ of kit core-kit \(repository core-kit, checked against the kit's own RPM-GPG-KEY\)/)
      expect(run.stderr).to.contain('which is not among the keys of its repository')
      expect(run.stderr).to.contain('build the local kit again')
      expect(run.stderr).to.not.contain('custom-kit')

      expect(await readlink(path.join(imagesDir, 'latest'))).to.equal(latest)
      expect(await readdir(path.join(imagesDir, latest))).to.deep.equal(before)
    })
  })

  describe('an external kit whose vendor lists GPG keys', () => {
    let kitDir: string
    let workDir: string

    const trusted = async (key: GeneratedGpgKey): Promise<TrustedKey> => {
      const text = await readFile(key.publicKeyFile, 'utf8')
      return {kind: 'gpg', file: key.publicKeyFile, text, id: gpgKeyId(text), location: {file: 'Twoliter.toml'}}
    }

    async function install(vendorKey: GeneratedGpgKey) {
      const gpg = await kitGpgCheck({name: 'core-kit', dir: kitDir, external: true, vendor: 'acme'}, {acme: [await trusted(vendorKey)]})
      const localRepoDir = path.join(work, 'external-local')
      await mkdir(localRepoDir, {recursive: true})
      const repos = compositeRepos({localRepoDir, kits: [{name: 'core-kit', repo: {dir: kitDir, digest: 'd'}, external: true, gpg}], variant: 'metal-dev'})
      const log = await BuildLog.create(path.join(work, `external-${path.basename(path.dirname(vendorKey.publicKeyFile))}.log`))
      try {
        return await installVariantRoot({
          engine,
          sdkImage,
          arch: ARCH,
          variant: 'metal-dev',
          version: '1.2.3',
          features: {...IMAGE_FEATURE_DEFAULTS},
          includedPackages: ['motd'],
          repos,
          projectRoot: work,
          workDir,
          log,
        })
      } finally {
        await log.close()
      }
    }

    before(async () => {
      // core-kit as the test above built it (signed with key A), its RPM-GPG-KEY replaced by key B.
      kitDir = path.join(work, 'external-core-kit')
      await cp(new BuildLayout(path.join(work, 'variant-project'), ARCH).kitRepoDir('core-kit'), kitDir, {recursive: true})
      workDir = path.join(work, 'external-install')
    })

    it('installs when the vendor\'s key verifies the RPMs, whatever the kit\'s own RPM-GPG-KEY says', async () => {
      expect((await readFile(path.join(kitDir, 'RPM-GPG-KEY'), 'utf8')).trim()).to.equal((await readFile(keyB.publicKeyFile, 'utf8')).trim())
      const root = await install(keyA)
      expect(root.packages.map((pkg) => `${pkg.name}:${pkg.source}`)).to.include('bottlerocket-motd:core-kit')
    })

    it('refuses the kit\'s RPMs when they are signed with a key the vendor does not list, even one the kit carries', async () => {
      await writeFile(path.join(kitDir, 'RPM-GPG-KEY'), await readFile(keyA.publicKeyFile, 'utf8'))
      const error = await install(keyB).then(
        () => undefined,
        (error: unknown) => error,
      )
      expect(error).to.be.instanceOf(VariantInstallError)
      const {message, hint, code} = error as VariantInstallError
      expect(code).to.equal('variant.install-signature')
      expect(message).to.match(/bottlerocket-motd-[^ ]+ of external kit core-kit \(repository core-kit, checked against the GPG key of vendor acme in the signing-keys of Twoliter.toml\)/)
      expect(hint).to.contain('signing-keys')
      expect(await readdir(workDir)).to.not.include('rootfs.tar')
    })
  })

  describe('a signed kit published, fetched by another project and checked against its vendor\'s key (CLI, real registry)', () => {
    let registry: TestRegistry
    let env: NodeJS.ProcessEnv
    let projectA: string
    let projectB: string
    const ok = (run: Run): unknown => {
      expect(run.status, `${run.stderr}\n${run.stdout}`).to.equal(0)
      return JSON.parse(run.stdout) as unknown
    }

    before(async function () {
      this.timeout(900_000)
      registry = await startTestRegistry()
      env = {TWOLITER_CACHE_DIR: path.join(work, 'cache-ab')}
      const vendors = `[vendor.e2e]\nregistry = "${registry.host}/e2e"\n\n[vendor.sdk-vendor]\nregistry = "${registry.host}/twoliter-e2e"\n`
      projectA = path.join(work, 'publisher')
      projectB = path.join(work, 'consumer')
      await writeFiles(projectA, {
        ...kitProjectFiles('pkg-a1', 'a'),
        'Twoliter.toml': `schema-version = 1\nrelease-version = "1.0.0"\nlookaside-caches = []\n\n${vendors}\n[sdk]\nname = "sdk"\nversion = "0.1.0"\nvendor = "sdk-vendor"\n`,
        'Infra.toml': '[rpm-signing]\nkey = "../keys-a/private.asc"\npassphrase-env = "NO_PASSPHRASE"\n',
      })
      await writeFiles(projectB, {
        ...kitProjectFiles('pkg-b1', 'b', 'pkg-a1'),
        'Twoliter.toml': `schema-version = 1\nrelease-version = "2.0.0"\nlookaside-caches = []\n\n${vendors.replace('/e2e"\n', '/e2e"\nsigning-keys = ["keys/e2e-rpm.asc"]\n')}\n[[kit]]\nname = "a"\nversion = "1.0.0"\nvendor = "e2e"\n`,
        'keys/e2e-rpm.asc': await readFile(keyA.publicKeyFile, 'utf8'),
        'Cargo.toml': '[workspace]\nresolver = "2"\nmembers = ["packages/pkg-b1", "kits/b", "variants/metal-b"]\n',
        'variants/build.rs': 'fn main() {}\n',
        'variants/lib.rs': '// empty\n',
        'variants/metal-b/Cargo.toml': cargoToml('metal-b', '[package.metadata.build-variant]\nincluded-packages = ["pkg-b1"]\n\n[package.metadata.build-variant.image-layout]\nos-image-size-gib = 1\ndata-image-size-gib = 1', {b: '../../kits/b'}),
      })
      ok(twoliter(['sdk', 'build-local', '--tag', `${registry.host}/twoliter-e2e/sdk:v0.1.0`, '--push', '--json'], work, env))
      ok(twoliter(['build', 'kit', 'a', '--json'], projectA, env))
      ok(twoliter(['publish', 'kit', 'a', 'e2e', '--json'], projectA, env))
    })

    after(async () => {
      await registry?.stop()
    })

    it('fetches the kit with its RPM-GPG-KEY, and builds the variant, dnf checking the kit against the vendor\'s key', async () => {
      ok(twoliter(['fetch', '--json'], projectB, env))
      const fetched = path.join(projectB, 'build/external-kits/e2e/a', ARCH)
      expect((await readFile(path.join(fetched, 'RPM-GPG-KEY'), 'utf8')).trim()).to.equal((await readFile(keyA.publicKeyFile, 'utf8')).trim())

      ok(twoliter(['build', 'variant', 'metal-b', '--arch', ARCH, '--json'], projectB, env))
      const layout = new BuildLayout(projectB, ARCH)
      const vendorKeyId = gpgKeyId(await readFile(keyA.publicKeyFile, 'utf8'))
      expect((await readBuildRecord(layout.packageStateFile('pkg-b1')))!.inputs['gpgcheck:e2e-a']).to.equal(`vendor-keys ${vendorKeyId}`)
      const variant = (await readBuildRecord(layout.variantStateFile('metal-b')))!
      expect(variant.inputs['gpgcheck:e2e-a']).to.equal(`vendor-keys ${vendorKeyId}`)
      // Kit b is unsigned (the consumer has no [rpm-signing]): not checked, as before.
      expect(variant.inputs['gpgcheck:b']).to.equal(undefined)
      expect(await readFile(layout.variantLogFile('metal-b'), 'utf8')).to.match(/ a \(priority \d+, gpgcheck against 1 key\(s\)\)/)
    })

    it('refuses the kit once the vendor\'s signing-keys name another key, though the kit carries the key it was signed with', async () => {
      await writeFile(path.join(projectB, 'keys/e2e-rpm.asc'), await readFile(keyB.publicKeyFile, 'utf8'))
      const run = twoliter(['build', 'variant', 'metal-b', '--arch', ARCH], projectB, env)
      expect(run.status, run.stderr).to.equal(1)
      expectNoStackTrace(run)
      // pkg-b1 is built again (its gpgcheck input changed), and dnf refuses its build dependency from kit a.
      expect(run.stderr).to.match(/package pkg-b1 failed to build: the signature of a build dependency is refused: bottlerocket-pkg-a1-[^ ]+ of kit repository e2e-a, checked against the GPG key of vendor e2e in the signing-keys of Twoliter.toml: /)
      expect(run.stderr).to.contain('fetch the kit again')
    })
  })

  describe('build dependencies from a signed kit', () => {
    let project: string

    before(async () => {
      project = await signedProject(KITS_FIXTURE, 'kits-project')
    })

    it('installs them with gpgcheck against the kit\'s key', async () => {
      const result = await kitBuild(project, 'kit-b')
      expect([...result.failures.values()].map(String)).to.deep.equal([])
      expect(actions(result.reports)).to.include.members(['kit kit-a: built', 'package pkg-c: built', 'kit kit-b: built'])
      const record = (await readBuildRecord(new BuildLayout(project, ARCH).packageStateFile('pkg-c')))!
      expect(record.inputs['gpgcheck:my-vendor-kit-a']).to.match(/^kit-key sha256:[0-9a-f]{64}$/)
    })

    it('refuses a build dependency that the kit\'s RPM-GPG-KEY does not verify, naming the kit repository and the RPM', async () => {
      await swapKitKey(project, 'kit-a')
      const result = await kitBuild(project, 'kit-b')
      expect(actions(result.reports)).to.include.members(['kit kit-a: up-to-date', 'package pkg-c: failed'])
      const error = result.failures.get('pkg-c') as TwoliterError
      expect(error).to.be.instanceOf(TwoliterError)
      expect(error.code).to.equal('build.package-signature-refused')
      expect(error.message).to.match(/^package pkg-c failed to build: the signature of a build dependency is refused: bottlerocket-pkg-a-[^ ]+ of kit repository my-vendor-kit-a, checked against the kit's own RPM-GPG-KEY: /)
      expect(error.hint).to.contain('build the local kit again')
    })
  })
})

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), {recursive: true})
    await writeFile(path.join(root, name), content)
  }
}

function cargoToml(name: string, table: string, dependencies: Record<string, string>): string {
  const deps = Object.entries(dependencies).map(([dep, dir]) => `${dep} = { path = "${dir}" }`)
  return `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\npublish = false\nbuild = "../build.rs"\n\n[lib]\npath = "../lib.rs"\n\n${table}\n\n[build-dependencies]\n${deps.join('\n')}\n`
}

/** One package (which BuildRequires and Requires `requires`, when given) and one kit of vendor e2e holding it. */
function kitProjectFiles(pkg: string, kit: string, requires?: string): Record<string, string> {
  const needs = requires === undefined ? '' : `BuildRequires: %{_cross_os}${requires}\nRequires: %{_cross_os}${requires}\n`
  const spec = `%global _cross_first_party 1\n%undefine _debugsource_packages\n\nName: %{_cross_os}${pkg}\nVersion: 1.0\nRelease: 1%{?dist}\nSummary: ${pkg}\nLicense: MIT\nSource0: ${pkg}.txt\n${needs}\n%description\n%{summary}.\n\n%prep\n%setup -T -c\n\n%install\nmkdir -p %{buildroot}%{_cross_datadir}/${pkg}\ninstall -p -m 0644 %{S:0} %{buildroot}%{_cross_datadir}/${pkg}/${pkg}.txt\n\n%files\n%{_cross_datadir}/${pkg}/${pkg}.txt\n`
  return {
    'Cargo.toml': `[workspace]\nresolver = "2"\nmembers = ["packages/${pkg}", "kits/${kit}"]\n`,
    'packages/build.rs': 'fn main() {}\n',
    'packages/lib.rs': '// empty\n',
    [`packages/${pkg}/Cargo.toml`]: cargoToml(pkg, '[package.metadata.build-package]', {}),
    [`packages/${pkg}/${pkg}.spec`]: spec,
    [`packages/${pkg}/${pkg}.txt`]: `${pkg} content\n`,
    'kits/build.rs': 'fn main() {}\n',
    'kits/lib.rs': '// empty\n',
    [`kits/${kit}/Cargo.toml`]: cargoToml(kit, '[package.metadata.build-kit]\nvendor = "e2e"', {[pkg]: `../../packages/${pkg}`}),
  }
}
