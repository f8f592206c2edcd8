/**
 * The bundled gpg signer as twoliter gets it: through the `twoliter:signers` hook of the real oclif
 * configuration, with twoliter's engine, signing and checking RPMs built in the local SDK. It signs exactly
 * the RPMs it is given, checks them against public keys, keeps the passphrase out of its errors and logs,
 * and leaves no secret, temporary directory or container behind.
 */

import {Config} from '@oclif/core'
import type {Signer} from '@twoliter/plugin-api'
import {expect} from 'chai'
import {randomBytes} from 'node:crypto'
import {chmod, copyFile, cp, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import type {Engine} from '../../../src/lib/engine/index.js'
import {callCapability} from '../../../src/lib/extensions/capabilities.js'
import {hookContext} from '../../../src/lib/extensions/hook-context.js'
import {Logger} from '../../../src/lib/ui/logger.js'
import {REPO} from '../../../test/helpers/cli.js'
import {connectEngine, ensureLocalSdk} from '../../../test/helpers/sdk.js'
import {isSigningError, type SigningError} from '../src/errors.js'
import {type GeneratedGpgKey, generateGpgKey} from '../src/gpg/keygen.js'
import {buildTestRpms, filesHolding, filesUnder, flipPayloadByte, makeGnupgHome, privateKeyNeedles, TEST_RPMS, treeDigest} from './gpg/helpers.js'

describe('the gpg signer of @twoliter/sign (real engine)', function () {
  this.timeout(300_000)
  let engine: Engine
  let signer: Signer
  let sdkImage: string
  let root: string
  let sourceRpms: string
  // The signer's temporary directories go here (TMPDIR), where the test can look for leftovers.
  let signerTmp: string
  let savedTmpdir: string | undefined
  let keyA: GeneratedGpgKey
  let keyB: GeneratedGpgKey
  const log: string[] = []
  const passphrase = randomBytes(24).toString('base64url')
  const wrongPassphrase = randomBytes(24).toString('base64url')
  let copies = 0

  /** A fresh copy of the unsigned test RPMs, and their absolute paths. */
  async function freshRpms(): Promise<{dir: string; rpms: string[]}> {
    copies++
    const dir = path.join(root, `rpms-${copies}`)
    await cp(sourceRpms, dir, {recursive: true})
    return {dir, rpms: TEST_RPMS.map((rpm) => path.join(dir, rpm))}
  }

  async function rejection(promise: Promise<unknown>): Promise<SigningError> {
    try {
      await promise
    } catch (error) {
      expect(isSigningError(error), String(error)).to.equal(true)
      return error as SigningError
    }

    throw new Error('expected a rejection')
  }

  const read = (file: string) => readFile(file, 'utf8')

  before(async () => {
    engine = await connectEngine()
    sdkImage = await ensureLocalSdk()
    root = await mkdtemp(path.join(tmpdir(), 'twoliter-gpg-signer-test-'))
    signerTmp = path.join(root, 'tmp')
    await mkdir(signerTmp)
    await buildTestRpms(engine, sdkImage, path.join(root, 'source'))
    sourceRpms = path.join(root, 'source', 'rpms')
    keyA = await generateGpgKey({runner: engine, sdkImage, name: 'Signer Kits A', email: 'kits-a@example.com', passphrase, outDir: path.join(root, 'keys', 'a')})
    keyB = await generateGpgKey({runner: engine, sdkImage, name: 'Signer Kits B', email: 'kits-b@example.com', outDir: path.join(root, 'keys', 'b')})

    const config = await Config.load(REPO)
    const warnings: string[] = []
    const logger = new Logger('trace', {write: (line) => log.push(line)})
    const provided = await callCapability(config, 'twoliter:signers', {twoliter: hookContext({logger, engine})}, {timeoutMs: 10_000, logger: {warn: (message: string) => warnings.push(message)}})
    expect(warnings).to.deep.equal([])
    const gpg = provided.filter((entry) => entry.descriptor.id === 'gpg')
    expect(gpg.map((entry) => entry.plugin)).to.deep.equal(['@twoliter/sign'])
    signer = gpg[0]!.descriptor
    savedTmpdir = process.env.TMPDIR
    process.env.TMPDIR = signerTmp
  })

  after(async () => {
    if (savedTmpdir === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = savedTmpdir
    if (root) await rm(root, {recursive: true, force: true})
  })

  it('signs RPMs only, and says so', async () => {
    const description = signer.describe()
    expect(description.supports).to.deep.equal({rpms: true, images: false})
    expect(description.keyFormats.join('\n')).to.contain('file:///path/key.asc#<fingerprint')
    expect(signer.verifyRpms).to.be.a('function')
    const image = 'registry.example.com/kits/a@sha256:' + '0'.repeat(64)
    const signing = await rejection(signer.signImage({reference: image, key: {ref: keyA.privateKeyFile}}))
    expect(signing.code).to.equal('sign.unsupported')
    expect(signing.hint).to.contain('cosign')
    expect((await rejection(signer.verifyImage({reference: image, publicKey: await read(keyA.publicKeyFile)}))).code).to.equal('sign.unsupported')
  })

  it('signs the RPMs given in place, and they verify with its public key', async () => {
    const {rpms} = await freshRpms()
    const before = await Promise.all(rpms.map((rpm) => stat(rpm)))
    const result = await signer.signRpms({rpms, key: {ref: keyA.privateKeyFile, passphrase}, sdkImage})
    expect(result.signed).to.deep.equal(rpms)
    expect(result.keyId).to.equal(keyA.fingerprint)
    expect(result.publicKey).to.contain('-----BEGIN PGP PUBLIC KEY BLOCK-----').and.not.contain('PRIVATE')
    for (const [index, rpm] of rpms.entries()) {
      const after = await stat(rpm)
      expect(after.mode, rpm).to.equal(before[index]!.mode)
      expect(after.uid, rpm).to.equal(before[index]!.uid)
    }

    const checks = await signer.verifyRpms!({rpms, publicKeys: [result.publicKey!], sdkImage})
    expect(checks.results.map((check) => [check.rpm, check.ok, check.problem])).to.deep.equal(rpms.map((rpm) => [rpm, true, undefined]))
    expect(checks.results[0]!.reason).to.contain('signatures OK')
    // The key pair's own public.asc verifies them as well, and the passphrase may come from a file.
    expect((await signer.verifyRpms!({rpms, publicKeys: [await read(keyA.publicKeyFile)], sdkImage})).results.every((check) => check.ok)).to.equal(true)
    const passphraseFile = path.join(root, 'keys', 'passphrase')
    await writeFile(passphraseFile, `${passphrase}\n`, {mode: 0o600})
    const fromFile = await freshRpms()
    expect((await signer.signRpms({rpms: fromFile.rpms, key: {ref: `file://${keyA.privateKeyFile}`, passphraseFile}, sdkImage})).keyId).to.equal(keyA.fingerprint)
    await rm(passphraseFile)
  })

  it('a changed RPM, an unsigned one and one signed by another key do not verify, each with its problem', async () => {
    const {rpms} = await freshRpms()
    const {publicKey} = await signer.signRpms({rpms, key: {ref: keyA.privateKeyFile, passphrase}, sdkImage})
    const [intact, tampered] = rpms as [string, string]
    await flipPayloadByte(tampered)

    const unsigned = path.join(sourceRpms, TEST_RPMS[0]!)
    const {results} = await signer.verifyRpms!({rpms: [intact, tampered, unsigned], publicKeys: [publicKey!], sdkImage})
    expect(results.map((check) => [check.rpm, check.ok, check.problem])).to.deep.equal([
      [intact, true, undefined],
      [tampered, false, 'modified'],
      [unsigned, false, 'unsigned'],
    ])
    expect(results[1]!.reason).to.match(/^changed after it was signed: .*Payload SHA256 digest: BAD/)

    const byOther = await signer.verifyRpms!({rpms: [intact], publicKeys: [await read(keyB.publicKeyFile)], sdkImage})
    expect(byOther.results).to.have.length(1)
    expect(byOther.results[0]).to.deep.include({rpm: intact, ok: false, problem: 'unknown-key'})
    expect(byOther.results[0]!.reason).to.contain(keyA.fingerprint.slice(-8).toLowerCase())
  })

  it('signs only the RPMs given: another RPM in the same directory is left as it was', async () => {
    const {dir, rpms} = await freshRpms()
    // Both RPMs in one directory, beside a file that is not an RPM.
    const [chosen] = rpms as [string, string]
    const neighbour = path.join(path.dirname(chosen), path.basename(TEST_RPMS[1]!))
    await copyFile(rpms[1]!, neighbour)
    await writeFile(path.join(path.dirname(chosen), 'notes.txt'), 'not an RPM\n')
    const neighbourBefore = await readFile(neighbour)

    expect((await signer.signRpms({rpms: [chosen], key: {ref: keyA.privateKeyFile, passphrase}, sdkImage})).signed).to.deep.equal([chosen])
    expect((await readFile(neighbour)).equals(neighbourBefore)).to.equal(true)
    const {results} = await signer.verifyRpms!({rpms: [chosen, neighbour], publicKeys: [await read(keyA.publicKeyFile)], sdkImage})
    expect(results.map((check) => check.problem ?? 'ok')).to.deep.equal(['ok', 'unsigned'])
    expect((await readdir(path.dirname(chosen))).sort()).to.deep.equal([path.basename(chosen), path.basename(neighbour), 'notes.txt'].sort())
    expect(await readdir(dir)).to.deep.equal(['Packages'])

    const notAnRpm = await rejection(signer.signRpms({rpms: [path.join(path.dirname(chosen), 'notes.txt')], key: {ref: keyA.privateKeyFile, passphrase}, sdkImage}))
    expect(notAnRpm.code).to.equal('sign.rpm-invalid')
  })

  it('with its temporary directory on another file system, signs copies and puts them back with their mode', async function () {
    const shm = '/dev/shm'
    const other = await stat(shm).catch(() => undefined)
    if (!other?.isDirectory() || other.dev === (await stat(root)).dev) this.skip()
    const otherTmp = await mkdtemp(path.join(shm, 'twoliter-gpg-signer-test-'))
    process.env.TMPDIR = otherTmp
    try {
      const {rpms} = await freshRpms()
      await chmod(rpms[0]!, 0o640)
      await signer.signRpms({rpms, key: {ref: keyA.privateKeyFile, passphrase}, sdkImage})
      expect((await stat(rpms[0]!)).mode & 0o777).to.equal(0o640)
      expect(await readdir(otherTmp)).to.deep.equal([])
      for (const rpm of rpms) expect(await readdir(path.dirname(rpm))).to.deep.equal([path.basename(rpm)])
      expect((await signer.verifyRpms!({rpms, publicKeys: [await read(keyA.publicKeyFile)], sdkImage})).results.every((check) => check.ok)).to.equal(true)
    } finally {
      process.env.TMPDIR = signerTmp
      await rm(otherTmp, {recursive: true, force: true})
    }
  })

  it('chooses among several keys in one file by the file URL fragment', async () => {
    const both = path.join(root, 'keys', 'both.asc')
    await writeFile(both, (await read(keyA.privateKeyFile)) + (await read(keyB.privateKeyFile)), {mode: 0o600})
    const {rpms} = await freshRpms()
    const ambiguous = await rejection(signer.signRpms({rpms, key: {ref: both}, sdkImage}))
    expect(ambiguous.code).to.equal('gpg.key-ambiguous')
    const result = await signer.signRpms({rpms, key: {ref: `file://${both}#${keyB.fingerprint}`}, sdkImage})
    expect(result.keyId).to.equal(keyB.fingerprint)
    expect((await signer.verifyRpms!({rpms, publicKeys: [await read(keyB.publicKeyFile)], sdkImage})).results.every((check) => check.ok)).to.equal(true)
    expect((await rejection(signer.signRpms({rpms, key: {ref: `file://elsewhere${both}`}, sdkImage}))).code).to.equal('sign.key-ref')
    await rm(both)
  })

  it('a wrong passphrase: rejects without saying the passphrase, and the RPMs are left as they were', async () => {
    const {rpms} = await freshRpms()
    const before = await Promise.all(rpms.map((rpm) => readFile(rpm)))
    const error = await rejection(signer.signRpms({rpms, key: {ref: keyA.privateKeyFile, passphrase: wrongPassphrase}, sdkImage}))
    expect(error.code).to.equal('gpg.wrong-passphrase')
    expect(error.message).to.contain(keyA.fingerprint)
    for (const text of [error.message, error.hint, String(error.stack)]) expect(text).to.not.contain(wrongPassphrase).and.not.contain(passphrase)
    const after = await Promise.all(rpms.map((rpm) => readFile(rpm)))
    expect(after.map((content, index) => content.equals(before[index]!))).to.deep.equal([true, true])

    // The passphrase wins over a passphrase file.
    const wrongFile = path.join(root, 'wrong-passphrase')
    await writeFile(wrongFile, `${wrongPassphrase}\n`)
    expect((await signer.signRpms({rpms, key: {ref: keyA.privateKeyFile, passphrase, passphraseFile: wrongFile}, sdkImage})).keyId).to.equal(keyA.fingerprint)
  })

  it('signs with a key of a GnuPG home directory, named by the file URL fragment, leaving the keyring as it was', async () => {
    expect(signer.describe().keyFormats.join('\n')).to.contain('GnuPG home directory')
    const home = path.join(root, 'gnupg-home')
    await makeGnupgHome(engine, sdkImage, home, [keyA.privateKeyFile, keyB.privateKeyFile])
    const before = await treeDigest(home)
    const {rpms} = await freshRpms()
    const result = await signer.signRpms({rpms, key: {ref: `${pathToFileURL(home).href}#${keyA.fingerprint}`, passphrase}, sdkImage})
    expect(result.keyId).to.equal(keyA.fingerprint)
    expect(result.publicKey).to.contain('-----BEGIN PGP PUBLIC KEY BLOCK-----').and.not.contain('PRIVATE')
    expect((await signer.verifyRpms!({rpms, publicKeys: [result.publicKey!], sdkImage})).results.every((check) => check.ok)).to.equal(true)
    const unknown = await rejection(signer.signRpms({rpms, key: {ref: `${pathToFileURL(home).href}#${'0'.repeat(40)}`, passphrase}, sdkImage}))
    expect(unknown.code).to.equal('gpg.key-unknown')
    expect(unknown.message).to.contain(home)
    const wrong = await rejection(signer.signRpms({rpms, key: {ref: `${pathToFileURL(home).href}#${keyA.fingerprint}`, passphrase: wrongPassphrase}, sdkImage}))
    expect(wrong.code).to.equal('gpg.wrong-passphrase')
    for (const text of [wrong.message, wrong.hint, String(wrong.stack)]) expect(text).to.not.contain(wrongPassphrase)
    expect(await treeDigest(home)).to.deep.equal(before)
    expect(await readdir(signerTmp)).to.deep.equal([])
  })

  it('leaves no secret in the RPM or temporary directories, no temporary directory and no container', async () => {
    expect(await readdir(signerTmp)).to.deep.equal([])
    const needles = [
      ...privateKeyNeedles(await read(keyA.privateKeyFile), await read(keyA.publicKeyFile)),
      ...privateKeyNeedles(await read(keyB.privateKeyFile), await read(keyB.publicKeyFile)),
      {label: 'the passphrase', bytes: Buffer.from(passphrase)},
    ]
    const rpmDirs = (await readdir(root)).filter((name) => name.startsWith('rpms-')).map((name) => path.join(root, name))
    const files = await filesUnder(signerTmp, ...rpmDirs)
    expect(files.length).to.be.at.least(copies * TEST_RPMS.length)
    expect(await filesHolding(files, needles)).to.deep.equal([])
    expect(log.join('\n')).to.contain('signed 2 RPMs').and.not.contain(passphrase).and.not.contain(wrongPassphrase)

    const containers = await engine.docker.listContainers({all: true})
    const ours = containers.filter((container) => (container.Mounts ?? []).some((mount) => mount.Source?.startsWith(root)))
    expect(ours.map((container) => container.Id)).to.deep.equal([])
  })
})
