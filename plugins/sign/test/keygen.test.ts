/**
 * `twoliter sign keygen --type cosign` through the real CLI: the files it writes, their modes, a key that
 * opens with the password and signs what its public key verifies, and the refusals.
 */

import {expect} from 'chai'
import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {REPO, expectNoStackTrace, twoliter, twoliterAsync} from '../../../test/helpers/cli.js'
import {ensureLocalSdk} from '../../../test/helpers/sdk.js'
import {decryptPrivateKey, keyId, readPublicKey} from '../src/cosign/keys.js'
import {signPayload, verifyPayload} from '../src/cosign/signature.js'

describe('sign keygen (CLI)', function () {
  this.timeout(60_000)
  let work: string

  beforeEach(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'twoliter-keygen-'))
  })
  afterEach(() => rm(work, {recursive: true, force: true}))

  it('writes a cosign key pair whose private key opens with the password and signs for its public key', async () => {
    const run = twoliter(['sign', 'keygen', '--type', 'cosign', '--output-dir', work, '--name', 'kits', '--json'], REPO, {COSIGN_PASSWORD: 'correct horse'})
    expect(run.status, run.stderr).to.equal(0)
    const result = JSON.parse(run.stdout) as {type: string; privateKey: string; publicKey: string; keyId: string}
    expect(result).to.deep.include({type: 'cosign', privateKey: path.join(work, 'kits.key'), publicKey: path.join(work, 'kits.pub')})
    expect((await stat(result.privateKey)).mode & 0o777).to.equal(0o600)

    const privatePem = await readFile(result.privateKey, 'utf8')
    expect(privatePem).to.match(/^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/)
    expect(privatePem).to.not.include('correct horse')
    const publicKey = readPublicKey(await readFile(result.publicKey, 'utf8'))
    expect(result.keyId).to.equal(keyId(publicKey))
    const privateKey = await decryptPrivateKey(privatePem, 'correct horse')
    const payload = Buffer.from('payload')
    expect(verifyPayload(payload, signPayload(payload, privateKey), publicKey)).to.not.equal(undefined)
    await decryptPrivateKey(privatePem, 'wrong').then(
      () => expect.fail('a wrong password opened the key'),
      (error: Error & {code?: string}) => expect(error.code).to.equal('cosign.key-wrong-password'),
    )
  })

  it('takes the password from a file, and never overwrites a key', async () => {
    const passwordFile = path.join(work, 'pass')
    await writeFile(passwordFile, 'from a file\n')
    const first = twoliter(['sign', 'keygen', '--type', 'cosign', '--output-dir', work, '--password-file', passwordFile], REPO)
    expect(first.status, first.stderr).to.equal(0)
    await decryptPrivateKey(await readFile(path.join(work, 'cosign.key'), 'utf8'), 'from a file')
    const before = await readFile(path.join(work, 'cosign.key'), 'utf8')

    const again = twoliter(['sign', 'keygen', '--type', 'cosign', '--output-dir', work, '--password-file', passwordFile], REPO)
    expect(again.status).to.equal(1)
    expectNoStackTrace(again)
    expect(again.stderr).to.include(`${path.join(work, 'cosign.key')} exists already; a key is never overwritten.`)
    expect(await readFile(path.join(work, 'cosign.key'), 'utf8')).to.equal(before)
  })

  it('refuses to run without a password, with a one-paragraph error', () => {
    const run = twoliter(['sign', 'keygen', '--type', 'cosign', '--output-dir', work, '--password-env', 'TWOLITER_TEST_UNSET_PASSWORD'], REPO)
    expect(run.status).to.equal(1)
    expectNoStackTrace(run)
    expect(run.stderr.trim()).to.equal('Error: No password for the private key: TWOLITER_TEST_UNSET_PASSWORD is not set. Set it (an empty value means no password, as with cosign), or give --password-file.')
  })

  it('makes a gpg key pair in the SDK, protected by the passphrase, and never overwrites it', async function () {
    this.timeout(300_000)
    const sdk = await ensureLocalSdk()
    const args = ['sign', 'keygen', '--type', 'gpg', '--user-name', 'Example Kits', '--email', 'kits@example.com', '--output-dir', work, '--sdk-image', sdk, '--json']
    const run = await twoliterAsync(args, REPO, {GPG_PASSPHRASE: 'gpg secret'})
    expect(run.status, run.stderr).to.equal(0)
    const result = JSON.parse(run.stdout) as {type: string; privateKey: string; publicKey: string; keyId: string}
    expect(result).to.deep.include({type: 'gpg', privateKey: path.join(work, 'signing.private.asc'), publicKey: path.join(work, 'signing.public.asc')})
    expect(result.keyId).to.match(/^[\dA-F]{40}$/)
    expect((await stat(result.privateKey)).mode & 0o777).to.equal(0o600)
    const privateText = await readFile(result.privateKey, 'utf8')
    expect(privateText).to.match(/^-----BEGIN PGP PRIVATE KEY BLOCK-----/)
    expect(privateText).to.not.include('gpg secret')
    expect(await readFile(result.publicKey, 'utf8')).to.match(/^-----BEGIN PGP PUBLIC KEY BLOCK-----/)

    const again = await twoliterAsync(args.filter((arg) => arg !== '--json'), REPO, {GPG_PASSPHRASE: 'gpg secret'})
    expect(again.status).to.equal(1)
    expectNoStackTrace(again)
    expect(again.stderr).to.include('exists already; a key is never overwritten.')
    expect(await readFile(result.privateKey, 'utf8')).to.equal(privateText)
    const missingUserId = twoliter(['sign', 'keygen', '--type', 'gpg', '--output-dir', work, '--name', 'x'], REPO, {GPG_PASSPHRASE: ''})
    expect(missingUserId.status).to.equal(1)
    expect(missingUserId.stderr).to.include('A gpg key needs a user id.')
  })
})
