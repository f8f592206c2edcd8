/**
 * The bundled cosign signer as twoliter gets it: through the `twoliter:signers` hook of the real oclif
 * configuration, with twoliter's registry client, against a real registry on loopback.
 */

import {Config} from '@oclif/core'
import type {Signer} from '@twoliter/plugin-api'
import {expect} from 'chai'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {callCapability} from '../../../src/lib/extensions/capabilities.js'
import {hookContext} from '../../../src/lib/extensions/hook-context.js'
import {RegistryClient} from '../../../src/lib/oci/index.js'
import {Logger} from '../../../src/lib/ui/logger.js'
import {REPO, expectNoStackTrace, twoliter} from '../../../test/helpers/cli.js'
import {type TestRegistry, startTestRegistry} from '../../../test/helpers/registry.js'
import {signatureTag} from '../src/cosign/sig-manifest.js'
import {pushKitToSign, writeCosignKeyPair} from './cosign/fixtures.js'

describe('the cosign signer of @twoliter/sign (real registry)', function () {
  this.timeout(120_000)
  let registry: TestRegistry
  let work: string
  let signer: Signer
  const client = new RegistryClient()

  before(async () => {
    registry = await startTestRegistry()
    work = await mkdtemp(path.join(tmpdir(), 'twoliter-cosign-signer-'))
    const config = await Config.load(REPO)
    const warnings: string[] = []
    const logger = new Logger('off')
    const provided = await callCapability(config, 'twoliter:signers', {twoliter: hookContext({logger})}, {timeoutMs: 10_000, logger: {warn: (message: string) => warnings.push(message)}})
    expect(warnings).to.deep.equal([])
    const cosign = provided.filter((entry) => entry.descriptor.id === 'cosign')
    expect(cosign.map((entry) => entry.plugin)).to.deep.equal(['@twoliter/sign'])
    signer = cosign[0]!.descriptor
  })

  after(async () => {
    await registry?.stop()
    if (work) await rm(work, {recursive: true, force: true})
  })

  it('signs a kit index in its registry and verifies it with the public key; another key and an unsigned image do not verify', async () => {
    const mine = await writeCosignKeyPair(work, 'mine', 'pw')
    const other = await writeCosignKeyPair(work, 'other', 'pw2')
    const reference = await pushKitToSign(registry.host, client, 'kit-a')
    const digest = reference.split('@')[1]!

    const signed = await signer.signImage({reference, key: {ref: mine.key, passphrase: 'pw'}})
    expect(signed).to.deep.equal({signature: `${registry.host}/vendor/kit-a:${signatureTag(digest)}`, format: 'cosign'})
    expect(await client.listTags(`${registry.host}/vendor/kit-a`)).to.include(signatureTag(digest))

    expect(await signer.verifyImage({reference, publicKey: mine.pub})).to.deep.equal({verified: true, signatures: 1})
    const byOther = await signer.verifyImage({reference, publicKey: other.pub})
    expect(byOther.verified).to.equal(false)
    expect(byOther.reason).to.match(/^signed by another key/)

    const unsigned = await signer.verifyImage({reference: await pushKitToSign(registry.host, client, 'kit-b'), publicKey: mine.pub})
    expect(unsigned).to.include({verified: false, signatures: 0})
    expect(unsigned.reason).to.match(/^no signature/)

    // A second signer's signature joins the first; both verify.
    await signer.signImage({reference, key: {ref: `file://${other.key}`, passphrase: 'pw2'}})
    expect(await signer.verifyImage({reference, publicKey: other.pub})).to.deep.equal({verified: true, signatures: 2})
    expect(await signer.verifyImage({reference, publicKey: mine.pub})).to.include({verified: true})
  })

  it('refuses a wrong password and a reference without a digest, with a hint', async () => {
    const mine = await writeCosignKeyPair(work, 'refusals', 'right')
    const reference = await pushKitToSign(registry.host, client, 'kit-c')
    await signer.signImage({reference, key: {ref: mine.key, passphrase: 'wrong'}}).then(
      () => expect.fail('signed with a wrong password'),
      (error: Error & {code?: string; hint?: string}) => {
        expect(error.code).to.equal('cosign.key-wrong-password')
        expect(error.hint).to.be.a('string').and.not.equal('')
      },
    )
    await signer.verifyImage({reference: `${registry.host}/vendor/kit-c:v1.0.0`, publicKey: mine.pub}).then(
      () => expect.fail('verified a tag'),
      (error: Error & {code?: string}) => expect(error.code).to.equal('sign.reference'),
    )
  })

  it('is what `twoliter verify` checks, by tag or digest, with a clear refusal', async () => {
    const mine = await writeCosignKeyPair(work, 'cli', 'pw')
    const other = await writeCosignKeyPair(work, 'cli-other', 'pw')
    const reference = await pushKitToSign(registry.host, client, 'kit-d')
    await signer.signImage({reference, key: {ref: mine.key, passphrase: 'pw'}})
    const byTag = `${registry.host}/vendor/kit-d:v1.0.0`

    const ok = twoliter(['verify', byTag, '--key', mine.pub, '--json'], work)
    expect(ok.status, ok.stderr).to.equal(0)
    expect(JSON.parse(ok.stdout)).to.deep.include({reference: byTag, digest: reference.split('@')[1], verified: true, signatures: 1})

    const refused = twoliter(['verify', reference, '--key', other.pub], work)
    expect(refused.status).to.equal(1)
    expectNoStackTrace(refused)
    expect(refused.stderr).to.match(/^Error: .*kit-d@sha256:[\da-f]{64} does not verify: .* It has 1 signature; the keys given are [\da-f]{16}\./)

    const missing = twoliter(['verify', `${registry.host}/vendor/kit-d:v9.9.9`, '--key', mine.pub], work)
    expect(missing.status).to.equal(1)
    expect(missing.stderr).to.include('is not in its registry.')
  })
})
