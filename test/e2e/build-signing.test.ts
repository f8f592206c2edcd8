/**
 * Package builds sign their RPMs with the GPG key of Infra.toml's [rpm-signing], through the gpg signer
 * of the bundled @twoliter/sign (real engine, real SDK, plugins loaded from the real oclif configuration;
 * the plugin's dist must be built). The kit carries the public key as RPM-GPG-KEY, an RPM modified after
 * signing is refused before the kit is assembled, and neither the private key nor the passphrase ends up
 * in the build directory, the kit or the engine's images.
 */

import {Config} from '@oclif/core'
import type {Signer} from '@twoliter/plugin-api'
import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {cp, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {gunzipSync} from 'node:zlib'

import {type GeneratedGpgKey, generateGpgKey} from '../../plugins/sign/src/gpg/keygen.js'
import {filesHolding, filesUnder, flipPayloadByte, privateKeyNeedles} from '../../plugins/sign/test/gpg/helpers.js'
import {hostArch} from '../../src/lib/build/arch.js'
import {type KitBuildResult, buildKits} from '../../src/lib/build/kit-builds.js'
import type {BuildReporter, NodeReport, PackageBuildOptions} from '../../src/lib/build/package-builds.js'
import {openBuildSession} from '../../src/lib/build/session.js'
import type {Engine} from '../../src/lib/engine/index.js'
import {TwoliterError} from '../../src/lib/errors.js'
import {hookContext} from '../../src/lib/extensions/hook-context.js'
import {findSigner} from '../../src/lib/signing/signers.js'
import {Logger} from '../../src/lib/ui/logger.js'
import {REPO, twoliter} from '../helpers/cli.js'
import {commitProject} from '../helpers/git.js'
import {connectEngine, ensureLocalSdk} from '../helpers/sdk.js'

const FIXTURE = path.join(REPO, 'test/fixtures/build/kits-project')
const SDK_REF = 'localhost/twoliter-e2e/sdk:v0.1.0'
const ARCH = hostArch()

const quiet: BuildReporter = {started() {}, line() {}, finished() {}}
const actions = (reports: NodeReport[]) => reports.map((r) => `${r.kind} ${r.name}: ${r.action}`)

describe('build: RPM signing with Infra.toml [rpm-signing] (real engine)', function () {
  this.timeout(600_000)
  let engine: Engine
  let config: Config
  let sdkImage: string
  let signer: Signer
  let work: string
  let project: string
  let key: GeneratedGpgKey
  let imagesBefore: string[]
  const passphrase = randomBytes(24).toString('base64url')
  const savedPassphrase = process.env.GPG_PASSPHRASE

  const rpmsDir = (pkg: string) => path.join(project, 'build/rpms', pkg)
  const kitDir = (kit: string) => path.join(project, 'build/kits', kit)

  async function build(kit: string, options: Partial<PackageBuildOptions> = {}): Promise<KitBuildResult & {containerRuns: number}> {
    const session = await openBuildSession({
      projectPath: path.join(project, 'Twoliter.toml'),
      arch: ARCH,
      cacheDir: path.join(work, 'cache'),
      command: `test build kit ${kit}`,
      logger: new Logger('warn'),
      reporter: quiet,
      sources: {},
      config,
    })
    try {
      const result = await buildKits(session.context, kit, {jobs: 4, keepGoing: false, force: false, signal: session.signal, ...options})
      return {...result, containerRuns: session.context.engine.stats.containerRuns}
    } finally {
      await session.close()
    }
  }

  async function allRpms(): Promise<string[]> {
    return (await filesUnder(path.join(project, 'build/rpms'))).filter((file) => file.endsWith('.rpm')).sort()
  }

  const listImages = () => execFileSync('docker', ['image', 'ls', '-a', '-q', '--no-trunc'], {encoding: 'utf8'}).split('\n').filter(Boolean).sort()

  before(async () => {
    engine = await connectEngine()
    sdkImage = await ensureLocalSdk()
    await engine.tagImage(sdkImage, SDK_REF)
    config = await Config.load(REPO)
    work = await mkdtemp(path.join(tmpdir(), 'twoliter-e2e-signing-'))
    project = path.join(work, 'project')
    await cp(FIXTURE, project, {recursive: true})
    commitProject(project)
    key = await generateGpgKey({runner: engine, sdkImage, name: 'Build Signing', email: 'build-signing@example.com', passphrase, outDir: path.join(work, 'keys')})
    await writeFile(path.join(project, 'Infra.toml'), `[rpm-signing]\nkey = "../keys/private.asc"\n`)
    const logger = new Logger('warn')
    signer = await findSigner(config, 'gpg', {context: hookContext({logger, engine}), logger})
    process.env.GPG_PASSPHRASE = passphrase
    imagesBefore = listImages()
  })

  after(async () => {
    if (savedPassphrase === undefined) delete process.env.GPG_PASSPHRASE
    else process.env.GPG_PASSPHRASE = savedPassphrase
    if (work !== undefined) await rm(work, {recursive: true, force: true})
  })

  it('signs every RPM of the packages with the key, and the kit carries its public key as RPM-GPG-KEY', async () => {
    const result = await build('kit-a')
    expect([...result.failures.values()].map(String)).to.deep.equal([])
    expect(actions(result.reports)).to.deep.equal(['package pkg-a: built', 'package pkg-b: built', 'kit kit-a: built'])

    const rpms = await allRpms()
    expect(rpms.length).to.be.greaterThan(1)
    const publicKey = await readFile(key.publicKeyFile, 'utf8')
    const {results} = await signer.verifyRpms!({rpms, publicKeys: [publicKey], sdkImage})
    expect(results.filter((check) => !check.ok)).to.deep.equal([])

    const record = JSON.parse(await readFile(path.join(project, 'build/state', ARCH, 'packages/pkg-a.json'), 'utf8'))
    expect(record.rpmSignature.keyId.toUpperCase()).to.equal(key.fingerprint)
    expect(record.inputs['rpm-signing']).to.match(/^[0-9a-f]{64}$/)

    const carried = await readFile(path.join(kitDir('kit-a'), ARCH, 'RPM-GPG-KEY'), 'utf8')
    expect(carried.trim()).to.equal(publicKey.trim())
  })

  it('puts RPM-GPG-KEY into the kit archive, at the root next to repodata/', async () => {
    const files = await archiveFiles()
    expect(files.map(({name}) => name)).to.include('repodata/repomd.xml')
    const keyEntry = files.find(({name}) => name === 'RPM-GPG-KEY')
    expect(keyEntry, 'RPM-GPG-KEY in a layer of the kit archive').to.not.equal(undefined)
    expect(keyEntry!.content.toString().trim()).to.equal((await readFile(key.publicKeyFile, 'utf8')).trim())
  })

  it('`twoliter verify` checks the built archive\'s RPMs against the public key, and against the archive\'s own key with a warning', async () => {
    const archive = path.join(kitDir('kit-a'), (await readdir(kitDir('kit-a'))).find((name) => name.endsWith('.tar'))!)
    const given = twoliter(['verify', archive, '--key', key.publicKeyFile, '--sdk-image', sdkImage, '--json'], work)
    expect(given.status, given.stderr).to.equal(0)
    const result = JSON.parse(given.stdout) as {verified: boolean; keySource: string; rpms: Array<{ok: boolean}>}
    expect(result).to.include({verified: true, keySource: 'given'})
    expect(result.rpms.length).to.equal((await allRpms()).filter((rpm) => !/-debug(info|source)-/.test(rpm)).length)
    expect(result.rpms.every((rpm) => rpm.ok)).to.equal(true)

    const own = twoliter(['verify', archive, '--sdk-image', sdkImage], work)
    expect(own.status, own.stderr).to.equal(0)
    expect(own.stderr).to.include('RPM-GPG-KEY')
  })

  it('a second build starts no container: nothing is signed again', async () => {
    const before = await Promise.all((await allRpms()).map(async (file) => (await stat(file)).mtimeMs))
    const result = await build('kit-a')
    expect([...result.failures.values()].map(String)).to.deep.equal([])
    expect(actions(result.reports)).to.deep.equal(['package pkg-a: up-to-date', 'package pkg-b: up-to-date', 'kit kit-a: up-to-date'])
    expect(result.containerRuns).to.equal(0)
    expect(await Promise.all((await allRpms()).map(async (file) => (await stat(file)).mtimeMs))).to.deep.equal(before)
  })

  it('keeps the private key and the passphrase out of the build directory, the kit archive and the engine\'s images', async () => {
    const needles = [...privateKeyNeedles(await readFile(key.privateKeyFile, 'utf8'), await readFile(key.publicKeyFile, 'utf8')), {label: 'the passphrase', bytes: Buffer.from(passphrase)}]
    const buildFiles = await filesUnder(path.join(project, 'build'))
    expect(buildFiles.length).to.be.greaterThan(5)
    expect(await filesHolding(buildFiles, needles)).to.deep.equal([])

    const layers = await archiveFiles()
    expect(layers.filter(({content}) => needles.some((needle) => content.includes(needle.bytes))).map(({name}) => name)).to.deep.equal([])

    // The build made no image; and the SDK image it ran in holds neither (its layers and history).
    expect(listImages().filter((id) => !imagesBefore.includes(id))).to.deep.equal([])
    const saved = path.join(work, 'sdk-image.tar')
    execFileSync('docker', ['image', 'save', '-o', saved, sdkImage])
    const extracted = path.join(work, 'sdk-image')
    await mkdir(extracted)
    execFileSync('tar', ['-xf', saved, '-C', extracted])
    await rm(saved)
    const history = execFileSync('docker', ['image', 'history', '--no-trunc', '--format', '{{.CreatedBy}}', sdkImage], {encoding: 'utf8'})
    expect(needles.filter((needle) => history.includes(needle.bytes.toString()) && needle.bytes.length > 8).map((n) => n.label)).to.deep.equal([])
    const layerFiles = await filesUnder(extracted)
    const found: string[] = []
    for (const file of layerFiles) {
      const content = await readFile(file)
      // Layers may be compressed: look into gzip ones as well.
      const texts: Buffer[] = [content]
      if (content[0] === 0x1f && content[1] === 0x8b) texts.push(gunzip(content))
      for (const text of texts) for (const needle of needles) if (text.includes(needle.bytes)) found.push(`${file}: ${needle.label}`)
    }

    expect(found).to.deep.equal([])
    await rm(extracted, {recursive: true, force: true})
  })

  it('refuses to assemble the kit when an RPM was modified after signing, naming it', async () => {
    const rpm = (await readdir(rpmsDir('pkg-a'))).find((file) => file.endsWith(`.${ARCH}.rpm`))!
    const file = path.join(rpmsDir('pkg-a'), rpm)
    await flipPayloadByte(file)
    // The build record made to match the changed file's size and time (as a `touch -r` would): only the
    // signature check can notice.
    const recordFile = path.join(project, 'build/state', ARCH, 'packages/pkg-a.json')
    const record = JSON.parse(await readFile(recordFile, 'utf8'))
    const after = await stat(file)
    for (const output of record.outputs) if (output.name === rpm) output.mtimeMs = after.mtimeMs
    await writeFile(recordFile, JSON.stringify(record, null, 2) + '\n')
    await rm(kitDir('kit-a'), {recursive: true, force: true})

    const result = await build('kit-a')
    expect(actions(result.reports)).to.deep.equal(['package pkg-a: up-to-date', 'package pkg-b: up-to-date', 'kit kit-a: failed'])
    const error = result.failures.get('kit-a') as TwoliterError
    expect(error).to.be.instanceOf(TwoliterError)
    expect(error.code).to.equal('build.kit-rpm-unverified')
    expect(error.message).to.contain(`build/rpms/pkg-a/${rpm} was modified after signing`)
    expect(error.message).to.not.contain('pkg-b')
    expect(await stat(kitDir('kit-a')).catch(() => undefined)).to.equal(undefined)
  })

  it('a wrong passphrase fails the package build without showing the passphrase, and keeps its previous outputs', async () => {
    // pkg-a's outputs were damaged above; --force rebuilds both packages, pkg-a first.
    const wrong = randomBytes(24).toString('base64url')
    const before = await Promise.all((await allRpms()).map((file) => readFile(file)))
    process.env.GPG_PASSPHRASE = wrong
    try {
      const result = await build('kit-a', {force: true})
      const failures = [...result.failures.entries()]
      expect(failures.length).to.be.greaterThan(0)
      for (const [, error] of failures) {
        expect(error).to.be.instanceOf(TwoliterError)
        const {message, hint, code} = error as TwoliterError
        expect(code).to.equal('build.rpm-signing-failed')
        expect(message).to.match(/^package pkg-[ab]: signing its RPMs with the GPG key of Infra.toml \[rpm-signing\]/)
        expect(`${message}\n${hint}`).to.not.contain(wrong)
        expect(`${message}\n${hint}`).to.not.contain(passphrase)
      }

      expect(result.reports.find((r) => r.kind === 'kit')?.action).to.equal('not-run')
      expect(await Promise.all((await allRpms()).map((file) => readFile(file)))).to.deep.equal(before)
      const logs = await filesUnder(path.join(project, 'build/logs'))
      expect(await filesHolding(logs, [{label: 'wrong passphrase', bytes: Buffer.from(wrong)}])).to.deep.equal([])
    } finally {
      process.env.GPG_PASSPHRASE = passphrase
    }
  })

  it('a key change rebuilds and re-signs every package', async () => {
    const other = await generateGpgKey({runner: engine, sdkImage, name: 'Other Signing', email: 'other@example.com', outDir: path.join(work, 'keys-other')})
    await writeFile(path.join(project, 'Infra.toml'), `[rpm-signing]\nkey = "../keys-other/private.asc"\npassphrase-env = "NO_SUCH_PASSPHRASE_VAR"\n`)
    try {
      const result = await build('kit-a')
      expect([...result.failures.values()].map(String)).to.deep.equal([])
      expect(actions(result.reports)).to.deep.equal(['package pkg-a: built', 'package pkg-b: built', 'kit kit-a: built'])
      const otherKey = await readFile(other.publicKeyFile, 'utf8')
      const {results} = await signer.verifyRpms!({rpms: await allRpms(), publicKeys: [otherKey], sdkImage})
      expect(results.filter((check) => !check.ok)).to.deep.equal([])
      expect((await readFile(path.join(kitDir('kit-a'), ARCH, 'RPM-GPG-KEY'), 'utf8')).trim()).to.equal(otherKey.trim())
    } finally {
      await writeFile(path.join(project, 'Infra.toml'), `[rpm-signing]\nkey = "../keys/private.asc"\n`)
    }
  })

  it('a key file that does not exist is an error at its line of Infra.toml, before any container', async () => {
    const bad = path.join(work, 'bad-project')
    await cp(FIXTURE, bad, {recursive: true})
    commitProject(bad)
    await writeFile(path.join(bad, 'Infra.toml'), `# signing\n[rpm-signing]\nkey = "keys/missing.asc"\n`)
    const run = twoliter(['build', 'kit', 'kit-a', '--project-path', path.join(bad, 'Twoliter.toml')], bad, {GPG_PASSPHRASE: passphrase})
    expect(run.status).to.equal(1)
    expect(run.stderr).to.contain(`Infra.toml:3`)
    expect(run.stderr).to.contain(`${path.join(bad, 'keys/missing.asc')} that`)
    expect(run.stderr).to.contain('does not exist')
    expect(run.stderr).to.not.match(/^\s+at /m)
    // Nothing ran: no build log, no output.
    expect(await stat(path.join(bad, 'build/logs')).catch(() => undefined)).to.equal(undefined)
    expect(await stat(path.join(bad, 'build/rpms')).catch(() => undefined)).to.equal(undefined)
  })

  /** Every file of every layer of the kit-a archive (layers are gzip or plain tars). */
  async function archiveFiles(): Promise<Array<{name: string; content: Buffer}>> {
    const archive = (await readdir(kitDir('kit-a'))).find((name) => name.endsWith('.tar'))!
    const dir = await mkdtemp(path.join(work, 'archive-'))
    try {
      execFileSync('tar', ['-xf', path.join(kitDir('kit-a'), archive), '-C', dir])
      const files: Array<{name: string; content: Buffer}> = []
      for (const blob of await filesUnder(path.join(dir, 'blobs'))) {
        const layer = path.join(dir, 'layer')
        await rm(layer, {recursive: true, force: true})
        await mkdir(layer)
        try {
          execFileSync('tar', ['-xf', blob, '-C', layer], {stdio: 'ignore'})
        } catch {
          // Not a layer (the config or the manifest): scanned as it is.
          files.push({name: `blob:${path.basename(blob)}`, content: await readFile(blob)})
          continue
        }

        for (const file of await filesUnder(layer)) files.push({name: path.relative(layer, file), content: await readFile(file)})
      }

      return files
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  }
})

function gunzip(content: Buffer): Buffer {
  try {
    return gunzipSync(content)
  } catch {
    return Buffer.alloc(0)
  }
}
