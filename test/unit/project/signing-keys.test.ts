import {expect} from 'chai'
import {createHash} from 'node:crypto'
import path from 'node:path'

import {formatError} from '../../../src/lib/errors.js'
import {expectTwoliterError, lineOf, loadProjectIn, recordingLogger, temporaryDirectories} from './helpers.js'

const COSIGN_PUB = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEtestkeytestkeytestkey==\n-----END PUBLIC KEY-----\n'
const GPG_PUB = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmQGNBGtestkey\n-----END PGP PUBLIC KEY BLOCK-----\n'

function projectText(vendorLines: string, top = ''): string {
  return `schema-version = 1\nrelease-version = "1.0.0"\n${top}\n[vendor.acme]\nregistry = "registry.example.com/acme"\n${vendorLines}\n[vendor.other]\nregistry = "registry.example.com/other"\n`
}

describe('Twoliter.toml trust settings (signing-keys, require-signatures)', () => {
  const directories = temporaryDirectories()

  it('reads each vendor\'s keys relative to the project root, tells cosign from GPG keys, and names them by the hash of their text', async () => {
    const root = await directories.create({
      'Twoliter.toml': projectText('signing-keys = [\n  "keys/acme.pub",\n  "keys/acme-rpm.asc",\n]'),
      'keys/acme.pub': COSIGN_PUB,
      'keys/acme-rpm.asc': GPG_PUB,
    })
    const logger = recordingLogger()
    const project = await loadProjectIn(root, logger.logger)
    expect(logger.lines).to.deep.equal([])
    expect(project.trust.requireSignatures).to.equal(false)
    expect(project.trust.signingKeys.other).to.deep.equal([])
    const keys = project.trust.signingKeys.acme
    expect(keys.map((key) => [key.kind, key.file, key.text])).to.deep.equal([
      ['cosign', path.join(root, 'keys/acme.pub'), COSIGN_PUB],
      ['gpg', path.join(root, 'keys/acme-rpm.asc'), GPG_PUB],
    ])
    expect(keys[0].id).to.equal(`sha256:${createHash('sha256').update(COSIGN_PUB).digest('hex')}`)
    expect(keys[1].location.line).to.equal(8)
    // The trust settings are not vendor fields of twoliter 0.5's schema.
    expect(project.vendors.acme).to.deep.equal({registry: 'registry.example.com/acme'})
  })

  it('reads require-signatures', async () => {
    const root = await directories.create({'Twoliter.toml': projectText('', 'require-signatures = true')})
    expect((await loadProjectIn(root)).trust.requireSignatures).to.equal(true)
  })

  it('refuses a require-signatures that is not a boolean, at its line', async () => {
    const text = projectText('', 'require-signatures = "yes"')
    const root = await directories.create({'Twoliter.toml': text})
    const error = await expectTwoliterError(loadProjectIn(root), 'toml.wrong-type')
    expect(error.location?.line).to.equal(lineOf(text, 'require-signatures'))
  })

  it('refuses a key file that does not exist, at the line naming it, with the path it looked for', async () => {
    const text = projectText('signing-keys = ["keys/acme.pub", "keys/missing.pub"]')
    const root = await directories.create({'Twoliter.toml': text, 'keys/acme.pub': COSIGN_PUB})
    const error = await expectTwoliterError(loadProjectIn(root), 'project.signing-key-missing')
    expect(error.location).to.deep.include({file: path.join(root, 'Twoliter.toml'), line: lineOf(text, 'keys/missing.pub')})
    expect(error.message).to.include(path.join(root, 'keys/missing.pub')).and.include("vendor 'acme'")
    expect(formatError(error)).to.include('relative to the project root')
  })

  for (const [label, content] of [
    ['a cosign private key', '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nabc\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n'],
    ['a GPG private key', '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nabc\n-----END PGP PRIVATE KEY BLOCK-----\n'],
  ] as const) {
    it(`refuses ${label} in signing-keys: a project lists public keys only`, async () => {
      const text = projectText('signing-keys = ["keys/secret"]')
      const root = await directories.create({'Twoliter.toml': text, 'keys/secret': content})
      const error = await expectTwoliterError(loadProjectIn(root), 'project.signing-key-invalid')
      expect(error.message).to.include('is a private key')
      expect(error.location?.line).to.equal(lineOf(text, 'keys/secret'))
    })
  }

  it('refuses a file that is no public key', async () => {
    const root = await directories.create({'Twoliter.toml': projectText('signing-keys = ["README.md"]'), 'README.md': '# hello\n'})
    const error = await expectTwoliterError(loadProjectIn(root), 'project.signing-key-invalid')
    expect(error.message).to.include('neither a PEM public key (cosign) nor an armored GPG public key')
  })

  it('refuses signing-keys that is not an array of strings', async () => {
    const root = await directories.create({'Twoliter.toml': projectText('signing-keys = "keys/acme.pub"')})
    await expectTwoliterError(loadProjectIn(root), 'toml.wrong-type')
  })
})
