import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {request} from 'node:http'
import path from 'node:path'

import {type Resolution, resolveLock} from '../../src/lib/kits/resolve.js'
import {MediaType, RegistryClient} from '../../src/lib/oci/index.js'
import {renderLock} from '../../src/lib/project/lock.js'
import {noOverrides, type Overrides} from '../../src/lib/project/override.js'
import {type ImageRef, openProject, type Project} from '../../src/lib/project/project.js'
import {Logger, silentLogger} from '../../src/lib/ui/logger.js'
import {kitMetadata, type PushedKit, pushSyntheticKit} from '../helpers/kit-images.js'
import {useTestRegistry} from '../helpers/registry.js'
import {expectTwoliterError, temporaryDirectories} from '../unit/project/helpers.js'

const SDK: ImageRef = {name: 'sdk', version: '0.1.0', vendor: 'v'}

const ref = (name: string, version = '1.0.0', vendor = 'v'): ImageRef => ({name, version, vendor})

describe('kit resolution for `twoliter update` against a real registry (docker-registry on loopback)', function () {
  this.timeout(120_000)
  const registry = useTestRegistry()
  const directories = temporaryDirectories()
  const client = new RegistryClient({env: {}})
  after(() => client.close())

  // Each test publishes its images under its own path prefix (the vendor's registry), so tests cannot see each other's kits.
  let scopes = 0
  const newScope = (): string => `t${++scopes}`
  const vendorRegistry = (scope: string): string => `${registry().host}/${scope}`

  interface KitOptions {
    sdk?: ImageRef
    arches?: string[]
    labels?: Record<string, string>
    repository?: string
  }

  function pushKit(scope: string, kit: ImageRef, dependencies: ImageRef[] = [], options: KitOptions = {}): Promise<PushedKit> {
    return pushSyntheticKit(
      registry().host,
      {
        repository: options.repository ?? `${scope}/${kit.name}`,
        metadata: kitMetadata(kit.name, kit.version, options.sdk ?? SDK, dependencies),
        arches: options.arches,
        labels: options.labels,
      },
      client,
    )
  }

  /**
   * Any small image serves as the SDK, whose metadata resolution never reads. Its index is pushed again
   * pretty-printed with keys out of order, so that the lock digest has to canonicalize what it hashes.
   */
  async function pushSdk(scope: string, version = SDK.version, repository = `${scope}/sdk`): Promise<string> {
    const pushed = await pushSyntheticKit(registry().host, {repository, metadata: kitMetadata('sdk', version, SDK), labels: {}}, client)
    const index = JSON.parse(pushed.index.bytes.toString('utf8')) as Record<string, unknown>
    const reordered = Object.fromEntries(Object.entries(index).reverse())
    await client.pushManifest(pushed.reference, Buffer.from(JSON.stringify(reordered, null, 3)), MediaType.ociIndex)
    return pushed.reference
  }

  function plainProject(scope: string, fields: {kits: ImageRef[]; sdk?: ImageRef; vendors?: Project['vendors']; override?: Overrides}): Pick<Project, 'file' | 'sdk' | 'kits' | 'vendors' | 'override'> {
    return {
      file: '/nowhere/Twoliter.toml',
      sdk: fields.sdk,
      kits: fields.kits,
      vendors: fields.vendors ?? {v: {registry: vendorRegistry(scope)}},
      override: fields.override ?? noOverrides(),
    }
  }

  const resolve = (project: Parameters<typeof resolveLock>[0], concurrency?: number): Promise<Resolution> =>
    resolveLock(project, {client, logger: silentLogger(), concurrency})

  /** The manifest list's bytes as the registry serves them, fetched with node:http rather than our client. */
  function fetchManifestBytes(reference: string): Promise<Buffer> {
    const slash = reference.indexOf('/')
    const colon = reference.lastIndexOf(':')
    const [host, repository, tag] = [reference.slice(0, slash), reference.slice(slash + 1, colon), reference.slice(colon + 1)]
    const accept = [MediaType.ociIndex, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.dockerManifest].join(', ')
    return new Promise((resolve, reject) => {
      const outgoing = request(`http://${host}/v2/${repository}/manifests/${tag}`, {headers: {Accept: accept}}, (incoming) => {
        const chunks: Buffer[] = []
        incoming.on('data', (chunk: Buffer) => chunks.push(chunk))
        incoming.on('end', () => (incoming.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`${reference}: HTTP ${incoming.statusCode}`))))
      })
      outgoing.on('error', reject)
      outgoing.end()
    })
  }

  /** twoliter 0.5's lock digest, derived with Python: canonical JSON (sorted keys, no whitespace) → SHA-256 → base64. */
  async function independentLockDigest(reference: string): Promise<string> {
    const script = [
      'import base64, hashlib, json, sys',
      'value = json.loads(sys.stdin.buffer.read())',
      "canonical = json.dumps(value, sort_keys=True, separators=(',', ':'), ensure_ascii=False).encode('utf-8')",
      'print(base64.b64encode(hashlib.sha256(canonical).digest()).decode())',
    ].join('\n')
    return execFileSync('python3', ['-c', script], {input: await fetchManifestBytes(reference), encoding: 'utf8'}).trim()
  }

  describe('resolves', () => {
    it('a graph breadth first in declaration order, pinning every image with the lock digest Python derives', async () => {
      const scope = newScope()
      // a → c, core;  b → core, d;  c → core;  d → e;  e → core
      const sdkReference = await pushSdk(scope)
      await pushKit(scope, ref('a'), [ref('c'), ref('core')], {arches: ['x86_64', 'aarch64']})
      await pushKit(scope, ref('b'), [ref('core'), ref('d')])
      await pushKit(scope, ref('c'), [ref('core')])
      await pushKit(scope, ref('core'), [], {arches: ['x86_64', 'aarch64']})
      await pushKit(scope, ref('d'), [ref('e')])
      await pushKit(scope, ref('e'), [ref('core')])
      const project = plainProject(scope, {sdk: SDK, kits: [ref('a'), ref('b')]})

      const resolution = await resolve(project)
      const {lock} = resolution
      expect(lock.kit.map((kit) => kit.name)).to.deep.equal(['a', 'b', 'c', 'core', 'd', 'e'])
      for (const image of [lock.sdk, ...lock.kit]) {
        expect(image.source).to.equal(`${vendorRegistry(scope)}/${image.name}:v${image.version}`)
        expect(image.digest, image.name).to.equal(await independentLockDigest(image.source))
        expect(image.vendor).to.equal('v')
      }

      expect(lock.sdk).to.deep.include({name: 'sdk', version: '0.1.0', source: sdkReference})
      // The SDK index is pretty-printed in the registry: hashing its bytes as they are would give another digest.
      expect(lock.sdk.digest).to.not.equal((await import('node:crypto')).createHash('sha256').update(await fetchManifestBytes(sdkReference)).digest('base64'))

      const paths = Object.fromEntries(resolution.kits.map((kit) => [kit.locked.name, kit.paths]))
      expect(paths.core).to.deep.equal([
        ['a-1.0.0@v', 'core-1.0.0@v'],
        ['b-1.0.0@v', 'core-1.0.0@v'],
        ['a-1.0.0@v', 'c-1.0.0@v', 'core-1.0.0@v'],
        ['b-1.0.0@v', 'd-1.0.0@v', 'e-1.0.0@v', 'core-1.0.0@v'],
      ])
      expect(paths.a).to.deep.equal([['a-1.0.0@v']])
      expect(paths.e).to.deep.equal([['b-1.0.0@v', 'd-1.0.0@v', 'e-1.0.0@v']])
      expect(resolution.kits.find((kit) => kit.locked.name === 'a')?.metadata.kit).to.deep.equal([ref('c'), ref('core')])
      expect(resolution.sdkPaths).to.deep.equal([
        ['Twoliter.toml [sdk]'],
        ['a-1.0.0@v'],
        ['b-1.0.0@v'],
        ['a-1.0.0@v', 'c-1.0.0@v'],
        ['a-1.0.0@v', 'core-1.0.0@v'],
        ['b-1.0.0@v', 'd-1.0.0@v'],
        ['b-1.0.0@v', 'd-1.0.0@v', 'e-1.0.0@v'],
      ])

      // One request at a time gives the very same lock.
      expect(renderLock((await resolve(project, 1)).lock)).to.equal(renderLock(lock))
    })

    it('a project loaded from Twoliter.toml, pulling from where Twoliter.override says while the lock keeps the verbatim sources', async () => {
      const scope = newScope()
      const mirror = `${registry().host}/${scope}-mirror`
      // a and the SDK exist only where the override points; b only at its vendor's registry.
      await pushSdk(scope, SDK.version, `${scope}/sdk-renamed`)
      const pushedA = await pushKit(scope, ref('a'), [ref('b')], {repository: `${scope}-mirror/a`})
      await pushKit(scope, ref('b'))
      const toml = [
        'schema-version = 1',
        'release-version = "1.0.0"',
        '[vendor.v]',
        `registry = "${vendorRegistry(scope)}"`,
        '[sdk]',
        'name = "sdk"',
        'version = "0.1.0"',
        'vendor = "v"',
        '[[kit]]',
        'name = "a"',
        'version = "1.0.0"',
        'vendor = "v"',
        '',
      ].join('\n')
      const override = [`[v.a]`, `registry = "${mirror}"`, '[v.sdk]', 'name = "sdk-renamed"', '[v.b]', 'path = "../local-b"', ''].join('\n')
      const root = await directories.create({'Twoliter.toml': toml, 'Twoliter.override': override})
      const project = await openProject({cwd: root, logger: silentLogger()})
      expect(project.override.images.v.b.path).to.equal(path.join(path.dirname(root), 'local-b'))

      const {lock} = await resolve(project)
      expect(lock.kit.map((kit) => [kit.name, kit.source])).to.deep.equal([
        ['a', `${vendorRegistry(scope)}/a:v1.0.0`],
        ['b', `${vendorRegistry(scope)}/b:v1.0.0`],
      ])
      expect(lock.kit[0].digest).to.equal(await independentLockDigest(`${mirror}/a:v1.0.0`)).and.to.equal(pushedA.lockDigest)
      expect(lock.kit[1].digest).to.equal(await independentLockDigest(`${vendorRegistry(scope)}/b:v1.0.0`))
      expect(lock.sdk.source).to.equal(`${vendorRegistry(scope)}/sdk:v0.1.0`)
      expect(lock.sdk.digest).to.equal(await independentLockDigest(`${vendorRegistry(scope)}/sdk-renamed:v0.1.0`))

      // The local-project override of b changes nothing in the lock.
      const withoutPathOverride = {...project, override: {images: {v: {a: project.override.images.v.a, sdk: project.override.images.v.sdk}}}}
      expect(renderLock((await resolve(withoutPathOverride)).lock)).to.equal(renderLock(lock))
    })

    it('the SDK the kits were built with when Twoliter.toml has no [sdk]', async () => {
      const scope = newScope()
      await pushSdk(scope, '0.2.0')
      const sdk = ref('sdk', '0.2.0')
      await pushKit(scope, ref('a'), [ref('core')], {sdk})
      await pushKit(scope, ref('core'), [], {sdk})
      const resolution = await resolve(plainProject(scope, {kits: [ref('a')]}))
      expect(resolution.lock.sdk).to.deep.include({name: 'sdk', version: '0.2.0', source: `${vendorRegistry(scope)}/sdk:v0.2.0`})
      expect(resolution.lock.sdk.digest).to.equal(await independentLockDigest(`${vendorRegistry(scope)}/sdk:v0.2.0`))
      expect(resolution.sdkPaths).to.deep.equal([['a-1.0.0@v'], ['a-1.0.0@v', 'core-1.0.0@v']])
    })
  })

  describe('refuses, showing the dependency paths,', () => {
    it('two SDKs', async () => {
      const scope = newScope()
      await pushSdk(scope)
      await pushSdk(scope, '0.2.0')
      await pushKit(scope, ref('a'), [ref('core')], {sdk: ref('sdk', '0.2.0')})
      await pushKit(scope, ref('b'), [ref('core')], {sdk: ref('sdk', '0.2.0')})
      await pushKit(scope, ref('core'))
      const error = await expectTwoliterError(resolve(plainProject(scope, {sdk: SDK, kits: [ref('a'), ref('b')]})), 'update.sdk-conflict')
      expect(error.message).to.include('cannot use multiple sdks (found sdk: sdk-0.1.0@v, sdk-0.2.0@v)')
      expect(error.message).to.include('sdk-0.1.0@v is named by Twoliter.toml [sdk], Twoliter.toml → a-1.0.0@v → core-1.0.0@v')
      expect(error.message).to.include('sdk-0.2.0@v is named by Twoliter.toml → a-1.0.0@v, Twoliter.toml → b-1.0.0@v')
      expect(error.hint).to.include('one SDK')
      expect(error.location?.file).to.equal('/nowhere/Twoliter.toml')
    })

    it('no SDK at all', async () => {
      const error = await expectTwoliterError(resolve(plainProject(newScope(), {kits: []})), 'update.no-sdk')
      expect(error.message).to.equal('no sdk was found for use, please specify a sdk in Twoliter.toml.')
      expect(error.hint).to.include('[sdk]')
    })

    it('two versions of one kit, even when the second version is not in the registry', async () => {
      const scope = newScope()
      await pushSdk(scope)
      await pushKit(scope, ref('a'), [ref('core')])
      await pushKit(scope, ref('b'), [ref('x')])
      await pushKit(scope, ref('x'), [ref('core', '2.0.0')])
      await pushKit(scope, ref('core'))
      const error = await expectTwoliterError(resolve(plainProject(scope, {sdk: SDK, kits: [ref('a'), ref('b')]})), 'update.kit-version-conflict')
      expect(error.message).to.include('cannot have multiple versions of the same kit (core-1.0.0@v != core-2.0.0@v)')
      expect(error.message).to.include('core-1.0.0@v is required by Twoliter.toml → a-1.0.0@v → core-1.0.0@v')
      expect(error.message).to.include('core-2.0.0@v is required by Twoliter.toml → b-1.0.0@v → x-1.0.0@v → core-2.0.0@v')
      expect(error.hint).to.include('core@v')
    })

    it('a vendor that Twoliter.toml does not declare, named in a kit\'s metadata', async () => {
      const scope = newScope()
      await pushSdk(scope)
      await pushKit(scope, ref('a'), [ref('core')])
      await pushKit(scope, ref('core'), [ref('x', '1.0.0', 'other')])
      const error = await expectTwoliterError(resolve(plainProject(scope, {sdk: SDK, kits: [ref('a')]})), 'update.unknown-vendor')
      expect(error.message).to.include('kit x-1.0.0@other, required by Twoliter.toml → a-1.0.0@v → core-1.0.0@v → x-1.0.0@other,')
      expect(error.message).to.include("the vendor 'other'")
      expect(error.hint).to.include('[vendor.other]')
    })

    it('a kit with metadata of a newer version (dev.bottlerocket.kit.v3)', async () => {
      const scope = newScope()
      await pushSdk(scope)
      await pushKit(scope, ref('b'), [ref('a')])
      await pushKit(scope, ref('a'), [], {labels: {'dev.bottlerocket.kit.v3': Buffer.from('{}\n').toString('base64')}})
      const error = await expectTwoliterError(resolve(plainProject(scope, {sdk: SDK, kits: [ref('b')]})), 'kit.metadata-version')
      expect(error.message).to.include("metadata version 'v3'").and.to.include('newer')
      expect(error.message).to.include('kit a-1.0.0@v (Twoliter.toml → b-1.0.0@v → a-1.0.0@v)')
    })

    it('a kit whose architectures carry different metadata', async () => {
      const scope = newScope()
      await pushSdk(scope)
      await pushKit(scope, ref('core'))
      const amd64 = await pushKit(scope, ref('m'), [])
      const arm64 = await pushKit(scope, ref('m'), [ref('core')], {arches: ['aarch64']})
      const repository = `${vendorRegistry(scope)}/m`
      const entries = await Promise.all(
        [
          [amd64.images.x86_64.digest, 'amd64'],
          [arm64.images.aarch64.digest, 'arm64'],
        ].map(async ([digest, architecture]) => {
          const head = (await client.headManifest(`${repository}@${digest}`))!
          return {mediaType: head.mediaType, digest, size: head.size, platform: {architecture, os: 'linux'}}
        }),
      )
      await client.pushManifest(`${repository}:v1.0.0`, Buffer.from(JSON.stringify({schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: entries})), MediaType.ociIndex)
      const error = await expectTwoliterError(resolve(plainProject(scope, {sdk: SDK, kits: [ref('m')]})), 'update.metadata-mismatch')
      expect(error.message).to.include('kit m-1.0.0@v (Twoliter.toml → m-1.0.0@v)')
      expect(error.message).to.include('amd64: m-1.0.0 built with sdk-0.1.0@v and no kits; arm64: m-1.0.0 built with sdk-0.1.0@v and kits core-1.0.0@v')
    })

    it('an image that is not a kit', async () => {
      const scope = newScope()
      await pushSdk(scope)
      await pushKit(scope, ref('a'), [ref('plain')])
      await pushKit(scope, ref('plain'), [], {labels: {'org.opencontainers.image.title': 'plain'}})
      const error = await expectTwoliterError(resolve(plainProject(scope, {sdk: SDK, kits: [ref('a')]})), 'kit.not-a-kit')
      expect(error.message).to.include('appears not to be a kit')
      expect(error.message).to.include('kit plain-1.0.0@v (Twoliter.toml → a-1.0.0@v → plain-1.0.0@v)')
    })

    it('a single image where a kit\'s image index should be', async () => {
      const scope = newScope()
      await pushSdk(scope)
      const pushed = await pushKit(scope, ref('single'))
      const image = await client.getManifest(`${vendorRegistry(scope)}/single@${pushed.images.x86_64.digest}`)
      await client.pushManifest(`${vendorRegistry(scope)}/single:v1.0.0`, image.bytes, image.mediaType)
      const error = await expectTwoliterError(resolve(plainProject(scope, {sdk: SDK, kits: [ref('single')]})), 'update.not-an-index')
      expect(error.message).to.include('is a single image').and.to.include('kit single-1.0.0@v (Twoliter.toml → single-1.0.0@v)')
    })

    it('a kit that is not in the registry', async () => {
      const scope = newScope()
      await pushSdk(scope)
      await pushKit(scope, ref('a'), [ref('ghost')])
      const error = await expectTwoliterError(resolve(plainProject(scope, {sdk: SDK, kits: [ref('a')]})), 'oci.manifest-unknown')
      expect(error.message).to.match(/^kit ghost-1\.0\.0@v \(Twoliter\.toml → a-1\.0\.0@v → ghost-1\.0\.0@v\): cannot fetch the manifest of .*\/ghost:v1\.0\.0/)
    })

    it('an image that claims to be another kit than the one asked for: a warning, as twoliter 0.5 accepts it', async () => {
      const scope = newScope()
      await pushSdk(scope)
      await pushKit(scope, ref('b', '2.0.0'))
      const override: Overrides = {images: {v: {a: {name: 'b'}}}}
      const lines: string[] = []
      const logger = new Logger('warn', {write: (line) => lines.push(line)})
      const resolution = await resolveLock(plainProject(scope, {sdk: SDK, kits: [ref('a', '2.0.0')], override}), {client, logger})
      expect(resolution.lock.kit.map((kit) => kit.name)).to.deep.equal(['a'])
      expect(lines.join('\n')).to.include('says it is kit b-2.0.0, not a-2.0.0').and.to.include('Twoliter.override')
    })
  })
})
