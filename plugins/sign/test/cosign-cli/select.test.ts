/**
 * Which implementation the cosign signer uses: the CLI when a `cosign` executable is on PATH (or
 * TWOLITER_COSIGN names one), native otherwise or with TWOLITER_COSIGN=native. The `cosign` put on PATH
 * here is /bin/false under that name: these tests check the lookup and the choice, never signing by it.
 */

import type {Signer} from '@twoliter/plugin-api'
import {expect} from 'chai'
import {chmod, mkdir, mkdtemp, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {hookContext} from '../../../../src/lib/extensions/hook-context.js'
import {RegistryClient} from '../../../../src/lib/oci/index.js'
import {Logger} from '../../../../src/lib/ui/logger.js'
import {kitMetadata, pushSyntheticKit} from '../../../../test/helpers/kit-images.js'
import {type TestRegistry, startTestRegistry} from '../../../../test/helpers/registry.js'
import {chooseCosign, findOnPath} from '../../src/cosign-cli/locate.js'
import {cosignVersion, runCosign} from '../../src/cosign-cli/runner.js'
import {generateKeyPair, keyId} from '../../src/cosign/keys.js'
import {signatureTag} from '../../src/cosign/sig-manifest.js'
import {isSigningError} from '../../src/errors.js'
import {cosignSigner} from '../../src/signers/cosign-signer.js'

async function rejection(promise: Promise<unknown>): Promise<Error & {code?: string; hint?: string}> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: Error & {code?: string; hint?: string}) => {
      expect(isSigningError(error), String(error)).to.equal(true)
      expect(error.hint).to.be.a('string').and.not.equal('')
      return error
    },
  )
}

