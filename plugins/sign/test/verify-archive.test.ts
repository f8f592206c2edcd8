/**
 * `twoliter verify KIT-ARCHIVE` through the real CLI and engine: kit archives assembled by core's kit
 * image code from RPMs built and GPG-signed in the local SDK verify against the signing key and against
 * their own RPM-GPG-KEY (with the warning), and are refused with another key, with an RPM changed after
 * signing, unsigned, or when the file is not a kit archive; a crafted archive with an unsafe entry name is
 * refused before anything is written. Nothing is left in the temporary directory.
 */

import {expect} from 'chai'
import {createHash} from 'node:crypto'
import {createWriteStream} from 'node:fs'
import {cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {gzipSync} from 'node:zlib'

import type {Engine} from '../../../src/lib/engine/index.js'
import {assembleKitImage} from '../../../src/lib/kits/kit-image.js'
import {createImageLayout, writeLayoutArchive, writeLayoutBlob, writeLayoutIndex} from '../../../src/lib/oci/layout.js'
import {encodeManifest, MediaType} from '../../../src/lib/oci/manifest.js'
import {type TarWriteEntry, writeTar} from '../../../src/lib/oci/tar.js'
import {expectNoStackTrace, REPO, type Run, twoliterAsync} from '../../../test/helpers/cli.js'
import {connectEngine, ensureLocalSdk} from '../../../test/helpers/sdk.js'
import {generateKeyPair} from '../src/cosign/keys.js'
import {isSigningError} from '../src/errors.js'
import {type GeneratedGpgKey, generateGpgKey} from '../src/gpg/keygen.js'
import {signRpms} from '../src/gpg/rpm-signing.js'
import {extractKitArchive} from '../src/kit-archive/archive.js'
import {buildTestRpms, flipPayloadByte, TEST_RPMS} from './gpg/helpers.js'

interface ArchiveJson {
  archive: string
  manifestDigest: string
  verified: boolean
  rpms: Array<{rpm: string; ok: boolean; problem?: string; reason?: string}>
  keySource: 'archive' | 'given'
  warning?: string
}

const [ALPHA, BETA] = TEST_RPMS as [string, string]

describe('verify KIT-ARCHIVE (CLI, real engine)', function () {
  this.timeout(300_000)
  let engine: Engine
  let sdkImage: string
  let root: string
  // The CLI's TMPDIR: where the verification's private directories go, checked empty after every run.
  let cliTmp: string
  let keyA: GeneratedGpgKey
  let keyB: GeneratedGpgKey
  let cosignPub: string
  const archives: Record<'signed' | 'tampered' | 'unsigned', string> = {signed: '', tampered: '', unsigned: ''}

  /** A kit archive of the RPMs in `rpmsDir` (Packages/...), with a repodata/ and, when given, RPM-GPG-KEY. */
  async function kitArchive(name: string, rpmsDir: string, publicKey?: string): Promise<string> {
    const repoDir = path.join(root, 'repos', name)
    await cp(rpmsDir, repoDir, {recursive: true})
    await mkdir(path.join(repoDir, 'repodata'))
    await writeFile(path.join(repoDir, 'repodata', 'repomd.xml'), '<repomd/>\n')
    if (publicKey !== undefined) await writeFile(path.join(repoDir, 'RPM-GPG-KEY'), publicKey)
    const archive = path.join(root, 'kits', `${name}-v1.0.0-test-x86_64.tar`)
    await assembleKitImage({
      repoDir,
      arch: 'x86_64',
      metadata: {name: 'test-kit', version: '1.0.0', sdk: {name: 'sdk', version: '1.0.0', vendor: 'test'}, kit: []},
      created: new Date('2026-01-01T00:00:00Z'),
      archive,
    })
    return archive
  }

  async function verify(args: string[]): Promise<Run> {
    const run = await twoliterAsync(['verify', ...args, '--sdk-image', sdkImage], REPO, {TMPDIR: cliTmp})
    expectNoStackTrace(run)
    // tsx (which runs the CLI from its sources here) keeps its cache there.
    expect((await readdir(cliTmp)).filter((name) => !name.startsWith('tsx-')), 'left in the temporary directory').to.deep.equal([])
    return run
  }

  async function verifyJson(args: string[], status: number): Promise<ArchiveJson> {
    const run = await verify([...args, '--json'])
    expect(run.status, run.stderr + run.stdout).to.equal(status)
    return JSON.parse(run.stdout) as ArchiveJson
  }

  before(async () => {
    engine = await connectEngine()
    sdkImage = await ensureLocalSdk()
    root = await mkdtemp(path.join(tmpdir(), 'twoliter-verify-archive-'))
    cliTmp = path.join(root, 'tmp')
    await mkdir(cliTmp)
    await buildTestRpms(engine, sdkImage, path.join(root, 'source'))
    const unsignedRpms = path.join(root, 'source', 'rpms')
    keyA = await generateGpgKey({runner: engine, sdkImage, name: 'Verify Kits A', email: 'kits-a@example.com', outDir: path.join(root, 'keys', 'a')})
    keyB = await generateGpgKey({runner: engine, sdkImage, name: 'Verify Kits B', email: 'kits-b@example.com', outDir: path.join(root, 'keys', 'b')})
    const signedRpms = path.join(root, 'signed')
    await cp(unsignedRpms, signedRpms, {recursive: true})
    const {publicKey} = await signRpms({runner: engine, sdkImage, rpmsDir: signedRpms, key: {file: keyA.privateKeyFile}, workDir: path.join(root, 'work')})
    archives.signed = await kitArchive('signed', signedRpms, publicKey)
    archives.unsigned = await kitArchive('unsigned', unsignedRpms)

    // The same signed RPMs with one byte of beta's payload flipped after signing.
    const tamperedRpms = path.join(root, 'tampered')
    await cp(signedRpms, tamperedRpms, {recursive: true})
    await flipPayloadByte(path.join(tamperedRpms, BETA))

    archives.tampered = await kitArchive('tampered', tamperedRpms, publicKey)
    cosignPub = path.join(root, 'keys', 'cosign.pub')
    await writeFile(cosignPub, (await generateKeyPair('')).publicKeyPem)
  })

  after(async () => {
    if (root) await rm(root, {recursive: true, force: true})
  })

  it('verifies every RPM of a signed kit archive against the signing key', async () => {
    const result = await verifyJson([archives.signed, '--key', keyA.publicKeyFile], 0)
    expect(result).to.deep.include({archive: archives.signed, verified: true, keySource: 'given'})
    expect(result.manifestDigest).to.match(/^sha256:[\da-f]{64}$/)
    expect(result.warning).to.equal(undefined)
    expect(result.rpms.map(({rpm, ok}) => [rpm, ok])).to.deep.equal([
      [ALPHA, true],
      [BETA, true],
    ])
    expect(result.rpms[0]!.reason).to.contain('signatures OK')

    // Several keys: one of them signed it. People get one line.
    const run = await verify([archives.signed, '--key', keyB.publicKeyFile, '--key', keyA.publicKeyFile])
    expect(run.status, run.stderr).to.equal(0)
    expect(run.stdout.trim()).to.equal(`${archives.signed}: all 2 RPMs verify against the given GPG keys.`)
    expect(run.stderr).to.not.contain('warning')
  })

  it('refuses it with another key, naming each RPM and its problem', async () => {
    const result = await verifyJson([archives.signed, '--key', keyB.publicKeyFile], 1)
    expect(result.verified).to.equal(false)
    expect(result.rpms.map(({rpm, ok, problem}) => [rpm, ok, problem])).to.deep.equal([
      [ALPHA, false, 'unknown-key'],
      [BETA, false, 'unknown-key'],
    ])

    const run = await verify([archives.signed, '--key', keyB.publicKeyFile])
    expect(run.status).to.equal(1)
    const shortId = keyA.fingerprint.slice(-8).toLowerCase()
    expect(run.stderr.trim()).to.equal(
      `Error: The kit archive ${archives.signed} does not verify against the given GPG key(s): 2 of 2 RPMs fail: ` +
        `${ALPHA} (signed by key ${shortId}, which is not among the public keys); ${BETA} (signed by key ${shortId}, which is not among the public keys). ` +
        'Its RPMs are signed by another key: check that you have the publisher\'s public key, and that this is the kit you meant.',
    )
  })

  it('refuses an archive with an RPM modified after signing, with the right key and with its own', async () => {
    for (const keyArgs of [['--key', keyA.publicKeyFile], []]) {
      const result = await verifyJson([archives.tampered, ...keyArgs], 1)
      expect(result.verified).to.equal(false)
      expect(result.rpms.map(({rpm, ok, problem}) => [rpm, ok, problem])).to.deep.equal([
        [ALPHA, true, undefined],
        [BETA, false, 'modified'],
      ])
    }

    const run = await verify([archives.tampered, '--key', keyA.publicKeyFile])
    expect(run.status).to.equal(1)
    expect(run.stderr).to.match(new RegExp(`^Error: The kit archive .* 1 of 2 RPMs fail: ${BETA} \\(changed after it was signed: .*digest: BAD`))
    expect(run.stderr).to.not.contain(`${ALPHA} (`)
    expect(run.stderr.trim().split('\n')).to.have.length(1)
  })

  it('without --key, verifies against the archive\'s own RPM-GPG-KEY and warns what that does not prove', async () => {
    const result = await verifyJson([archives.signed], 0)
    expect(result).to.deep.include({verified: true, keySource: 'archive'})
    expect(result.warning).to.contain('not who signed them')
    expect(result.rpms.every(({ok}) => ok)).to.equal(true)

    const run = await verify([archives.signed])
    expect(run.status, run.stderr).to.equal(0)
    expect(run.stderr).to.contain('warning: no --key was given, so the RPMs were checked against the archive\'s own RPM-GPG-KEY: this only proves that they were not modified after they were signed, not who signed them.')
    expect(run.stdout.trim()).to.equal(`${archives.signed}: all 2 RPMs verify against its own RPM-GPG-KEY.`)
  })

  it('refuses an unsigned archive: without keys as not signed, with a key RPM by RPM', async () => {
    const run = await verify([archives.unsigned])
    expect(run.status).to.equal(1)
    expect(run.stderr.trim()).to.equal(
      `Error: The kit archive ${archives.unsigned} is not signed: it carries no RPM-GPG-KEY, and no GPG public key was given. ` +
        'A kit whose RPMs are signed (Infra.toml [rpm-signing]) carries its public key; give --key with the armored GPG public key its RPMs should be signed with to check them anyway.',
    )
    const json = await verify([archives.unsigned, '--json'])
    expect(json.status).to.equal(1)
    expect(JSON.parse(json.stdout)).to.deep.nested.include({'error.code': 'sign.archive-unsigned'})

    const result = await verifyJson([archives.unsigned, '--key', keyA.publicKeyFile], 1)
    expect(result.rpms.map(({ok, problem}) => [ok, problem])).to.deep.equal([
      [false, 'unsigned'],
      [false, 'unsigned'],
    ])
  })

  it('refuses a file that is not a kit archive, and a path that names nothing, in one paragraph', async () => {
    const notArchive = path.join(root, 'notes.txt')
    await writeFile(notArchive, 'just some text\n'.repeat(100))
    const run = await verify([notArchive, '--key', keyA.publicKeyFile])
    expect(run.status).to.equal(1)
    expect(run.stderr.trim()).to.equal(
      `Error: ${notArchive} is not a kit archive: it is not a readable tar archive: a header block has a wrong checksum (it is not a tar archive, or a damaged one). ` +
        'Give a kit archive as `twoliter build kit` writes it (build/kits/<kit>/<kit>-v<version>-<build>-<arch>.tar), or build the kit again.',
    )

    // A tar, but not an image layout.
    const plainTar = path.join(root, 'plain.tar')
    const content = Buffer.from('hello\n')
    await writeTar(createWriteStream(plainTar), [{name: 'hello.txt', type: 'file', size: content.length, content: () => content}])
    const tarRun = await verify([plainTar])
    expect(tarRun.status).to.equal(1)
    expect(tarRun.stderr).to.contain(`Error: ${plainTar} is not a kit archive: it has no index.json (it is not an OCI image layout).`)

    const missing = await verify([path.join(root, 'nope.tar')])
    expect(missing.status).to.equal(1)
    expect(missing.stderr.trim()).to.equal(`Error: The kit archive ${path.join(root, 'nope.tar')} does not exist. Check the path; \`twoliter build kit\` writes kit archives under build/kits/<kit>/.`)
  })

  it('refuses a key of the wrong kind for each: a cosign key for an archive, a GPG key for an image', async () => {
    const run = await verify([archives.signed, '--key', cosignPub])
    expect(run.status).to.equal(1)
    expect(run.stderr).to.match(/^Error: .*cosign\.pub is a cosign public key, which check/)
    expect(run.stderr.trim().split('\n')).to.have.length(1)

    const image = await verify(['registry.example.com/vendor/kit:v1.0.0', '--key', keyA.publicKeyFile, '--json'])
    expect(image.status).to.equal(1)
    const {error} = JSON.parse(image.stdout) as {error: {code: string; message: string}}
    expect(error.code).to.equal('sign.key-kind')
    expect(error.message).to.contain('is a GPG public key, which check the RPMs of a kit archive')

    const privateKey = await verify([archives.signed, '--key', keyA.privateKeyFile])
    expect(privateKey.status).to.equal(1)
    expect(privateKey.stderr).to.contain(`The key file ${keyA.privateKeyFile} holds a private key.`)
  })

  it('reads gzip layers too, and refuses an entry whose name leaves the image before writing anything', async () => {
    const signedRpm = await readFile(path.join(root, 'signed', ALPHA))
    const rpmEntry = (name: string): TarWriteEntry => ({name, type: 'file', size: signedRpm.length, content: () => signedRpm})
    const gzipped = await craftedArchive('gzip', [rpmEntry(ALPHA)], true)
    const result = await verifyJson([gzipped, '--key', keyA.publicKeyFile], 0)
    expect(result.rpms.map(({rpm, ok}) => [rpm, ok])).to.deep.equal([[ALPHA, true]])

    for (const name of ['Packages/../../escaped.rpm', '/abs/escaped.rpm']) {
      const archive = await craftedArchive(`evil-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`, [rpmEntry(ALPHA), rpmEntry(name)], false)
      const dir = await mkdtemp(path.join(root, 'extract-'))
      const error = await extractKitArchive(archive, dir).then(
        () => expect.fail(`${name} was accepted`),
        (error_: unknown) => error_,
      )
      expect(isSigningError(error), String(error)).to.equal(true)
      expect((error as Error).message).to.contain(`holds an entry with the unsafe name ${JSON.stringify(name)}`)
      expect(await readdir(dir)).to.deep.equal([])
      const run = await verify([archive, '--key', keyA.publicKeyFile])
      expect(run.status).to.equal(1)
      expect(run.stderr).to.contain('unsafe name')
    }
  })

  it('refuses layers with links, whiteouts, duplicates or an RPM that is also a directory', async () => {
    const rpm = Buffer.from('not really an rpm')
    const file = (name: string): TarWriteEntry => ({name, type: 'file', size: rpm.length, content: () => rpm})
    const cases: Array<[string, TarWriteEntry[], string]> = [
      ['symlink', [{name: 'Packages/a/a.rpm', type: 'symlink', linkName: '/etc/passwd'}], 'Packages/a/a.rpm, which is a symlink; kit images hold only directories and regular files'],
      ['whiteout', [file('Packages/a/.wh.a.rpm')], 'holds the whiteout Packages/a/.wh.a.rpm; kit images never remove files of other layers'],
      ['duplicate', [file('Packages/a/a.rpm'), file('./Packages/a/a.rpm')], 'it holds Packages/a/a.rpm twice'],
      ['clash', [file('Packages/a.rpm'), file('Packages/a.rpm/b.rpm')], 'it holds Packages/a.rpm both as an RPM and as a directory'],
    ]
    for (const [name, entries, problem] of cases) {
      const archive = await craftedArchive(name, entries, false)
      const dir = await mkdtemp(path.join(root, 'extract-'))
      const error = await extractKitArchive(archive, dir).then(
        () => expect.fail(`${name} was accepted`),
        (error_: unknown) => error_ as Error & {code?: string},
      )
      expect(error.message.startsWith(`${archive} is not a kit archive: `), error.message).to.equal(true)
      expect(error.message, name).to.contain(problem)
      expect(error.code).to.equal('sign.archive-invalid')
      expect(await readdir(dir), name).to.deep.equal([])
    }
  })

  /** An OCI layout archive with one layer of `entries` (gzip-compressed or not) and no kit metadata. */
  async function craftedArchive(name: string, entries: TarWriteEntry[], gzip: boolean): Promise<string> {
    const dir = path.join(root, 'crafted', name)
    await createImageLayout(dir)
    const tarFile = path.join(root, 'crafted', `${name}.layer`)
    await writeTar(createWriteStream(tarFile), entries)
    const tar = await readFile(tarFile)
    const layer = await writeLayoutBlob(dir, gzip ? gzipSync(tar) : tar)
    const config = await writeLayoutBlob(dir, Buffer.from(JSON.stringify({architecture: 'amd64', os: 'linux', rootfs: {type: 'layers', diff_ids: []}})))
    const manifest = await writeLayoutBlob(
      dir,
      encodeManifest({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: {mediaType: MediaType.ociConfig, digest: config.digest, size: config.size},
        layers: [{mediaType: gzip ? MediaType.ociLayerGzip : MediaType.ociLayer, digest: layer.digest, size: layer.size}],
      }),
    )
    await writeLayoutIndex(dir, [{mediaType: MediaType.ociManifest, digest: manifest.digest, size: manifest.size}])
    const archive = path.join(root, 'crafted', `${name}.tar`)
    await writeLayoutArchive(dir, archive)
    return archive
  }
})
