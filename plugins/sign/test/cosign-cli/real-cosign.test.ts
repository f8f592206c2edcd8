/**
 * The cosign signer driving a real cosign CLI (the one on PATH, or TWOLITER_COSIGN's) against a real
 * registry on loopback, and the native implementation reading what it wrote and the other way round.
 * Skipped, saying so, where no cosign is installed.
 */

import type {Signer} from '@twoliter/plugin-api'
import {expect} from 'chai'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {hookContext} from '../../../../src/lib/extensions/hook-context.js'
import {RegistryClient} from '../../../../src/lib/oci/index.js'
import {Logger} from '../../../../src/lib/ui/logger.js'
import {type TestRegistry, startTestRegistry} from '../../../../test/helpers/registry.js'
import {chooseCosign} from '../../src/cosign-cli/locate.js'
import {cosignVersion} from '../../src/cosign-cli/runner.js'
import {signatureTag} from '../../src/cosign/sig-manifest.js'
import {cosignSigner} from '../../src/signers/cosign-signer.js'
import {pushKitToSign, writeCosignKeyPair} from '../cosign/fixtures.js'

describe('the cosign signer with the real cosign CLI (real registry)', function () {
  this.timeout(180_000)
  let registry: TestRegistry
  let work: string
  let program: string
  let cli: Signer
  let native: Signer
  let debug: string[]
  const client = new RegistryClient()

  before(async function () {
    const env = {...process.env, TWOLITER_COSIGN: process.env.TWOLITER_COSIGN === 'native' ? '' : process.env.TWOLITER_COSIGN}
    const choice = await chooseCosign(env)
    if (choice.kind === 'native') {
      console.log(`      (skipped: no cosign CLI to test with: ${choice.why}; install cosign 2.x or 3.x, or set TWOLITER_COSIGN to its path)`)
      this.skip()
    }

    program = choice.program
    const version = await cosignVersion(program, env)
    console.log(`      (with ${program}, cosign ${version.text})`)
    registry = await startTestRegistry()
    work = await mkdtemp(path.join(tmpdir(), 'twoliter-real-cosign-'))
    // An empty docker config: the loopback registry needs no credentials, and the user's must not matter.
    await writeFile(path.join(work, 'config.json'), '{}')
    debug = []
    const logger = new Logger('debug', {write: (line) => debug.push(line)})
    cli = cosignSigner(hookContext({logger}), {env: {...env, TWOLITER_COSIGN: program, DOCKER_CONFIG: work}})
    native = cosignSigner(hookContext({logger}), {env: {...env, TWOLITER_COSIGN: 'native'}})
  })

  after(async () => {
    await registry?.stop()
    if (work) await rm(work, {recursive: true, force: true})
  })

  it('signs under the legacy sha256-<hex>.sig tag, which cosign and the native implementation both verify', async () => {
    const mine = await writeCosignKeyPair(work, 'mine', 'a password')
    const other = await writeCosignKeyPair(work, 'other', 'another')
    const reference = await pushKitToSign(registry.host, client, 'cli-signed')
    const digest = reference.split('@')[1]!

    const signed = await cli.signImage({reference, key: {ref: mine.key, passphrase: 'a password'}, annotations: {build: '7'}})
    expect(signed).to.deep.equal({signature: `${registry.host}/vendor/cli-signed:${signatureTag(digest)}`, format: 'cosign'})
    expect(debug.join('\n')).to.include(`signed ${reference} with the cosign CLI ${program}`)
    const tags = await client.listTags(`${registry.host}/vendor/cli-signed`)
    expect(tags).to.include(signatureTag(digest))
    // No bundle, no referrers: only the kit's tags and the signature's.
    expect(tags.filter((tag) => !tag.startsWith('v1.0.0'))).to.deep.equal([signatureTag(digest)])

    expect(await cli.verifyImage({reference, publicKey: mine.pub})).to.deep.equal({verified: true, signatures: 1})
    expect(await native.verifyImage({reference, publicKey: mine.pub})).to.deep.equal({verified: true, signatures: 1})
    const byOther = await cli.verifyImage({reference, publicKey: other.pub})
    expect(byOther).to.include({verified: false, signatures: 1})
    expect(byOther.reason).to.match(/^signed by another key/)
  })

  it('verifies what the native implementation signed, and says when there is no signature', async () => {
    const mine = await writeCosignKeyPair(work, 'native', '')
    const reference = await pushKitToSign(registry.host, client, 'native-signed')
    const unsigned = await cli.verifyImage({reference, publicKey: mine.pub})
    expect(unsigned).to.include({verified: false, signatures: 0})
    expect(unsigned.reason).to.match(/^no signature/)

    await native.signImage({reference, key: {ref: mine.key, passphrase: ''}})
    expect(await cli.verifyImage({reference, publicKey: mine.pub})).to.deep.equal({verified: true, signatures: 1})
  })

  it('refuses a wrong password before cosign runs, as the native implementation does', async () => {
    const mine = await writeCosignKeyPair(work, 'wrong', 'right')
    const reference = await pushKitToSign(registry.host, client, 'cli-wrong')
    await cli.signImage({reference, key: {ref: mine.key, passphrase: 'wrong'}}).then(
      () => expect.fail('signed with a wrong password'),
      (error: Error & {code?: string}) => expect(error.code).to.equal('cosign.key-wrong-password'),
    )
    expect(await client.listTags(`${registry.host}/vendor/cli-wrong`)).to.not.include(signatureTag(reference.split('@')[1]!))
  })
})