describe('choosing the cosign CLI or the native implementation', function () {
  this.timeout(60_000)
  let work: string
  /** Holds an executable `cosign` (/bin/false by that name). */
  let withCosign: string
  /** Holds a `cosign` file that is not executable, and one that is a directory. */
  let notExecutable: string
  let directory: string

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'twoliter-cosign-select-'))
    withCosign = path.join(work, 'bin')
    notExecutable = path.join(work, 'plain')
    directory = path.join(work, 'dir')
    await mkdir(withCosign)
    await mkdir(notExecutable)
    await mkdir(path.join(directory, 'cosign'), {recursive: true})
    await symlink('/bin/false', path.join(withCosign, 'cosign'))
    await writeFile(path.join(notExecutable, 'cosign'), '#!/bin/sh\nexit 0\n')
    await chmod(path.join(notExecutable, 'cosign'), 0o644)
  })

  after(async () => {
    if (work) await rm(work, {recursive: true, force: true})
  })

  it('finds the first executable file called cosign on PATH, skipping non-executables, directories and relative entries', async () => {
    const PATH = [notExecutable, directory, path.relative(process.cwd(), withCosign), withCosign].join(path.delimiter)
    expect(await findOnPath('cosign', PATH)).to.equal(path.join(withCosign, 'cosign'))
    expect(await findOnPath('cosign', [notExecutable, directory, path.relative(process.cwd(), withCosign), ''].join(path.delimiter))).to.equal(undefined)
    expect(await findOnPath('cosign', '')).to.equal(undefined)
  })

  it('uses the CLI when cosign is on PATH, native otherwise or when TWOLITER_COSIGN=native', async () => {
    expect(await chooseCosign({PATH: [notExecutable, withCosign].join(path.delimiter)})).to.deep.equal({kind: 'cli', program: path.join(withCosign, 'cosign'), why: 'cosign is on PATH'})
    expect(await chooseCosign({PATH: notExecutable})).to.deep.equal({kind: 'native', why: 'no cosign on PATH'})
    expect(await chooseCosign({PATH: withCosign, TWOLITER_COSIGN: 'native'})).to.deep.equal({kind: 'native', why: 'TWOLITER_COSIGN=native'})
    expect(await chooseCosign({PATH: withCosign, TWOLITER_COSIGN: 'cli'})).to.include({kind: 'cli', program: path.join(withCosign, 'cosign')})
  })

  it('takes the cosign TWOLITER_COSIGN names, and refuses one that is missing, not executable, or a bare word', async () => {
    expect(await chooseCosign({PATH: '', TWOLITER_COSIGN: path.join(withCosign, 'cosign')})).to.include({kind: 'cli', program: path.join(withCosign, 'cosign')})
    expect((await rejection(chooseCosign({PATH: '', TWOLITER_COSIGN: path.join(work, 'nowhere', 'cosign')}))).code).to.equal('sign.cosign-not-found')
    expect((await rejection(chooseCosign({PATH: '', TWOLITER_COSIGN: path.join(notExecutable, 'cosign')}))).message).to.include('is not an executable file')
    expect((await rejection(chooseCosign({PATH: '', TWOLITER_COSIGN: 'cosgin'}))).message).to.include('neither native, cli nor the path')
    expect((await rejection(chooseCosign({PATH: notExecutable, TWOLITER_COSIGN: 'cli'}))).message).to.include('no cosign executable is on PATH')
  })

  it('refuses, naming it, a program that does not answer `cosign version --json` as cosign does, and one that cannot run', async () => {
    expect((await rejection(cosignVersion('/bin/false', {PATH: '/usr/bin:/bin'}))).code).to.equal('sign.cosign-version')
    const echo = await rejection(cosignVersion('/bin/echo', {PATH: '/usr/bin:/bin'}))
    expect(echo.message).to.include('/bin/echo does not report its version')
    expect((await rejection(runCosign(path.join(work, 'missing'), ['version'], {env: {}}))).code).to.equal('sign.cosign-not-found')
  })

  describe('in the signer (real registry)', () => {
    let registry: TestRegistry
    const client = new RegistryClient()
    let debug: string[]
    let key: string
    let reference: string
    let publicKeyId: string

    before(async () => {
      registry = await startTestRegistry()
      const pair = await generateKeyPair('pw')
      key = path.join(work, 'cosign.key')
      await writeFile(key, pair.privateKeyPem, {mode: 0o600})
      publicKeyId = keyId(pair.publicKeyPem)
      const kit = await pushSyntheticKit(registry.host, {repository: 'vendor/select', metadata: kitMetadata('select', '1.0.0', {name: 'sdk', version: '0.1.0', vendor: 'v'})}, client)
      reference = `${registry.host}/vendor/select@${kit.index.digest}`
    })

    after(async () => {
      await registry?.stop()
    })

    function signer(env: NodeJS.ProcessEnv): Signer {
      debug = []
      const logger = new Logger('debug', {write: (line) => debug.push(line)})
      return cosignSigner(hookContext({logger}), {env})
    }

    it('goes to the cosign on PATH, which is refused here for not being cosign, and nothing is pushed', async () => {
      const refused = await rejection(signer({PATH: withCosign, HOME: work}).signImage({reference, key: {ref: key, passphrase: 'pw'}}))
      expect(refused.code).to.equal('sign.cosign-version')
      expect(refused.message).to.include(path.join(withCosign, 'cosign'))
      expect(await client.listTags(`${registry.host}/vendor/select`)).to.not.include(signatureTag(reference.split('@')[1]!))
    })

    it('a wrong password is refused as natively before the CLI runs', async () => {
      const refused = await rejection(signer({PATH: withCosign}).signImage({reference, key: {ref: key, passphrase: 'wrong'}}))
      expect(refused.code).to.equal('cosign.key-wrong-password')
    })

    it('signs natively with TWOLITER_COSIGN=native though cosign is on PATH, and says so at debug', async () => {
      const signed = await signer({PATH: withCosign, TWOLITER_COSIGN: 'native'}).signImage({reference, key: {ref: key, passphrase: 'pw'}})
      expect(signed.signature).to.equal(`${registry.host}/vendor/select:${signatureTag(reference.split('@')[1]!)}`)
      expect(debug.join('\n')).to.match(/^debug: signed .*select@sha256:[\da-f]{64} natively \(TWOLITER_COSIGN=native\) with key [\da-f]{16} \(new signature\)$/m)
    })

    it('checkKey opens the key with COSIGN_PASSWORD and gives its id; a wrong password and a missing file are refused', async () => {
      const {keyId} = await signer({COSIGN_PASSWORD: 'pw'}).checkKey!({ref: `file://${key}`})
      expect(keyId).to.equal(publicKeyId)
      expect((await rejection(signer({COSIGN_PASSWORD: 'nope'}).checkKey!({ref: key}))).code).to.equal('cosign.key-wrong-password')
      const missing = await rejection(signer({}).checkKey!({ref: path.join(work, 'absent.key')}))
      expect(missing.code).to.equal('sign.key-unreadable')
      expect(missing.message).to.include('there is no such file')
    })
  })
})
