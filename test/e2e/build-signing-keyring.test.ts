/**
 * Package builds sign their RPMs with a key of a GnuPG home directory: Infra.toml's [rpm-signing]
 * `keyring` with `key-id` (real engine, real SDK, the bundled @twoliter/sign; its dist must be built). The
 * keyring is only read, a new secret key in it rebuilds the packages, no key material reaches the build
 * directory, and a keyring without key-id stops the build at its line before any container.
 */

import {Config} from '@oclif/core'
import type {Signer} from '@twoliter/plugin-api'
import {expect} from 'chai'
import {randomBytes} from 'node:crypto'
import {cp, mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {type GeneratedGpgKey, generateGpgKey} from '../../plugins/sign/src/gpg/keygen.js'
import {filesHolding, filesUnder, makeGnupgHome, privateKeyNeedles, treeDigest} from '../../plugins/sign/test/gpg/helpers.js'
import {hostArch} from '../../src/lib/build/arch.js'
import {type KitBuildResult, buildKits} from '../../src/lib/build/kit-builds.js'
import type {BuildReporter, NodeReport} from '../../src/lib/build/package-builds.js'
import {openBuildSession} from '../../src/lib/build/session.js'
import type {Engine} from '../../src/lib/engine/index.js'
import {hookContext} from '../../src/lib/extensions/hook-context.js'
import {findSigner} from '../../src/lib/signing/signers.js'
import {Logger} from '../../src/lib/ui/logger.js'
import {expectNoStackTrace, REPO, twoliter} from '../helpers/cli.js'
import {commitProject} from '../helpers/git.js'
import {connectEngine, ensureLocalSdk} from '../helpers/sdk.js'

const FIXTURE = path.join(REPO, 'test/fixtures/build/kits-project')
const SDK_REF = 'localhost/twoliter-e2e/sdk:v0.1.0'
const ARCH = hostArch()

const quiet: BuildReporter = {started() {}, line() {}, finished() {}}
const actions = (reports: NodeReport[]) => reports.map((r) => `${r.kind} ${r.name}: ${r.action}`)

describe('build: RPM signing with a keyring, Infra.toml [rpm-signing] keyring + key-id (real engine)', function () {
  this.timeout(600_000)
  let engine: Engine
  let config: Config
  let sdkImage: string
  let signer: Signer
  let work: string
  let project: string
  let home: string
  let keyA: GeneratedGpgKey
  let keyB: GeneratedGpgKey
  const passphrase = randomBytes(24).toString('base64url')
  const savedPassphrase = process.env.GPG_PASSPHRASE

  async function build(kit: string): Promise<KitBuildResult> {
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
      return await buildKits(session.context, kit, {jobs: 4, keepGoing: false, force: false, signal: session.signal})
    } finally {
      await session.close()
    }
  }

  const allRpms = async () => (await filesUnder(path.join(project, 'build/rpms'))).filter((file) => file.endsWith('.rpm')).sort()
  const record = async () => JSON.parse(await readFile(path.join(project, 'build/state', ARCH, 'packages/pkg-a.json'), 'utf8'))

  before(async () => {
    engine = await connectEngine()
    sdkImage = await ensureLocalSdk()
    await engine.tagImage(sdkImage, SDK_REF)
    config = await Config.load(REPO)
    work = await mkdtemp(path.join(tmpdir(), 'twoliter-e2e-signing-keyring-'))
    project = path.join(work, 'project')
    await cp(FIXTURE, project, {recursive: true})
    commitProject(project)
    keyA = await generateGpgKey({runner: engine, sdkImage, name: 'Keyring Signing A', email: 'keyring-a@example.com', passphrase, outDir: path.join(work, 'keys', 'a')})
    keyB = await generateGpgKey({runner: engine, sdkImage, name: 'Keyring Signing B', email: 'keyring-b@example.com', outDir: path.join(work, 'keys', 'b')})
    home = path.join(work, 'gnupg')
    await makeGnupgHome(engine, sdkImage, home, [keyA.privateKeyFile])
    await writeFile(path.join(project, 'Infra.toml'), `[rpm-signing]\nkeyring = "../gnupg"\nkey-id = "${keyA.fingerprint}"\n`)
    const logger = new Logger('warn')
    signer = await findSigner(config, 'gpg', {context: hookContext({logger, engine}), logger})
    process.env.GPG_PASSPHRASE = passphrase
  })

  after(async () => {
    if (savedPassphrase === undefined) delete process.env.GPG_PASSPHRASE
    else process.env.GPG_PASSPHRASE = savedPassphrase
    if (work !== undefined) await rm(work, {recursive: true, force: true})
  })

  it('signs every RPM with the key of the keyring, the kit carries its public key, and the keyring is left as it was', async () => {
    const before = await treeDigest(home)
    const result = await build('kit-a')
    expect([...result.failures.values()].map(String)).to.deep.equal([])
    expect(actions(result.reports)).to.deep.equal(['package pkg-a: built', 'package pkg-b: built', 'kit kit-a: built'])
    const publicKey = await readFile(keyA.publicKeyFile, 'utf8')
    const {results} = await signer.verifyRpms!({rpms: await allRpms(), publicKeys: [publicKey], sdkImage})
    expect(results.filter((check) => !check.ok)).to.deep.equal([])
    expect((await record()).rpmSignature.keyId.toUpperCase()).to.equal(keyA.fingerprint)
    expect((await readFile(path.join(project, 'build/kits/kit-a', ARCH, 'RPM-GPG-KEY'), 'utf8')).trim()).to.equal(publicKey.trim())
    expect(await treeDigest(home)).to.deep.equal(before)

    const needles = [...privateKeyNeedles(await readFile(keyA.privateKeyFile, 'utf8'), publicKey), {label: 'the passphrase', bytes: Buffer.from(passphrase)}]
    expect(await filesHolding(await filesUnder(path.join(project, 'build')), needles)).to.deep.equal([])
  })

  it('is up to date while the keyring holds the same keys, and rebuilds when a secret key is added', async () => {
    const fingerprint = (await record()).inputs['rpm-signing']
    expect(fingerprint).to.match(/^[0-9a-f]{64}$/)
    expect(actions((await build('kit-a')).reports)).to.deep.equal(['package pkg-a: up-to-date', 'package pkg-b: up-to-date', 'kit kit-a: up-to-date'])

    await makeGnupgHome(engine, sdkImage, home, [keyB.privateKeyFile])
    const result = await build('kit-a')
    expect([...result.failures.values()].map(String)).to.deep.equal([])
    expect(actions(result.reports)).to.deep.equal(['package pkg-a: built', 'package pkg-b: built', 'kit kit-a: built'])
    expect((await record()).inputs['rpm-signing']).to.match(/^[0-9a-f]{64}$/).and.not.equal(fingerprint)
    // Still key A: key-id chooses it among the two.
    expect((await record()).rpmSignature.keyId.toUpperCase()).to.equal(keyA.fingerprint)
  })

  it('a keyring without key-id is an error at its line of Infra.toml, before any container', async () => {
    const bad = path.join(work, 'bad-project')
    await cp(FIXTURE, bad, {recursive: true})
    commitProject(bad)
    await writeFile(path.join(bad, 'Infra.toml'), `# signing\n[rpm-signing]\nkeyring = "../gnupg"\n`)
    const run = twoliter(['build', 'kit', 'kit-a', '--project-path', path.join(bad, 'Twoliter.toml')], bad, {GPG_PASSPHRASE: passphrase})
    expect(run.status).to.equal(1)
    expect(run.stderr).to.contain('Infra.toml:3')
    expect(run.stderr).to.contain('key-id')
    expectNoStackTrace(run)
    expect(await stat(path.join(bad, 'build/rpms')).catch(() => undefined)).to.equal(undefined)
  })
})
