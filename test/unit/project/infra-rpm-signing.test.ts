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

  describe('keyring and key-id', () => {
    const fpr = '0123456789ABCDEF0123456789ABCDEF01234567'

    async function gnupgHome(name = 'gnupg'): Promise<string> {
      const home = path.join(dir, name)
      await mkdir(path.join(home, 'private-keys-v1.d'), {recursive: true})
      await writeFile(path.join(home, 'pubring.kbx'), 'public keyring bytes\n')
      await writeFile(path.join(home, 'trustdb.gpg'), 'trust\n')
      await writeFile(path.join(home, 'private-keys-v1.d', 'AAAA.key'), 'secret key bytes\n')
      return home
    }

    it('takes a GnuPG home relative to Infra.toml and the key id, as a file URL for the signer', async () => {
      const home = await gnupgHome()
      await infra(`[rpm-signing]\nkeyring = "gnupg"\nkey-id = "${fpr}"\npassphrase-env = "MY_PASS"\n`)
      const config = (await readRpmSigning(dir))!
      expect(config.keyFile).to.equal(undefined)
      expect(config).to.deep.include({keyring: home, keyId: fpr, passphraseEnv: 'MY_PASS', passphraseFile: undefined})
      expect(config.keyRef).to.equal(`${pathToFileURL(home).href}#${fpr}`)
      expect(config.location.line).to.equal(2)
      // A user id as the key id survives the URL.
      await infra('[rpm-signing]\nkeyring = "gnupg"\nkey-id = "Kits <kits@example.com>"\n')
      const byUserId = (await readRpmSigning(dir))!
      expect(decodeURIComponent(new URL(byUserId.keyRef).hash.slice(1))).to.equal('Kits <kits@example.com>')
      expect(byUserId.passphraseEnv).to.equal('GPG_PASSPHRASE')
    })

    it('has a fingerprint that changes with the public keyring, the secret keys and the key id, not the trustdb, and holds no key', async () => {
      const home = await gnupgHome()
      await infra(`[rpm-signing]\nkeyring = "gnupg"\nkey-id = "${fpr}"\n`)
      const fingerprint = async () => (await readRpmSigning(dir))!.fingerprint
      const first = await fingerprint()
      expect(first).to.match(/^[0-9a-f]{64}$/)
      await writeFile(path.join(home, 'trustdb.gpg'), 'rewritten by gpg\n')
      await writeFile(path.join(home, 'random_seed'), 'noise')
      expect(await fingerprint()).to.equal(first)
      await writeFile(path.join(home, 'private-keys-v1.d', 'BBBB.key'), 'another secret key\n')
      const second = await fingerprint()
      await writeFile(path.join(home, 'pubring.kbx'), 'another public keyring\n')
      const third = await fingerprint()
      await infra('[rpm-signing]\nkeyring = "gnupg"\nkey-id = "ABCDEF"\n')
      const fourth = await fingerprint()
      expect(new Set([first, second, third, fourth]).size).to.equal(4)
      const text = JSON.stringify(await readRpmSigning(dir))
      expect(text).to.not.contain('secret key').and.not.contain('public keyring')
    })

    it('takes key-id with a key file too', async () => {
      await infra(`[rpm-signing]\nkey = "keys/private.asc"\nkey-id = "${fpr}"\n`)
      const config = (await readRpmSigning(dir))!
      expect(config).to.deep.include({keyFile: path.join(dir, 'keys/private.asc'), keyId: fpr, keyRef: `${pathToFileURL(path.join(dir, 'keys/private.asc')).href}#${fpr}`})
    })

    it('refuses both key and keyring, neither, a keyring without key-id, a missing or wrong directory, at their lines', async () => {
      await gnupgHome()
      await infra(`[rpm-signing]\nkey = "keys/private.asc"\nkeyring = "gnupg"\nkey-id = "${fpr}"\n`)
      let error = await rejection()
      expect(error.code).to.equal('infra.rpm-signing-key')
      expect(error.location?.line).to.equal(3)
      expect(error.message).to.contain('both')

      await infra(`[rpm-signing]\nkey-id = "${fpr}"\n`)
      error = await rejection()
      expect(error.message).to.contain('key')
      expect(error.hint).to.contain('keyring = "gnupg"')

      await infra('[rpm-signing]\n\nkeyring = "gnupg"\n')
      error = await rejection()
      expect(error.code).to.equal('infra.rpm-signing-key-id')
      expect(error.location?.line).to.equal(3)
      expect(error.hint).to.contain('key-id = ')

      await infra(`[rpm-signing]\nkeyring = "no-such-dir"\nkey-id = "${fpr}"\n`)
      error = await rejection()
      expect(error.code).to.equal('infra.rpm-signing-keyring-missing')
      expect(error.location?.line).to.equal(2)
      expect(error.message).to.contain(path.join(dir, 'no-such-dir')).and.contain('does not exist')

      await infra(`[rpm-signing]\nkeyring = "keys/private.asc"\nkey-id = "${fpr}"\n`)
      error = await rejection()
      expect(error.code).to.equal('infra.rpm-signing-keyring-missing')
      expect(error.message).to.contain('is not a directory')
      expect(error.hint).to.contain('key = "FILE"')

      await infra(`[rpm-signing]\nkeyring = "keys"\nkey-id = "${fpr}"\n`)
      error = await rejection()
      expect(error.code).to.equal('infra.rpm-signing-keyring-missing')
      expect(error.message).to.contain('is not a GnuPG home')

      await infra('[rpm-signing]\nkeyring = "gnupg"\nkey-id = ""\n')
      error = await rejection()
      expect(error.code).to.equal('infra.rpm-signing-key-id')
      expect(error.location?.line).to.equal(3)

      await infra('[rpm-signing]\nkeyring = "gnupg"\nkey-id = 7\n')
      expect((await rejection()).location?.line).to.equal(3)

      // A directory given as key points at keyring.
      await infra('[rpm-signing]\nkey = "gnupg"\n')
      error = await rejection()
      expect(error.code).to.equal('infra.rpm-signing-key-missing')
      expect(error.hint).to.contain('keyring = "DIR"')

      await infra(`[rpm-signing]\nkey = "${pathToFileURL(path.join(dir, 'keys/private.asc')).href}#AB"\nkey-id = "CD"\n`)
      error = await rejection()
      expect(error.code).to.equal('infra.rpm-signing-key-id')
      expect(error.location?.line).to.equal(3)
    })
  })
})
