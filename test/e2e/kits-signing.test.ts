/**
 * Kit signatures through the command line, against docker-registry on loopback: kits signed with
 * `twoliter sign image` (the bundled @twoliter/sign), a project trusting the vendor's public key, and
 * `update` / `fetch` accepting what that key signed and refusing everything else.
 */

import {expect} from 'chai'
import {createHash} from 'node:crypto'
import {mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {RegistryClient} from '../../src/lib/oci/index.js'
import {readLock} from '../../src/lib/project/lock.js'
import {type Run, expectNoStackTrace, twoliter} from '../helpers/cli.js'
import {kitMetadata, pushSyntheticKit} from '../helpers/kit-images.js'
import {type TestRegistry, startTestRegistry} from '../helpers/registry.js'

const SDK = {name: 'sdk', version: '0.1.0', vendor: 'v'}
const PASSWORD = 'correct horse battery staple'

describe('kit signatures: update and fetch verify kits of vendors with signing-keys (CLI, real registry)', function () {
  this.timeout(300_000)
  let registry: TestRegistry
  let work: string
  const client = new RegistryClient()
  let projects = 0

  before(async () => {
    registry = await startTestRegistry()
    work = await mkdtemp(path.join(tmpdir(), 'twoliter-kits-signing-'))
    for (const name of ['trusted', 'other']) {
      const run = twoliter(['sign', 'keygen', '--type', 'cosign', '--name', name, '--output-dir', work], work, {COSIGN_PASSWORD: PASSWORD})
      expect(run.status, run.stderr).to.equal(0)
    }

    // The SDK comes from vendor v too, so projects trusting v's key check it as well.
    await pushSdk(registry.host)
  })

  async function pushSdk(host: string, options: {version?: string; signed?: boolean} = {}): Promise<void> {
    const version = options.version ?? SDK.version
    // Its content names its version: images of two versions must not share a digest, and so a signature.
    const files = {'Packages/sdk/sdk.x86_64.rpm': `sdk ${version}`, 'repodata/repomd.xml': '<repomd/>'}
    const pushed = await pushSyntheticKit(host, {repository: 'v/sdk', metadata: kitMetadata('sdk', version, {...SDK, version}), labels: {}, files}, client)
    if (options.signed ?? true) sign(pushed.reference, 'trusted')
  }

  after(async () => {
    await registry?.stop()
    if (work) await rm(work, {recursive: true, force: true})
  })

  async function pushKit(name: string, files?: Record<string, string>, host = registry.host): Promise<string> {
    const pushed = await pushSyntheticKit(host, {repository: `v/${name}`, metadata: kitMetadata(name, '1.0.0', SDK), files}, client)
    return pushed.reference
  }

  function sign(reference: string, key: 'trusted' | 'other'): void {
    const run = twoliter(['sign', 'image', reference, '--key', path.join(work, `${key}.key`)], work, {COSIGN_PASSWORD: PASSWORD})
    expect(run.status, run.stderr).to.equal(0)
  }

  /** A project using kit `kit` of vendor v, trusting `keys` (copied into its keys/ directory). */
  async function project(kit: string, options: {keys?: Array<'trusted' | 'other'>; requireSignatures?: boolean; host?: string} = {}): Promise<string> {
    const root = path.join(work, `project-${++projects}`)
    await mkdir(path.join(root, 'keys'), {recursive: true})
    for (const key of options.keys ?? []) await writeFile(path.join(root, 'keys', `${key}.pub`), await readFile(path.join(work, `${key}.pub`)))
    const keyList = (options.keys ?? []).map((key) => `"keys/${key}.pub"`).join(', ')
    await writeFile(
      path.join(root, 'Twoliter.toml'),
      [
        'schema-version = 1',
        'release-version = "1.0.0"',
        ...(options.requireSignatures ? ['require-signatures = true'] : []),
        '',
        '[vendor.v]',
        `registry = "${options.host ?? registry.host}/v"`,
        ...(options.keys ? [`signing-keys = [${keyList}]`] : []),
        '',
        '[sdk]',
        'name = "sdk"',
        'version = "0.1.0"',
        'vendor = "v"',
        '',
        '[[kit]]',
        `name = "${kit}"`,
        'version = "1.0.0"',
        'vendor = "v"',
        '',
      ].join('\n'),
    )
    return root
  }

  function run(args: string[], root: string): Run {
    const result = twoliter(args, root)
    expectNoStackTrace(result)
    return result
  }

  function expectRefused(result: Run, ...phrases: string[]): void {
    expect(result.status, result.stderr).to.equal(1)
    for (const phrase of phrases) expect(result.stderr).to.include(phrase)
  }

  it('update and fetch accept a kit signed with the trusted key, record it, and fetch it again with the registry gone', async () => {
    // A registry of its own, stopped halfway through.
    const own = await startTestRegistry()
    try {
      await pushSdk(own.host)
      sign(await pushKit('core', undefined, own.host), 'trusted')
      const root = await project('core', {keys: ['trusted'], host: own.host})

      const update = run(['update'], root)
      expect(update.status, update.stderr).to.equal(0)
      expect(update.stderr).not.to.include('without checking their signatures')
      expect((await readLock(root))?.kit.map((kit) => kit.name)).to.deep.equal(['core'])

      const fetch = run(['fetch', '--arch', 'x86_64'], root)
      expect(fetch.status, fetch.stderr).to.equal(0)
      const cache = path.join(root, 'build/external-kits/cache')
      const records = (await readdir(cache)).filter((name) => name.endsWith('.verified'))
      expect(records).to.have.length(1)
      const trustedKey = await readFile(path.join(root, 'keys/trusted.pub'))
      const recorded = JSON.parse(await readFile(path.join(cache, records[0]), 'utf8')) as {keys: string[]}
      expect(recorded.keys).to.deep.equal([`sha256:${createHash('sha256').update(trustedKey).digest('hex')}`])

      await own.stop()
      await rm(path.join(root, 'build/external-kits/v'), {recursive: true})
      const offline = run(['fetch', '--arch', 'x86_64'], root)
      expect(offline.status, offline.stderr).to.equal(0)
      expect(offline.stdout).to.include('1 extracted')
    } finally {
      await own.stop()
    }
  })

  it('checks each signature once when fetch resolves the lock first, and records it for the next fetch', async () => {
    sign(await pushKit('once'), 'trusted')
    const root = await project('once', {keys: ['trusted']})
    const fetch = run(['fetch', '--arch', 'x86_64', '--log-level', 'debug'], root)
    expect(fetch.status, fetch.stderr).to.equal(0)
    expect(fetch.stderr).to.include('running `twoliter update` first')
    expect(fetch.stderr.match(/kit once-1\.0\.0@v \(\S+\) is signed by/g)).to.have.length(1)
    expect(fetch.stderr.match(/SDK sdk-0\.1\.0@v \(\S+\) is signed by/g)).to.have.length(1)
    const cache = path.join(root, 'build/external-kits/cache')
    expect((await readdir(cache)).filter((name) => name.endsWith('.verified'))).to.have.length(1)
  })

  it('refuses an SDK its vendor did not sign, although the kit is signed', async () => {
    await pushSdk(registry.host, {version: '0.2.0', signed: false})
    const pushed = await pushSyntheticKit(registry.host, {repository: 'v/on-new-sdk', metadata: kitMetadata('on-new-sdk', '1.0.0', {...SDK, version: '0.2.0'})}, client)
    sign(pushed.reference, 'trusted')
    const root = await project('on-new-sdk', {keys: ['trusted']})
    const toml = path.join(root, 'Twoliter.toml')
    await writeFile(toml, (await readFile(toml, 'utf8')).replace('version = "0.1.0"', 'version = "0.2.0"'))
    expectRefused(run(['update'], root), 'the SDK sdk-0.2.0@v is not signed by a key Twoliter.toml trusts', 'no signature')
    expect(await readLock(root)).to.equal(undefined)
  })

    it('refuses a kit without any signature', async () => {
    await pushKit('bare')
    const root = await project('bare', {keys: ['trusted']})
    expectRefused(run(['update'], root), 'is not signed by a key Twoliter.toml trusts', 'no signature')
    expect(await readLock(root)).to.equal(undefined)
  })

  it('refuses a kit signed with another key', async () => {
    sign(await pushKit('forged'), 'other')
    const root = await project('forged', {keys: ['trusted']})
    expectRefused(run(['update'], root), 'is not signed by a key Twoliter.toml trusts', 'signed by another key')
  })

  it('refuses a kit whose layer was replaced after signing, even when the old signature is copied to the new digest', async () => {
    const reference = await pushKit('swapped')
    sign(reference, 'trusted')
    const before = (await client.headManifest(reference))!.digest
    // Same tag, one layer's content changed: a new index digest that nobody signed.
    await pushKit('swapped', {'Packages/swapped-pkg/swapped-pkg.x86_64.rpm': 'tampered', 'repodata/repomd.xml': '<repomd/>'})
    const after = (await client.headManifest(reference))!.digest
    expect(after).to.not.equal(before)
    const root = await project('swapped', {keys: ['trusted']})
    expectRefused(run(['update'], root), 'no signature')

    // The attacker copies the valid signature of the old digest under the new digest's signature tag.
    const repository = `${registry.host}/v/swapped`
    const oldSignature = await client.getManifest(`${repository}:${before.replace(':', '-')}.sig`)
    await client.pushManifest(`${repository}:${after.replace(':', '-')}.sig`, oldSignature.bytes, oldSignature.mediaType)
    expectRefused(run(['update'], root), 'the signature is for another image')
  })

  it('checks again, and refuses, when the project stops trusting the key that verified what is cached', async () => {
    const reference = await pushKit('rotated')
    sign(reference, 'trusted')
    const root = await project('rotated', {keys: ['trusted']})
    expect(run(['fetch', '--arch', 'x86_64'], root).status).to.equal(0)
    await writeFile(path.join(root, 'Twoliter.toml'), (await readFile(path.join(root, 'Twoliter.toml'), 'utf8')).replace('keys/trusted.pub', 'keys/other.pub'))
    await writeFile(path.join(root, 'keys/other.pub'), await readFile(path.join(work, 'other.pub')))
    expectRefused(run(['fetch', '--arch', 'x86_64'], root), 'signed by another key')
  })

  it('accepts a kit of a vendor without signing-keys with one warning, and refuses it with require-signatures = true', async () => {
    await pushKit('plain')
    const root = await project('plain')
    const update = run(['update'], root)
    expect(update.status, update.stderr).to.equal(0)
    expect(update.stderr.match(/without checking their signatures/g)).to.have.length(1)
    const fetch = run(['fetch', '--arch', 'x86_64'], root)
    expect(fetch.status, fetch.stderr).to.equal(0)
    expect(fetch.stderr).to.include("kits of vendor 'v' (such as plain-1.0.0@v) are used without checking their signatures")

    const strict = await project('plain', {requireSignatures: true})
    expectRefused(run(['update'], strict), 'require-signatures = true', "vendor 'v' lists no cosign public key")
    expect(await readLock(strict)).to.equal(undefined)
    await writeFile(path.join(strict, 'Twoliter.lock'), await readFile(path.join(root, 'Twoliter.lock')))
    expectRefused(run(['fetch', '--arch', 'x86_64'], strict), 'require-signatures = true')
  })
})
