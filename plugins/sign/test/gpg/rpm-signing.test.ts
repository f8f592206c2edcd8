/**
 * GPG key generation and RPM signing against the real engine and the local SDK, with core's Engine as the
 * container runner: key pairs, signing and the signature read back with rpm, verification with the right
 * key, another key and an RPM changed after signing, the key and passphrase errors, and no secret left in
 * the RPM or work directories, no container left and no image made.
 */

import {expect} from 'chai'
import {randomBytes} from 'node:crypto'
import {copyFile, cp, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile} from 'node:fs/promises'
import {createServer, type Server} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {Engine} from '../../../../src/lib/engine/index.js'
import {connectEngine, ensureLocalSdk} from '../../../../test/helpers/sdk.js'
import {isSigningError, type SigningError} from '../../src/gpg/errors.js'
import {type GeneratedGpgKey, generateGpgKey} from '../../src/gpg/keygen.js'
import {type GpgSigningKey, requireVerified, signRpms, type SignRpmsResult, verifyRpms} from '../../src/gpg/rpm-signing.js'
import type {ContainerRunner} from '../../src/gpg/runner.js'
import {buildTestRpms, filesHolding, filesUnder, flipPayloadByte, makeGnupgHome, privateKeyNeedles, queryRpms, TEST_RPMS, treeDigest} from './helpers.js'

const PASSPHRASE_ENV = 'TWOLITER_TEST_GPG_PASSPHRASE'

interface EngineEvent {
  Type?: string
  Action?: string
  from?: string
  Actor?: {ID?: string; Attributes?: Record<string, string>}
}

/** The engine's events since `since` (seconds since the epoch) until now. */
async function engineEvents(engine: Engine, since: number, filters: Record<string, string[]>): Promise<EngineEvent[]> {
  const stream = (await engine.docker.getEvents({since, until: Math.ceil(Date.now() / 1000) + 1, filters})) as NodeJS.ReadableStream
  let text = ''
  for await (const chunk of stream) text += chunk.toString()
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as EngineEvent)
}

