import {expect} from 'chai'
import {mkdir, mkdtemp, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {GpgFailureReport, describeGpgCheck, gpgCheckInputs, gpgKeyId, kitGpgCheck, projectGpgCheck, writeRepoKeys} from '../../../src/lib/build/repo-gpgcheck.js'
import {TwoliterError} from '../../../src/lib/errors.js'
import type {TrustedKey} from '../../../src/lib/project/signing-keys.js'
import {compositeRepos} from '../../../src/lib/variant/composite.js'

const armored = (name: string) => `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n${Buffer.from(name).toString('base64')}\n-----END PGP PUBLIC KEY BLOCK-----\n`
const COSIGN = '-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----\n'

function trusted(kind: TrustedKey['kind'], text: string, file: string): TrustedKey {
  return {kind, file, text, id: gpgKeyId(text), location: {file: 'Twoliter.toml'}}
}

describe('repository gpgcheck: which keys dnf checks a repository against', () => {
  let dir: string
  let kitDir: string
  const kitKey = armored('kit key')
  const vendorKey = armored('vendor key')

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'twoliter-gpgcheck-'))
    kitDir = path.join(dir, 'kit')
    await mkdir(path.join(kitDir, 'repodata'), {recursive: true})
  })
  afterEach(() => rm(dir, {recursive: true, force: true}))

  describe('kitGpgCheck', () => {
    it('checks an external kit whose vendor lists GPG keys against those keys only, not against the RPM-GPG-KEY it carries', async () => {
      await writeFile(path.join(kitDir, 'RPM-GPG-KEY'), kitKey)
      const keys = {acme: [trusted('cosign', COSIGN, '/p/keys/acme.pub'), trusted('gpg', vendorKey, '/p/keys/acme.asc')]}
      const check = await kitGpgCheck({name: 'core-kit', dir: kitDir, external: true, vendor: 'acme'}, keys)
      expect(check).to.deep.equal({trust: 'vendor-keys', vendor: 'acme', keys: [{id: gpgKeyId(vendorKey), text: vendorKey, origin: '/p/keys/acme.asc'}]})
      expect(describeGpgCheck(check!)).to.equal('the GPG key of vendor acme in the signing-keys of Twoliter.toml')
    })

    it('checks an external kit of a vendor without keys against the RPM-GPG-KEY it carries', async () => {
      await writeFile(path.join(kitDir, 'RPM-GPG-KEY'), kitKey)
      const keys = {acme: [trusted('cosign', COSIGN, '/p/keys/acme.pub')], other: [trusted('gpg', vendorKey, '/p/keys/other.asc')]}
      const check = await kitGpgCheck({name: 'core-kit', dir: kitDir, external: true, vendor: 'acme'}, keys)
      expect(check).to.deep.equal({trust: 'kit-key', keys: [{id: gpgKeyId(kitKey), text: kitKey, origin: path.join(kitDir, 'RPM-GPG-KEY')}]})
    })

    it('checks a local kit against its RPM-GPG-KEY, even when a vendor of the same name lists keys', async () => {
      await writeFile(path.join(kitDir, 'RPM-GPG-KEY'), kitKey)
      const check = await kitGpgCheck({name: 'core-kit', dir: kitDir, external: false, vendor: 'acme'}, {acme: [trusted('gpg', vendorKey, '/k.asc')]})
      expect(check?.trust).to.equal('kit-key')
      expect(check?.keys.map((key) => key.text)).to.deep.equal([kitKey])
    })

    it('does not check a kit without RPM-GPG-KEY whose vendor lists no GPG key: unsigned kits keep working', async () => {
      expect(await kitGpgCheck({name: 'core-kit', dir: kitDir, external: true, vendor: 'acme'}, {acme: [trusted('cosign', COSIGN, '/c.pub')]})).to.equal(undefined)
      expect(await kitGpgCheck({name: 'core-kit', dir: kitDir, external: false})).to.equal(undefined)
    })

    it('checks an unsigned external kit against its vendor\'s keys, so that its unsigned RPMs are refused', async () => {
      const check = await kitGpgCheck({name: 'core-kit', dir: kitDir, external: true, vendor: 'acme'}, {acme: [trusted('gpg', vendorKey, '/k.asc')]})
      expect(check?.trust).to.equal('vendor-keys')
    })

    it('refuses an RPM-GPG-KEY that is no armored public key', async () => {
      await writeFile(path.join(kitDir, 'RPM-GPG-KEY'), 'not a key\n')
      const error = await kitGpgCheck({name: 'core-kit', dir: kitDir, external: true, vendor: 'acme'}).catch((error: unknown) => error)
      expect(error).to.be.instanceOf(TwoliterError)
      expect((error as TwoliterError).code).to.equal('build.kit-key-invalid')
      expect((error as TwoliterError).message).to.contain('the RPM-GPG-KEY of the kit core-kit')
      expect((error as TwoliterError).hint).to.contain('twoliter fetch')
    })
  })

  describe('projectGpgCheck', () => {
    it('checks the project\'s packages against the public keys they were signed with, each once', () => {
      const a = armored('a')
      expect(projectGpgCheck([a, undefined, a])).to.deep.equal({trust: 'project-key', keys: [{id: gpgKeyId(a), text: a, origin: 'Infra.toml [rpm-signing]'}]})
    })

    it('does not check unsigned packages', () => {
      expect(projectGpgCheck([])).to.equal(undefined)
      expect(projectGpgCheck([undefined, ''])).to.equal(undefined)
    })
  })

  describe('gpgCheckInputs', () => {
    it('names the trust and the key ids of each checked repository, and nothing for an unchecked one', async () => {
      const a = armored('a')
      const b = armored('b')
      const inputs = gpgCheckInputs({local: projectGpgCheck([b, a]), 'core-kit': undefined})
      expect(inputs).to.deep.equal({'gpgcheck:local': `project-key ${[gpgKeyId(a), gpgKeyId(b)].sort().join(',')}`})
    })

    it('changes when a key changes', async () => {
      expect(gpgCheckInputs({local: projectGpgCheck([armored('a')])})).to.not.deep.equal(gpgCheckInputs({local: projectGpgCheck([armored('b')])}))
    })
  })

  it('writeRepoKeys writes one directory of keys per checked repository', async () => {
    const keysDir = path.join(dir, 'keys')
    await writeFile(path.join(kitDir, 'RPM-GPG-KEY'), kitKey.trimEnd())
    await writeRepoKeys(keysDir, {'core-kit': await kitGpgCheck({name: 'core-kit', dir: kitDir, external: false}), other: undefined})
    expect(await readdir(keysDir)).to.deep.equal(['core-kit'])
    expect(await readFile(path.join(keysDir, 'core-kit', '0.asc'), 'utf8')).to.equal(kitKey)
  })

  it('compositeRepos keeps the decision of each repository', async () => {
    const check = projectGpgCheck([armored('a')])!
    const repos = compositeRepos({localRepoDir: '/l', localGpg: check, kits: [{name: 'k', repo: {dir: '/k', digest: 'd'}, external: true, gpg: check}, {name: 'u', repo: {dir: '/u', digest: 'd'}, external: false}], variant: 'v-w'})
    expect(repos.map((repo) => [repo.id, repo.gpg?.trust])).to.deep.equal([['local', 'project-key'], ['u', undefined], ['k', 'project-key']])
  })

  describe('GpgFailureReport', () => {
    const report = (lines: string[]) => {
      const parsed = new GpgFailureReport()
      for (const line of lines) parsed.line(line)
      return parsed.refused
    }

    it('reads the check of each RPM against its own repository\'s keys', () => {
      expect(report(['twoliter: rpm -i', 'twoliter: signature refused: core-kit bottlerocket-motd-2.0-1.x86_64.rpm: it is signed with the key ID 35c1e462, which is not among the keys of its repository'])).to.deep.equal([
        {repo: 'core-kit', rpm: 'bottlerocket-motd-2.0-1.x86_64.rpm', reason: 'it is signed with the key ID 35c1e462, which is not among the keys of its repository'},
      ])
    })

    it('reads dnf\'s gpgcheck: a key that did not help, its repository from the key path', () => {
      expect(
        report([
          'Importing GPG key 0xAE041CB7:',
          "Import of key(s) didn't help, wrong key(s)?",
          'Public key for bottlerocket-motd-2.0-1.x86_64.rpm is not installed. Failing package is: bottlerocket-motd-2.0-1.x86_64',
          ' GPG Keys are configured as: file:///twoliter/keys/core-kit/0.asc',
          'Error: GPG check FAILED',
        ]),
      ).to.deep.equal([{repo: 'core-kit', rpm: 'bottlerocket-motd-2.0-1.x86_64.rpm', reason: 'it is not signed with a key trusted for its repository'}])
    })

    it('reads dnf\'s gpgcheck: an unsigned package, and keys already installed that do not fit', () => {
      expect(
        report([
          'Package bottlerocket-a-1.0-1.x86_64.rpm is not signed',
          'The GPG keys listed for the "my-kit" repository are already installed but they are not correct for this package.',
          'Check that the correct key URLs are configured for this repository.. Failing package is: bottlerocket-b-1.0-1.x86_64',
          ' GPG Keys are configured as: file:///twoliter/keys/my-kit/0.asc',
        ]),
      ).to.deep.equal([
        {rpm: 'bottlerocket-a-1.0-1.x86_64.rpm', reason: 'it is not signed'},
        {repo: 'my-kit', rpm: 'bottlerocket-b-1.0-1.x86_64', reason: 'it is not signed with a key trusted for its repository'},
      ])
    })

    it('names an RPM once when both dnf and the per-repository check refuse it', () => {
      const refused = report([
        'Public key for bottlerocket-motd-2.0-1.x86_64.rpm is not installed. Failing package is: bottlerocket-motd-2.0-1.x86_64',
        'twoliter: signature refused: core-kit bottlerocket-motd-2.0-1.x86_64.rpm: it is not signed',
      ])
      expect(refused).to.deep.equal([{repo: 'core-kit', rpm: 'bottlerocket-motd-2.0-1.x86_64.rpm', reason: 'it is not signed with a key trusted for its repository'}])
    })

    it('finds nothing in an ordinary dnf run', () => {
      expect(report(['Dependencies resolved.', 'Key imported successfully', 'Complete!'])).to.deep.equal([])
    })
  })
})
