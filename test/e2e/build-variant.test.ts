/**
 * `twoliter build variant` against the real engine and the local SDK, read back from what it built: the
 * GPT of each disk, the root file system's files, dm-verity, the package audit naming the kit of every
 * package, the override by kit-priority, the opt-out of image features, a custom layout, and layouts that
 * are refused before any container starts.
 *
 * The fixture (test/fixtures/build/variant-project): core-kit holds kernel-stub (/boot/vmlinuz),
 * motd-core (RPM bottlerocket-motd, the higher version) and hostctr-agent (Requires
 * image-feature(host-containers)); custom-kit holds motd-custom (also bottlerocket-motd, a lower
 * version); os-base is the project's own package and Requires bottlerocket-motd.
 */

import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {cp, mkdtemp, readFile, readdir, readlink, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {hostArch} from '../../src/lib/build/arch.js'
import {sha256File} from '../../src/lib/build/digest.js'
import type {BuildReporter} from '../../src/lib/build/package-builds.js'
import {openBuildSession} from '../../src/lib/build/session.js'
import {PACKAGE_AUDIT_FILE, type PackageAudit, buildVariant} from '../../src/lib/build/variant-builds.js'
import type {Engine} from '../../src/lib/engine/index.js'
import {TwoliterError} from '../../src/lib/errors.js'
import {IMAGE_MANIFEST_FILE} from '../../src/lib/variant/image-outputs.js'
import {referencePartitionPlan} from '../../src/lib/variant/partition-plan.js'
import type {PartitionPlan} from '../../src/lib/variant/types.js'
import {Logger} from '../../src/lib/ui/logger.js'
import {REPO, type Run, expectNoStackTrace, twoliterAsync} from '../helpers/cli.js'
import {expectGptMatches, gptEntries, gptScript, inspectInSdk} from '../helpers/disk-inspect.js'
import {connectEngine, ensureLocalSdk} from '../helpers/sdk.js'

const FIXTURE = path.join(REPO, 'test/fixtures/build/variant-project')
const SDK_REF = 'localhost/twoliter-e2e/sdk:v0.1.0'
const ARCH = hostArch()
// Where the SDK's macros put %{_cross_datadir}: the Bottlerocket sys-root.
const SHARE = `/${ARCH}-bottlerocket-linux-gnu/sys-root/usr/share`

interface Manifest {
  outputs: Array<{name: string; kind: string; sha256: string; size: number}>
  rootHash: string
  partitionPlan: PartitionPlan
  symlinks: Record<string, string>
}

interface VariantRun {
  arch: string
  variant: {name: string; dir: string; action: string; manifest: string; files: Array<{name: string; kind: string}>}
  nodes: Array<{kind: string; name: string; action: string}>
  containerRuns: number
}

const silentReporter: BuildReporter = {started() {}, line() {}, finished() {}}

describe('build variant (real engine, local SDK)', function () {
  this.timeout(600_000)
  let engine: Engine
  let sdk: string
  let work: string
  let project: string
  let env: NodeJS.ProcessEnv

  const variantCargo = (variant: string) => path.join(project, 'variants', variant, 'Cargo.toml')
  const specVersion = async (pkg: string) => /^Version:\s*(\S+)/m.exec(await readFile(path.join(project, 'packages', pkg, `${pkg}.spec`), 'utf8'))![1]!

  async function buildCli(variant: string, ...flags: string[]): Promise<Run> {
    return twoliterAsync(['build', 'variant', variant, '--arch', ARCH, ...flags], project, env)
  }

  async function buildOk(variant: string): Promise<VariantRun> {
    const run = await buildCli(variant, '--json')
    expect(run.status, run.stderr).to.equal(0)
    return JSON.parse(run.stdout) as VariantRun
  }

  const readJson = async <T>(file: string) => JSON.parse(await readFile(file, 'utf8')) as T

  /** The OS image (and the data image) decompressed, their GPTs, and ROOT-A, HASH-A and BOOT-A read back. */
  async function readImage(dir: string, manifest: Manifest, extra = ''): Promise<Record<string, string>> {
    const os = manifest.outputs.find((output) => output.kind === 'os-image')!.name
    const data = manifest.outputs.find((output) => output.kind === 'data-image')?.name
    const osParts = manifest.partitionPlan.disks[0]!.partitions
    const at = (role: string) => {
      const spec = osParts.find((candidate) => candidate.role === role && candidate.bank !== 'B')!
      return `${spec.startMiB} ${spec.sizeMiB}`
    }

    return inspectInSdk(
      engine,
      sdk,
      dir,
      `lz4 -d -q /out/${os} os.img
${gptScript('os.img', 'os')}
${data === undefined ? '' : `lz4 -d -q /out/${data} data.img\n${gptScript('data.img', 'data')}`}
section sizes; stat -c %s os.img ${data === undefined ? '' : 'data.img'}
slice os.img root.img ${at('root')}
slice os.img hash.img ${at('hash')}
slice os.img boot.img ${at('boot')}
section root-files; mkdir -p /tmp/r; debugfs -R 'rdump / /tmp/r' root.img 2>/dev/null; (cd /tmp/r && find . -type f | sort)
section root-var; ls -A /tmp/r/var 2>/dev/null || true
section motd; cat /tmp/r${SHARE}/motd/motd.txt
section inventory; cat /tmp/r/usr/share/bottlerocket/application-inventory.json
section boot-files; debugfs -R 'ls -p /' boot.img
section vmlinuz; debugfs -R 'cat /vmlinuz' boot.img 2>/dev/null
section verify; if veritysetup verify root.img hash.img ${manifest.rootHash}; then echo verify=ok; else echo verify=failed; fi
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(8192); b = f.read(1); f.seek(8192); f.write(bytes([b[0] ^ 0xff]))' root.img
section flipped; if veritysetup verify root.img hash.img ${manifest.rootHash} 2>&1; then echo verify=ok; else echo verify=failed; fi
${extra}`,
    )
  }

  before(async function () {
    this.timeout(900_000)
    sdk = await ensureLocalSdk()
    engine = await connectEngine()
    await engine.tagImage(sdk, SDK_REF)
    work = await mkdtemp(path.join(tmpdir(), 'twoliter-e2e-variant-'))
    project = path.join(work, 'project')
    await cp(FIXTURE, project, {recursive: true})
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.email=e2e@example.com', '-c', 'user.name=e2e', ...args], {cwd: project})
    git('init', '-q')
    git('add', '-A')
    git('commit', '-q', '-m', 'fixture')
    env = {TWOLITER_CACHE_DIR: path.join(work, 'cache')}
  })

  after(async () => {
    if (work) await rm(work, {recursive: true, force: true})
  })

  it('builds the reference split plan: GPTs, root files, dm-verity and an audit naming the kit of every package, then nothing on a rebuild', async () => {
    const result = await buildOk('metal-dev')
    expect(result.nodes.map((node) => `${node.kind} ${node.name}: ${node.action}`)).to.include.members([
      'package motd-core: built',
      'package motd-custom: built',
      'kit core-kit: built',
      'kit custom-kit: built',
      'package os-base: built',
      'variant metal-dev: built',
    ])
    const commit = execFileSync('git', ['rev-parse', '--short=7', 'HEAD'], {cwd: project, encoding: 'utf8'}).trim()
    const imagesDir = path.join(project, 'build/images', `${ARCH}-metal-dev`)
    expect(result.variant.dir).to.equal(path.join(imagesDir, `1.2.3-${commit}`))
    expect(await readlink(path.join(imagesDir, 'latest'))).to.equal(`1.2.3-${commit}`)

    const dir = result.variant.dir
    const manifest = await readJson<Manifest>(path.join(dir, IMAGE_MANIFEST_FILE))
    // The plan partyplanner gives a 1 GiB OS disk and a 1 GiB data disk, computed here on its own.
    const plan = referencePartitionPlan({arch: ARCH, osImageSizeGiB: 1, dataImageSizeGiB: 1, partitionPlan: 'split', inPlaceUpdates: true})
    expect(manifest.partitionPlan).to.deep.equal(plan)
    for (const output of manifest.outputs) expect(await sha256File(path.join(dir, output.name)), output.name).to.equal(output.sha256)
    expect(manifest.outputs.map((output) => output.name)).to.include.members([PACKAGE_AUDIT_FILE, 'application-inventory.json', 'license-attribution.md', 'sbom.spdx.json'])
    expect(await readlink(path.join(dir, `bottlerocket-metal-dev-${ARCH}.img.lz4`))).to.equal(`bottlerocket-metal-dev-${ARCH}-1.2.3-${commit}.img.lz4`)

    const sections = await readImage(dir, manifest)
    expectGptMatches(gptEntries(sections, 'os'), plan.disks[0]!)
    expectGptMatches(gptEntries(sections, 'data'), plan.disks[1]!)
    expect(gptEntries(sections, 'os').map((entry) => entry.name)).to.include.members(['BOTTLEROCKET-ROOT-A', 'BOTTLEROCKET-ROOT-B', 'BOTTLEROCKET-PRIVATE'])
    expect(sections.sizes!.trim().split('\n').map(Number)).to.deep.equal([1024, 1024].map((mib) => mib * 1024 * 1024))

    const files = sections['root-files']!.trim().split('\n')
    expect(files).to.include.members([`.${SHARE}/os-base/os-base.txt`, `.${SHARE}/motd/motd.txt`, `.${SHARE}/hostctr-agent/agent.txt`, `.${SHARE}/licenses/motd/LICENSE`, './usr/share/bottlerocket/application-inventory.json'])
    // The RPM database stays out of the image; the inventory describes what was installed.
    expect(sections['root-var']!.trim()).to.equal('')
    expect(sections.motd!.trim()).to.equal('motd from core-kit')
    expect(JSON.parse(sections.inventory!)).to.deep.equal(await readJson(path.join(dir, 'application-inventory.json')))
    expect(sections['boot-files']).to.match(/\/vmlinuz\//)
    expect(sections.vmlinuz!.trim()).to.equal('kernel-stub, a stand-in for the kernel in /boot')
    expect(sections.verify).to.include('verify=ok')
    expect(sections.flipped).to.include('verify=failed')

    const audit = await readJson<PackageAudit>(path.join(dir, PACKAGE_AUDIT_FILE))
    expect(audit.repos.map((repo) => repo.source)).to.deep.equal(['local', 'core-kit', 'custom-kit'])
    const byName = new Map(audit.packages.map((pkg) => [pkg.name, pkg]))
    expect([...byName.keys()].sort()).to.deep.equal(['bottlerocket-hostctr-agent', 'bottlerocket-kernel-stub', 'bottlerocket-metadata', 'bottlerocket-motd', 'bottlerocket-os-base'])
    expect(byName.get('bottlerocket-os-base')).to.include({source: 'local', version: await specVersion('os-base'), license: 'MIT'})
    expect(byName.get('bottlerocket-kernel-stub')).to.include({source: 'core-kit', license: 'GPL-2.0-only'})
    // Both kits offer bottlerocket-motd; core-kit is written first in the build-dependencies.
    expect(byName.get('bottlerocket-motd')).to.include({source: 'core-kit', version: await specVersion('motd-core')})
    expect(byName.get('bottlerocket-motd')!.requestedBy).to.deep.equal(['bottlerocket-os-base'])
    expect(byName.get('bottlerocket-motd')!.licenseFiles).to.deep.equal([`${SHARE}/licenses/motd/LICENSE`])
    expect(byName.get('bottlerocket-metadata')!.source).to.equal('metadata')

    // graph --why answers from this audit: motd is in the image through os-base's Requires, no Cargo link.
    const why = await twoliterAsync(['graph', 'metal-dev', '--why', 'bottlerocket-motd', '--arch', ARCH, '--json'], project, env)
    expect(why.status, why.stderr).to.equal(0)
    const installed = (JSON.parse(why.stdout) as {why: {installed: {source: string; version: string; chains: string[][]}}}).why.installed
    expect(installed).to.deep.include({source: 'core-kit', version: await specVersion('motd-core')})
    expect(installed.chains).to.deep.equal([['bottlerocket-os-base', 'bottlerocket-motd']])

    const attribution = await readFile(path.join(dir, 'license-attribution.md'), 'utf8')
    expect(attribution.indexOf('## Kit `core-kit`')).to.be.greaterThan(attribution.indexOf('(local)'))
    const sbom = await readJson<{spdxVersion: string; packages: Array<{name: string; licenseDeclared: string}>}>(path.join(dir, 'sbom.spdx.json'))
    expect(sbom.spdxVersion).to.equal('SPDX-2.3')
    expect(sbom.packages.find((pkg) => pkg.name === 'bottlerocket-motd')!.licenseDeclared).to.equal('Apache-2.0')

    // The project's post-build-variant step got the image directory and every output in it.
    const [hookDir, ...hookOutputs] = (await readFile(path.join(project, 'build/post-build-metal-dev.txt'), 'utf8')).trim().split('\n')
    expect(hookDir).to.equal(dir)
    expect(hookOutputs.sort()).to.deep.equal(result.variant.files.map((file) => path.join(dir, file.name)).sort())

    const again = await buildOk('metal-dev')
    expect(again.variant.action).to.equal('up-to-date')
    expect(again.containerRuns).to.equal(0)
    expect(again.variant.files.map((file) => file.name).sort()).to.deep.equal(manifest.outputs.map((output) => output.name).sort())
  })

  it('takes a package from the kit kit-priority puts first, even at a lower version, and writes the custom layout', async () => {
    const result = await buildOk('metal-custom')
    const dir = result.variant.dir
    const audit = await readJson<PackageAudit>(path.join(dir, PACKAGE_AUDIT_FILE))
    expect(audit.repos.map((repo) => repo.source)).to.deep.equal(['local', 'custom-kit', 'core-kit'])
    const motd = audit.packages.find((pkg) => pkg.name === 'bottlerocket-motd')!
    expect(motd).to.include({source: 'custom-kit', version: await specVersion('motd-custom')})
    expect(Number(await specVersion('motd-custom'))).to.be.lessThan(Number(await specVersion('motd-core')))
    expect(audit.packages.find((pkg) => pkg.name === 'bottlerocket-kernel-stub')!.source).to.equal('core-kit')

    const manifest = await readJson<Manifest>(path.join(dir, IMAGE_MANIFEST_FILE))
    expect(manifest.partitionPlan.plan).to.equal('custom')
    expect(manifest.partitionPlan.disks.map((disk) => disk.disk)).to.deep.equal(['os'])
    const sections = await readImage(dir, manifest)
    expect(sections.motd!.trim()).to.equal('motd from custom-kit')
    expect(sections.verify).to.include('verify=ok')
    const entries = gptEntries(sections, 'os')
    expectGptMatches(entries, manifest.partitionPlan.disks[0]!)
    // What the variant's Cargo.toml asks for, read back from the disk: sizes in order, its own partition.
    const cargo = await readFile(variantCargo('metal-custom'), 'utf8')
    const sizes = [...cargo.matchAll(/^size-mib = (\d+)$/gm)].map((match) => Number(match[1]) * 2048)
    expect(entries.map((entry) => entry.sizeSectors)).to.deep.equal(sizes)
    expect(Number(sections.sizes!.trim()) / 1024 / 1024).to.equal(Number(/^os-disk-size-mib = (\d+)$/m.exec(cargo)![1]))
    const state = entries.find((entry) => entry.name === 'METAL-STATE')!
    expect(state.typeGuid).to.equal('0fc63daf-8483-4772-8e79-3d69d8477de4')
    expect(entries.filter((entry) => /-B$|BACKUP/.test(entry.name)).map((entry) => entry.name)).to.deep.equal([
      'EFI-BACKUP',
      'BOTTLEROCKET-BOOT-B',
      'BOTTLEROCKET-ROOT-B',
      'BOTTLEROCKET-HASH-B',
      'BOTTLEROCKET-RESERVED-B',
    ])
  })

  it('builds a variant without in-place updates or host containers, and refuses a package that needs host containers there', async () => {
    const result = await buildOk('metal-minimal')
    const dir = result.variant.dir
    const manifest = await readJson<Manifest>(path.join(dir, IMAGE_MANIFEST_FILE))
    const plan = referencePartitionPlan({arch: ARCH, osImageSizeGiB: 1, dataImageSizeGiB: 1, partitionPlan: 'unified', inPlaceUpdates: false})
    expect(manifest.partitionPlan).to.deep.equal(plan)
    const sections = await readImage(dir, manifest)
    const entries = gptEntries(sections, 'os')
    expectGptMatches(entries, plan.disks[0]!)
    expect(entries.filter((entry) => /-B$|BACKUP/.test(entry.name))).to.deep.equal([])
    // One bank with its partitions doubled: ROOT-A is twice the 1 GiB plan's 460 MiB per bank.
    expect(entries.find((entry) => entry.name === 'BOTTLEROCKET-ROOT-A')!.sizeSectors).to.equal(2 * 460 * 2048)
    expect(sections.verify).to.include('verify=ok')

    const cargo = variantCargo('metal-minimal')
    const original = await readFile(cargo, 'utf8')
    await writeFile(cargo, original.replace('included-packages = ["os-base", "kernel-stub"]', 'included-packages = ["os-base", "kernel-stub", "hostctr-agent"]'))
    try {
      const refused = await buildCli('metal-minimal')
      expect(refused.status).to.not.equal(0)
      expectNoStackTrace(refused)
      expect(refused.stderr).to.include('image-feature(host-containers)')
      expect(refused.stderr).to.include('metal-minimal')
      // The image built before is still there, untouched.
      expect(await readlink(path.join(path.dirname(dir), 'latest'))).to.equal(path.basename(dir))
      for (const output of manifest.outputs) expect(await sha256File(path.join(dir, output.name)), output.name).to.equal(output.sha256)
      expect(await readdir(path.join(project, 'build/.staging')).catch(() => [])).to.deep.equal([])
    } finally {
      await writeFile(cargo, original)
    }
  })

  /** Builds the variant in-process and returns what it threw and how many containers ran. */
  async function refusedInProcess(variant: string): Promise<{error: unknown; containerRuns: number}> {
    const session = await openBuildSession({
      projectPath: path.join(project, 'Twoliter.toml'),
      arch: ARCH,
      cacheDir: path.join(work, 'cache'),
      command: `test build variant ${variant}`,
      logger: new Logger('warn'),
      reporter: silentReporter,
      sources: {},
    })
    try {
      await buildVariant(session.context, variant, {jobs: 2, keepGoing: false, force: true, signal: session.signal})
      return {error: undefined, containerRuns: session.context.engine.stats.containerRuns}
    } catch (error) {
      return {error, containerRuns: session.context.engine.stats.containerRuns}
    } finally {
      await session.close()
    }
  }

  it('refuses a layout that does not fit, a bank mismatch and an unknown kit in kit-priority before any container starts', async () => {
    const cargo = variantCargo('metal-custom')
    const original = await readFile(cargo, 'utf8')
    const cases = [
      {edit: (text: string) => text.replace(/^os-disk-size-mib = \d+$/m, 'os-disk-size-mib = 100'), code: 'variant.layout-too-small', says: /need \d+ MiB but os-disk-size-mib is 100/},
      {
        edit: (text: string) => text.replace('[package.metadata.build-variant.partition-layout]', '[package.metadata.build-variant.image-features]\nin-place-updates = false\n\n[package.metadata.build-variant.partition-layout]'),
        code: 'variant.layout-banks',
        says: /has a bank B, but the variant turns the in-place-updates image feature off/,
      },
      {edit: (text: string) => text.replace('kit-priority = ["custom-kit", "core-kit"]', 'kit-priority = ["custom-kit", "corekit"]'), code: 'variant.install-kit-priority', says: /names corekit, which is not a kit of the variant/},
    ]
    try {
      for (const {edit, code, says} of cases) {
        const edited = edit(original)
        expect(edited, code).to.not.equal(original)
        await writeFile(cargo, edited)
        const {error, containerRuns} = await refusedInProcess('metal-custom')
        expect(error, code).to.be.instanceOf(TwoliterError)
        expect((error as TwoliterError).code).to.equal(code)
        expect((error as TwoliterError).message).to.match(says)
        expect(containerRuns, code).to.equal(0)

        const run = await buildCli('metal-custom')
        expect(run.status, code).to.equal(1)
        expectNoStackTrace(run)
        expect(run.stderr).to.match(says)
      }
    } finally {
      await writeFile(cargo, original)
    }
  })
})
