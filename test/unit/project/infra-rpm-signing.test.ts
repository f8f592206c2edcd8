/** Infra.toml's [rpm-signing]: parsed with located errors, the key file read, the passphrase source chosen. */

import {expect} from 'chai'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {TwoliterError} from '../../../src/lib/errors.js'
import {readRpmSigning} from '../../../src/lib/project/infra-toml.js'

describe('Infra.toml [rpm-signing]', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'twoliter-infra-rpm-signing-'))
    await mkdir(path.join(dir, 'keys'))
    await writeFile(path.join(dir, 'keys/private.asc'), 'not really a key\n')
  })

  afterEach(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  const infra = (text: string) => writeFile(path.join(dir, 'Infra.toml'), text)

  async function rejection(): Promise<TwoliterError> {
    try {
      await readRpmSigning(dir)
    } catch (error) {
      expect(error).to.be.instanceOf(TwoliterError)
      return error as TwoliterError
    }

    throw new Error('expected a rejection')
  }

  it('is undefined without Infra.toml or without the table', async () => {
    expect(await readRpmSigning(dir)).to.equal(undefined)
    await infra('[vendor.acme]\nregistry = "r.example.com/acme"\n')
    expect(await readRpmSigning(dir)).to.equal(undefined)
  })

  it('takes the key relative to Infra.toml, and GPG_PASSPHRASE when no passphrase source is given', async () => {
    await infra('[rpm-signing]\nkey = "keys/private.asc"\n')
    const config = (await readRpmSigning(dir))!
    expect(config).to.deep.include({keyFile: path.join(dir, 'keys/private.asc'), keyRef: path.join(dir, 'keys/private.asc'), keyId: undefined, passphraseEnv: 'GPG_PASSPHRASE', passphraseFile: undefined})
    expect(config.fingerprint).to.match(/^[0-9a-f]{64}$/)
    expect(config.location.line).to.equal(2)
  })

  it('takes a file URL with a key id, and the passphrase sources given', async () => {
    const url = `${pathToFileURL(path.join(dir, 'keys/private.asc')).href}#ABCDEF0123456789`
    await infra(`[rpm-signing]\nkey = "${url}"\npassphrase-file = "keys/pass.txt"\n`)
    const config = (await readRpmSigning(dir))!
    expect(config).to.deep.include({keyFile: path.join(dir, 'keys/private.asc'), keyRef: url, keyId: 'ABCDEF0123456789', passphraseEnv: undefined, passphraseFile: path.join(dir, 'keys/pass.txt')})
    await infra(`[rpm-signing]\nkey = "keys/private.asc"\npassphrase-env = "MY_PASS"\n`)
    expect((await readRpmSigning(dir))!.passphraseEnv).to.equal('MY_PASS')
  })

  it('has a fingerprint that changes with the key file and the key id, and holds neither', async () => {
    await infra('[rpm-signing]\nkey = "keys/private.asc"\n')
    const first = (await readRpmSigning(dir))!.fingerprint
    await writeFile(path.join(dir, 'keys/private.asc'), 'another key\n')
    const second = (await readRpmSigning(dir))!.fingerprint
    await infra(`[rpm-signing]\nkey = "${pathToFileURL(path.join(dir, 'keys/private.asc')).href}#AB"\n`)
    const third = (await readRpmSigning(dir))!.fingerprint
    expect(new Set([first, second, third]).size).to.equal(3)
    expect(JSON.stringify(await readRpmSigning(dir))).to.not.contain('another key')
  })

  it('refuses a missing key file at its line', async () => {
    await infra('# signing\n[rpm-signing]\nkey = "keys/missing.asc"\n')
    const error = await rejection()
    expect(error.code).to.equal('infra.rpm-signing-key-missing')
    expect(error.location).to.deep.include({file: path.join(dir, 'Infra.toml'), line: 3})
    expect(error.message).to.contain(`${path.join(dir, 'keys/missing.asc')} that`)
    expect(error.message).to.contain('does not exist')
    expect(error.hint).to.contain('twoliter sign keygen --type gpg')
  })

  it('refuses wrong types, a missing key and a bad variable name at their lines', async () => {
    await infra('[rpm-signing]\nkey = 3\n')
    expect((await rejection()).location?.line).to.equal(2)
    await infra('[rpm-signing]\npassphrase-env = "X"\n')
    expect((await rejection()).message).to.contain('key')
    await infra('[rpm-signing]\nkey = "keys/private.asc"\npassphrase-file = true\n')
    expect((await rejection()).location?.line).to.equal(3)
    await infra('[rpm-signing]\nkey = "keys/private.asc"\npassphrase-env = "NOT A NAME"\n')
    const error = await rejection()
    expect(error.code).to.equal('infra.rpm-signing-passphrase-env')
    expect(error.location?.line).to.equal(3)
    await infra('rpm-signing = "keys/private.asc"\n')
    expect((await rejection()).location?.line).to.equal(1)
  })
})