describe('GPG signing of RPMs in the SDK (real engine)', function () {
  this.timeout(300_000)
  let engine: Engine
  // Core's engine as the plugin's runner: this assignment is the structural-compatibility check.
  let runner: ContainerRunner
  let sdkImage: string
  let root: string
  let sourceRpms: string
  let workDir: string
  let keyA: GeneratedGpgKey
  let keyB: GeneratedGpgKey
  let imagesBefore: Set<string>
  let buildsBefore: number
  let startedAt: number
  const passphrase = randomBytes(24).toString('base64url')
  const env = {[PASSPHRASE_ENV]: passphrase}
  let copies = 0

  /** A fresh copy of the unsigned test RPMs. */
  async function freshRpms(): Promise<string> {
    copies++
    const dir = path.join(root, `rpms-${copies}`)
    await cp(sourceRpms, dir, {recursive: true})
    return dir
  }

  async function sign(rpmsDir: string, key: GpgSigningKey): Promise<SignRpmsResult> {
    return signRpms({runner, sdkImage, rpmsDir, key, workDir, env})
  }

  async function signingFails(rpmsDir: string, key: GpgSigningKey): Promise<SigningError> {
    try {
      await sign(rpmsDir, key)
    } catch (error) {
      expect(isSigningError(error), String(error)).to.equal(true)
      return error as SigningError
    }

    throw new Error('expected signing to fail')
  }

  const read = (file: string) => readFile(file, 'utf8')

  before(async () => {
    engine = await connectEngine()
    runner = engine
    sdkImage = await ensureLocalSdk()
    startedAt = Math.floor(Date.now() / 1000) - 1
    imagesBefore = new Set((await engine.docker.listImages({all: true})).map((image) => image.Id))
    buildsBefore = engine.stats.imageBuilds
    root = await mkdtemp(path.join(tmpdir(), 'twoliter-gpg-sign-'))
    workDir = path.join(root, 'work')
    await buildTestRpms(runner, sdkImage, path.join(root, 'source'))
    sourceRpms = path.join(root, 'source', 'rpms')
    keyA = await generateGpgKey({runner, sdkImage, name: 'Test Kits A', email: 'kits-a@example.com', passphrase, outDir: path.join(root, 'keys', 'a')})
    keyB = await generateGpgKey({runner, sdkImage, name: 'Test Kits B', email: 'kits-b@example.com', outDir: path.join(root, 'keys', 'b')})
  })

  after(async () => {
    if (root) await rm(root, {recursive: true, force: true})
  })

  it('generates armored key pairs, the private key readable by its owner only, and never overwrites one', async () => {
    expect(keyA.fingerprint).to.match(/^[\dA-F]{40}$/)
    expect(keyB.fingerprint).to.match(/^[\dA-F]{40}$/).and.not.equal(keyA.fingerprint)
    expect(await read(keyA.privateKeyFile)).to.contain('-----BEGIN PGP PRIVATE KEY BLOCK-----')
    expect(await read(keyA.publicKeyFile)).to.contain('-----BEGIN PGP PUBLIC KEY BLOCK-----').and.not.contain('PRIVATE')
    expect((await stat(keyA.privateKeyFile)).mode & 0o777).to.equal(0o600)
    expect((await stat(keyA.privateKeyFile)).uid).to.equal(process.getuid?.())
    // Only the two key files: the passphrase's temporary directory is gone.
    expect((await readdir(path.dirname(keyA.privateKeyFile))).sort()).to.deep.equal(['private.asc', 'public.asc'])
    try {
      await generateGpgKey({runner, sdkImage, name: 'Again', email: 'again@example.com', outDir: path.dirname(keyA.privateKeyFile)})
      expect.fail('generated over an existing key')
    } catch (error) {
      expect((error as SigningError).code).to.equal('gpg.key-exists')
    }
  })

  it('signs every RPM, and the signature verifies and reads back with rpm', async () => {
    const rpmsDir = await freshRpms()
    const modesBefore = await Promise.all(TEST_RPMS.map(async (rpm) => (await stat(path.join(rpmsDir, rpm))).mode))
    const lines: string[] = []
    const started = performance.now()
    const result = await signRpms({runner, sdkImage, rpmsDir, key: {file: keyA.privateKeyFile, passphraseEnv: PASSPHRASE_ENV}, workDir, env, onLine: (line) => lines.push(line)})
    const elapsed = performance.now() - started
    console.log(`      signing ${TEST_RPMS.length} RPMs (one container run): ${elapsed.toFixed(0)} ms`)

    expect(result.fingerprint).to.equal(keyA.fingerprint)
    expect(result.signed).to.deep.equal(TEST_RPMS)
    expect(result.publicKey).to.contain('-----BEGIN PGP PUBLIC KEY BLOCK-----')
    expect(lines.join('\n')).to.contain('signed 2 RPMs').and.not.contain(passphrase)
    for (const [index, rpm] of TEST_RPMS.entries()) {
      const info = await stat(path.join(rpmsDir, rpm))
      expect(info.mode, rpm).to.equal(modesBefore[index])
      expect(info.uid, rpm).to.equal(process.getuid?.())
    }

    const signatures = await queryRpms(runner, sdkImage, rpmsDir, '%{RSAHEADER:pgpsig}')
    for (const rpm of TEST_RPMS) expect(signatures[rpm], rpm).to.match(new RegExp(`^RSA/SHA\\d+, .+, Key ID ${keyA.fingerprint.slice(-16).toLowerCase()}$`))

    const checks = await verifyRpms({runner, sdkImage, rpmsDir, publicKeys: [result.publicKey], workDir})
    expect(checks.map((check) => [check.rpm, check.ok])).to.deep.equal(TEST_RPMS.map((rpm) => [rpm, true]))
    expect(() => requireVerified(checks)).to.not.throw()
    // The generated public.asc verifies the same.
    const again = await verifyRpms({runner, sdkImage, rpmsDir, publicKeys: [await read(keyA.publicKeyFile)], workDir})
    expect(again.every((check) => check.ok)).to.equal(true)
  })

  it('verifying with another key: not OK, signed by an unknown key', async () => {
    const rpmsDir = await freshRpms()
    await sign(rpmsDir, {file: keyA.privateKeyFile, passphraseEnv: PASSPHRASE_ENV})
    const checks = await verifyRpms({runner, sdkImage, rpmsDir, publicKeys: [await read(keyB.publicKeyFile)], workDir})
    expect(checks).to.have.length(TEST_RPMS.length)
    for (const check of checks) {
      expect(check.ok, check.rpm).to.equal(false)
      expect(check.problem, check.reason).to.equal('unknown-key')
      expect(check.keyId).to.equal(keyA.fingerprint.slice(-8).toLowerCase())
    }

    expect(() => requireVerified(checks)).to.throw(/2 RPMs do not verify: .*alpha-1\.0-1\.noarch\.rpm \(signed by key [\da-f]{8}, which is not among the public keys\)/)
    // Either key is enough.
    const both = await verifyRpms({runner, sdkImage, rpmsDir, publicKeys: [await read(keyB.publicKeyFile), await read(keyA.publicKeyFile)], workDir})
    expect(both.every((check) => check.ok)).to.equal(true)
  })

  it('an RPM changed after signing: not OK, and the error names the file', async () => {
    const rpmsDir = await freshRpms()
    const result = await sign(rpmsDir, {file: keyA.privateKeyFile, passphraseEnv: PASSPHRASE_ENV})
    const tampered = path.join(rpmsDir, TEST_RPMS[1]!)
    await flipPayloadByte(tampered)

    const checks = await verifyRpms({runner, sdkImage, rpmsDir, publicKeys: [result.publicKey], workDir})
    const byRpm = Object.fromEntries(checks.map((check) => [check.rpm, check]))
    expect(byRpm[TEST_RPMS[0]!]!.ok).to.equal(true)
    expect(byRpm[TEST_RPMS[1]!]).to.deep.include({ok: false, problem: 'modified'})
    expect(byRpm[TEST_RPMS[1]!]!.reason).to.match(/Payload SHA256 digest: BAD/)
    try {
      requireVerified(checks)
      expect.fail('requireVerified accepted a changed RPM')
    } catch (error) {
      expect((error as SigningError).code).to.equal('gpg.rpm-not-verified')
      expect((error as SigningError).message).to.contain(`One RPM does not verify: ${TEST_RPMS[1]} (changed after it was signed`)
    }

    // Unsigned RPMs do not verify either.
    const unsigned = await verifyRpms({runner, sdkImage, rpmsDir: sourceRpms, publicKeys: [result.publicKey], workDir})
    expect(unsigned.map((check) => check.problem)).to.deep.equal(['unsigned', 'unsigned'])
  })

  it('a wrong passphrase: gpg.wrong-passphrase, and the RPMs are left as they were', async () => {
    const rpmsDir = await freshRpms()
    const before = await Promise.all(TEST_RPMS.map((rpm) => readFile(path.join(rpmsDir, rpm))))
    const wrongFile = path.join(root, 'wrong-passphrase')
    await writeFile(wrongFile, 'not the passphrase\n')
    const error = await signingFails(rpmsDir, {file: keyA.privateKeyFile, passphraseFile: wrongFile})
    expect(error.code).to.equal('gpg.wrong-passphrase')
    expect(error.message).to.contain(keyA.fingerprint).and.contain(wrongFile)
    const after = await Promise.all(TEST_RPMS.map((rpm) => readFile(path.join(rpmsDir, rpm))))
    expect(after.map((content, index) => content.equals(before[index]!))).to.deep.equal([true, true])
  })

  it('explains the other key problems: no passphrase, a public key, a missing file, an unknown or ambiguous key id', async () => {
    const rpmsDir = await freshRpms()
    expect((await signingFails(rpmsDir, {file: keyA.privateKeyFile})).code).to.equal('gpg.passphrase-required')
    expect((await signingFails(rpmsDir, {file: keyA.privateKeyFile, passphraseEnv: 'TWOLITER_TEST_UNSET_VARIABLE'})).code).to.equal('gpg.passphrase-missing')
    expect((await signingFails(rpmsDir, {file: keyA.publicKeyFile})).code).to.equal('gpg.key-no-secret')
    expect((await signingFails(rpmsDir, {file: path.join(root, 'no-such-key.asc')})).code).to.equal('gpg.key-missing')
    const garbage = path.join(root, 'garbage.asc')
    await writeFile(garbage, 'this is not a key\n')
    expect((await signingFails(rpmsDir, {file: garbage})).code).to.equal('gpg.key-invalid')
    expect((await signingFails(rpmsDir, {file: keyB.privateKeyFile, keyId: 'nobody@example.com'})).code).to.equal('gpg.key-unknown')

    // Both secret keys in one file: the key id says which.
    const both = path.join(root, 'both.asc')
    await writeFile(both, (await read(keyA.privateKeyFile)) + (await read(keyB.privateKeyFile)), {mode: 0o600})
    const ambiguous = await signingFails(rpmsDir, {file: both})
    expect(ambiguous.code).to.equal('gpg.key-ambiguous')
    expect(ambiguous.message).to.contain(keyA.fingerprint).and.contain(keyB.fingerprint)
    const result = await sign(rpmsDir, {file: both, keyId: keyB.fingerprint})
    expect(result.fingerprint).to.equal(keyB.fingerprint)
    const checks = await verifyRpms({runner, sdkImage, rpmsDir, publicKeys: [await read(keyB.publicKeyFile)], workDir})
    expect(checks.every((check) => check.ok)).to.equal(true)
    await rm(both)
  })

  describe('with a GnuPG home directory (a keyring)', () => {
    let home: string
    let homeBefore: Record<string, string>
    let socket: Server

    before(async () => {
      home = path.join(root, 'gnupg-home')
      await makeGnupgHome(runner, sdkImage, home, [keyA.privateKeyFile, keyB.privateKeyFile])
      // What a used ~/.gnupg holds besides the keys, none of which signing may copy: a live agent socket, a
      // lock, random_seed, and a gpg.conf that would break signing were it copied (no agent, no secret key).
      socket = createServer()
      await new Promise<void>((resolve) => socket.listen(path.join(home, 'S.gpg-agent'), resolve))
      await writeFile(path.join(home, 'random_seed'), randomBytes(600))
      await writeFile(path.join(home, 'pubring.kbx.lock'), '12345\n')
      await writeFile(path.join(home, 'gpg.conf'), 'no-autostart\n')
      homeBefore = await treeDigest(home)
      expect(Object.keys(homeBefore)).to.include.members(['pubring.kbx', 'S.gpg-agent', 'random_seed'])
      expect(Object.keys(homeBefore).filter((file) => file.startsWith('private-keys-v1.d/') && file.endsWith('.key') && !file.endsWith(' mode'))).to.have.length.greaterThan(1)
    })

    after(async () => {
      await new Promise<void>((resolve) => (socket ? socket.close(() => resolve()) : resolve()))
    })

    it('signs with the key the key id names, verifies with the exported public key, and leaves the keyring as it was', async () => {
      const rpmsDir = await freshRpms()
      const lines: string[] = []
      const result = await signRpms({runner, sdkImage, rpmsDir, key: {keyring: home, keyId: keyA.fingerprint, passphraseEnv: PASSPHRASE_ENV}, workDir, env, onLine: (line) => lines.push(line)})
      expect(result.fingerprint).to.equal(keyA.fingerprint)
      expect(result.signed).to.deep.equal(TEST_RPMS)
      expect(result.publicKey).to.contain('-----BEGIN PGP PUBLIC KEY BLOCK-----').and.not.contain('PRIVATE')
      expect(lines.join('\n')).to.contain('using a copy of the signing keyring').and.not.contain(passphrase)
      const signatures = await queryRpms(runner, sdkImage, rpmsDir, '%{RSAHEADER:pgpsig}')
      for (const rpm of TEST_RPMS) expect(signatures[rpm], rpm).to.match(new RegExp(`Key ID ${keyA.fingerprint.slice(-16).toLowerCase()}$`))
      const checks = await verifyRpms({runner, sdkImage, rpmsDir, publicKeys: [result.publicKey], workDir})
      expect(checks.map((check) => [check.rpm, check.ok])).to.deep.equal(TEST_RPMS.map((rpm) => [rpm, true]))
      // Only key A's public key: key B's signatures do not verify with it.
      expect((await verifyRpms({runner, sdkImage, rpmsDir, publicKeys: [await read(keyB.publicKeyFile)], workDir})).every((check) => !check.ok)).to.equal(true)

      // Key B (no passphrase) by its user id, and a directory given as the key file is the same keyring.
      const second = await freshRpms()
      const byUserId = await sign(second, {file: home, keyId: 'kits-b@example.com'})
      expect(byUserId.fingerprint).to.equal(keyB.fingerprint)
      expect((await verifyRpms({runner, sdkImage, rpmsDir: second, publicKeys: [await read(keyB.publicKeyFile)], workDir})).every((check) => check.ok)).to.equal(true)

      expect(await treeDigest(home)).to.deep.equal(homeBefore)
      expect(await readdir(workDir)).to.deep.equal([])
      const needles = [...privateKeyNeedles(await read(keyA.privateKeyFile), await read(keyA.publicKeyFile)), {label: 'the passphrase', bytes: Buffer.from(passphrase)}]
      expect(await filesHolding(await filesUnder(workDir, rpmsDir, second), needles)).to.deep.equal([])
    })

    it('explains an unknown or missing key id, a wrong or missing passphrase, and a directory that is no GnuPG home', async () => {
      const rpmsDir = await freshRpms()
      const before = await Promise.all(TEST_RPMS.map((rpm) => readFile(path.join(rpmsDir, rpm))))

      const unknown = await signingFails(rpmsDir, {keyring: home, keyId: 'nobody@example.com', passphraseEnv: PASSPHRASE_ENV})
      expect(unknown.code).to.equal('gpg.key-unknown')
      expect(unknown.message).to.contain(`No secret key in the GnuPG home ${home} that can sign matches nobody@example.com`)
      expect(unknown.hint).to.contain(`gpg --homedir ${home} --list-secret-keys`)

      const ambiguous = await signingFails(rpmsDir, {keyring: home})
      expect(ambiguous.code).to.equal('gpg.key-ambiguous')
      expect(ambiguous.message).to.contain(keyA.fingerprint).and.contain(keyB.fingerprint)

      const wrongPassphrase = randomBytes(18).toString('base64url')
      const wrong = await signRpms({runner, sdkImage, rpmsDir, key: {keyring: home, keyId: keyA.fingerprint, passphrase: wrongPassphrase}, workDir, env}).then(
        () => expect.fail('signed with a wrong passphrase'),
        (error: SigningError) => error,
      )
      expect(wrong.code).to.equal('gpg.wrong-passphrase')
      expect(wrong.message).to.contain(keyA.fingerprint).and.contain(home)
      expect(`${wrong.message}\n${wrong.hint}`).to.not.contain(wrongPassphrase)
      expect((await signingFails(rpmsDir, {keyring: home, keyId: keyA.fingerprint})).code).to.equal('gpg.passphrase-required')

      const notHome = await signingFails(rpmsDir, {keyring: path.join(root, 'keys', 'a')})
      expect(notHome.code).to.equal('gpg.key-missing')
      expect(notHome.message).to.contain('is not a GnuPG home directory')
      expect((await signingFails(rpmsDir, {keyring: keyA.privateKeyFile})).message).to.contain('is not a directory')
      expect((await signingFails(rpmsDir, {keyring: path.join(root, 'no-such-home')})).code).to.equal('gpg.key-missing')

      // Only public keys: the secret key files are what it lacks.
      const publicOnly = path.join(root, 'gnupg-public-only')
      await mkdir(publicOnly, {mode: 0o700})
      await copyFile(path.join(home, 'pubring.kbx'), path.join(publicOnly, 'pubring.kbx'))
      const noSecret = await signingFails(rpmsDir, {keyring: publicOnly, keyId: keyA.fingerprint})
      expect(noSecret.code).to.equal('gpg.key-no-secret')
      expect(noSecret.hint).to.contain('--import')

      const after = await Promise.all(TEST_RPMS.map((rpm) => readFile(path.join(rpmsDir, rpm))))
      expect(after.map((content, index) => content.equals(before[index]!))).to.deep.equal([true, true])
      expect(await treeDigest(home)).to.deep.equal(homeBefore)
      expect(await readdir(workDir)).to.deep.equal([])
    })
  })

  it('leaves no secret in the RPM or work directories, no container and no image', async () => {
    const rpmsDir = await freshRpms()
    await sign(rpmsDir, {file: keyA.privateKeyFile, passphraseEnv: PASSPHRASE_ENV})
    // A passphrase from a file takes the same way.
    const passphraseFile = path.join(root, 'keys', 'passphrase')
    await writeFile(passphraseFile, `${passphrase}\n`, {mode: 0o600})
    const second = await freshRpms()
    await sign(second, {file: keyA.privateKeyFile, passphraseFile})
    await rm(passphraseFile)

    // Nothing of the signing runs stays in the work directory: only the verify runs' and sign runs' temporary directories were there.
    expect(await readdir(workDir)).to.deep.equal([])
    const needles = [
      ...privateKeyNeedles(await read(keyA.privateKeyFile), await read(keyA.publicKeyFile)),
      ...privateKeyNeedles(await read(keyB.privateKeyFile), await read(keyB.publicKeyFile)),
      {label: 'the passphrase', bytes: Buffer.from(passphrase)},
    ]
    // The needles do find a copy of the key: a control.
    const control = path.join(root, 'control')
    await mkdir(control)
    await copyFile(keyA.privateKeyFile, path.join(control, 'copy.asc'))
    expect(await filesHolding(await filesUnder(control), needles)).to.not.deep.equal([])

    const rpmDirs = (await readdir(root)).filter((name) => name.startsWith('rpms-')).map((name) => path.join(root, name))
    const files = await filesUnder(workDir, ...rpmDirs)
    expect(files.length).to.be.greaterThan(2 * TEST_RPMS.length)
    expect(await filesHolding(files, needles)).to.deep.equal([])

    // No container that mounted anything of this test is left, and no image was built or committed.
    const containers = await engine.docker.listContainers({all: true})
    const ours = containers.filter((container) => (container.Mounts ?? []).some((mount) => mount.Source?.startsWith(root)))
    expect(ours.map((container) => container.Id)).to.deep.equal([])
    // Other jobs may share the engine and make images meanwhile, so the check is for what signing could
    // have made: a build by this engine, a commit of a container (nothing in twoliter commits one), or an
    // untagged image.
    expect(engine.stats.imageBuilds).to.equal(buildsBefore)
    const commits = await engineEvents(engine, startedAt, {type: ['container'], event: ['commit']})
    // A control: the same query sees this test's containers being removed.
    expect(await engineEvents(engine, startedAt, {type: ['container'], event: ['destroy']})).to.not.be.empty
    expect(commits.map((event) => `${event.Actor?.ID} from ${event.from}`)).to.deep.equal([])
    const newImages = (await engine.docker.listImages({all: true})).filter((image) => !imagesBefore.has(image.Id))
    const untagged = newImages.filter((image) => (image.RepoTags ?? []).every((tag) => tag === '<none>:<none>'))
    expect(untagged.map((image) => image.Id)).to.deep.equal([])
    if (newImages.length > 0) console.log(`      images made by other jobs meanwhile: ${newImages.flatMap((image) => image.RepoTags ?? []).join(', ')}`)
  })
})
