import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {mkdir, readdir, readFile, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {BuildLayout} from '../../src/lib/build/layout.js'
import {fetchedKitRepos, fetchKits, kitsAreFetched} from '../../src/lib/kits/fetch.js'
import {RegistryClient} from '../../src/lib/oci/client.js'
import {layoutBlobPath} from '../../src/lib/oci/layout.js'
import {type Lock, type LockedImage, readLock, writeLock} from '../../src/lib/project/lock.js'
import {openProject, type Project} from '../../src/lib/project/project.js'
import {projectImageTrust} from '../../src/lib/signing/image-trust.js'
import {kitMetadata, type PushedKit, pushSyntheticKit} from '../helpers/kit-images.js'
import {startTestRegistry, type TestRegistry} from '../helpers/registry.js'
import {expectTwoliterError, recordingLogger, temporaryDirectories} from '../unit/project/helpers.js'

const VENDOR = 'acme'
const SDK = {name: 'bottlerocket-sdk', version: '0.1.0', vendor: VENDOR}

interface KitSpec {
  name: string
  version?: string
  arches?: string[]
  files?: Record<string, string>
}

/** Every path under `dir`, relative, sorted; directories end with `/`. */
async function tree(dir: string, prefix = ''): Promise<string[]> {
  const names: string[] = []
  for (const entry of await readdir(dir, {withFileTypes: true})) {
    const relative = `${prefix}${entry.name}`
    if (entry.isDirectory()) names.push(`${relative}/`, ...(await tree(path.join(dir, entry.name), `${relative}/`)))
    else if (entry.isSymbolicLink()) names.push(`${relative}@`)
    else names.push(relative)
  }

  return names.sort()
}

/** external-kit-metadata.json as Python writes canonical JSON, independently of twoliter's encoder. */
function pythonCanonicalJson(value: unknown): string {
  const script = 'import json,sys; sys.stdout.write(json.dumps(json.load(sys.stdin), sort_keys=True, separators=(",", ":")))'
  return execFileSync('python3', ['-c', script], {input: JSON.stringify(value), encoding: 'utf8'})
}

/** The trust of a project without signing-keys: kits are accepted with a warning (signatures are tested in kits-signing). */
function unsignedKitsAccepted(project: Project) {
  return projectImageTrust(project, {logger: recordingLogger().logger})
}

describe('twoliter fetch: locked kits from a registry into build/external-kits', function () {
  this.timeout(120_000)
  const directories = temporaryDirectories()
  let registry: TestRegistry | undefined
  const clients: RegistryClient[] = []

  beforeEach(async () => {
    registry = await startTestRegistry()
  })

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()))
    await registry?.stop()
    registry = undefined
  })

  function host(): string {
    if (registry === undefined) throw new Error('the test registry is not running')
    return registry.host
  }

  function client(): RegistryClient {
    const created = new RegistryClient({env: {}})
    clients.push(created)
    return created
  }

  async function pushKit(spec: KitSpec): Promise<PushedKit> {
    const metadata = kitMetadata(spec.name, spec.version ?? '1.0.0', SDK)
    return pushSyntheticKit(host(), {repository: `e2e/${spec.name}`, metadata, arches: spec.arches, files: spec.files}, client())
  }

  function lockedKit(spec: KitSpec, pushed: PushedKit): LockedImage {
    return {name: spec.name, version: spec.version ?? '1.0.0', vendor: VENDOR, source: pushed.reference, digest: pushed.lockDigest}
  }

  /** A project whose Twoliter.toml names the kits and whose Twoliter.lock pins them, loaded as commands load it. */
  async function createProject(kits: LockedImage[], files: Record<string, string> = {}): Promise<{project: Project; lock: Lock; root: string}> {
    const registryHost = registry?.host ?? '127.0.0.1:1'
    const toml = [
      'schema-version = 1',
      'release-version = "1.0.0"',
      '',
      `[vendor.${VENDOR}]`,
      `registry = "${registryHost}/e2e"`,
      '',
      '[sdk]',
      `name = "${SDK.name}"`,
      `version = "${SDK.version}"`,
      `vendor = "${VENDOR}"`,
      ...kits.flatMap((kit) => ['', '[[kit]]', `name = "${kit.name}"`, `version = "${kit.version}"`, `vendor = "${kit.vendor}"`]),
    ].join('\n')
    const root = await directories.create({'Twoliter.toml': toml + '\n', ...files})
    const sdk: LockedImage = {...SDK, source: `${registryHost}/e2e/${SDK.name}:v${SDK.version}`, digest: Buffer.alloc(32, 7).toString('base64')}
    await writeLock(root, {schemaVersion: 1, sdk, kit: kits})
    const project = await openProject({cwd: root, logger: recordingLogger().logger})
    const lock = await readLock(root)
    if (lock === undefined) throw new Error('the lock was not written')
    return {project, lock, root}
  }

  it('extracts every locked kit with its digest file and external-kit-metadata.json, then fetches again without the registry', async () => {
    const kitA = {name: 'kit-a', files: {'Packages/a-pkg/a-pkg.x86_64.rpm': 'rpm of a', 'Packages/a-other/a-other.x86_64.rpm': 'another rpm', 'repodata/repomd.xml': '<repomd a/>'}}
    const kitB = {name: 'kit-b', version: '2.1.0'}
    const [pushedA, pushedB] = [await pushKit(kitA), await pushKit(kitB)]
    const {project, lock, root} = await createProject([lockedKit(kitA, pushedA), lockedKit(kitB, pushedB)])
    const layout = new BuildLayout(root, 'x86_64')
    const {logger, lines} = recordingLogger()
    expect(await kitsAreFetched(layout, lock, project)).to.equal(false)
    await expectTwoliterError(fetchedKitRepos(layout, lock, project), 'fetch.kit-not-fetched').then((error) => expect(error.hint).to.include('twoliter fetch --arch x86_64'))

    const fetched = await fetchKits(project, lock, {client: client(), layout, logger, trust: unsignedKitsAccepted(project)})

    const targetA = path.join(root, 'build/external-kits/acme/kit-a/x86_64')
    const targetB = path.join(root, 'build/external-kits/acme/kit-b/x86_64')
    expect(fetched).to.deep.equal([
      {name: 'kit-a', vendor: VENDOR, version: '1.0.0', dir: targetA, digest: pushedA.images.x86_64.digest, action: 'extracted'},
      {name: 'kit-b', vendor: VENDOR, version: '2.1.0', dir: targetB, digest: pushedB.images.x86_64.digest, action: 'extracted'},
    ])
    expect(await tree(targetA)).to.deep.equal([
      'Packages/',
      'Packages/a-other/',
      'Packages/a-other/a-other.x86_64.rpm',
      'Packages/a-pkg/',
      'Packages/a-pkg/a-pkg.x86_64.rpm',
      'digest',
      'repodata/',
      'repodata/repomd.xml',
    ])
    expect(await readFile(path.join(targetA, 'Packages/a-pkg/a-pkg.x86_64.rpm'), 'utf8')).to.equal('rpm of a')
    expect(await readFile(path.join(targetA, 'digest'), 'utf8')).to.equal(pushedA.images.x86_64.digest)
    expect(await readFile(path.join(targetB, 'Packages/kit-b-pkg/kit-b-pkg.x86_64.rpm'), 'utf8')).to.equal('kit-b x86_64')
    expect(lines.filter((line) => line.startsWith('Extracted kit'))).to.have.length(2)

    const metadataFile = path.join(root, 'build/external-kits/external-kit-metadata.json')
    const expectedMetadata = pythonCanonicalJson({kit: lock.kit, sdk: lock.sdk})
    expect(await readFile(metadataFile, 'utf8')).to.equal(expectedMetadata)
    expect(expectedMetadata).to.include(`"digest":"${pushedA.lockDigest}"`)

    const lockHex = (kit: PushedKit): string => Buffer.from(kit.lockDigest, 'base64').toString('hex')
    const cacheEntries = await readdir(path.join(root, 'build/external-kits/cache'))
    expect(cacheEntries.sort()).to.deep.equal(
      [`index-${lockHex(pushedA)}`, `index-${lockHex(pushedB)}`, pushedA.images.x86_64.digest.replace(':', '-'), pushedB.images.x86_64.digest.replace(':', '-')].sort(),
    )

    expect(await kitsAreFetched(layout, lock, project)).to.equal(true)
    expect(await fetchedKitRepos(layout, lock, project)).to.deep.equal({
      'acme-kit-a': {dir: targetA, digest: pushedA.images.x86_64.digest},
      'acme-kit-b': {dir: targetB, digest: pushedB.images.x86_64.digest},
    })

    const before = await stat(metadataFile)
    await registry!.stop()
    registry = undefined
    const again = await fetchKits(project, lock, {client: client(), layout, logger: recordingLogger().logger, trust: unsignedKitsAccepted(project)})
    expect(again.map((kit) => kit.action)).to.deep.equal(['up-to-date', 'up-to-date'])
    const after = await stat(metadataFile)
    expect([after.mtimeMs, after.ino]).to.deep.equal([before.mtimeMs, before.ino])

    // The OCI layout cache alone is enough to extract again.
    await writeFile(path.join(targetA, 'digest'), 'sha256:stale')
    const fromCache = await fetchKits(project, lock, {client: client(), layout, logger: recordingLogger().logger, trust: unsignedKitsAccepted(project)})
    expect(fromCache.map((kit) => kit.action)).to.deep.equal(['extracted', 'up-to-date'])
    expect(await readFile(path.join(targetA, 'digest'), 'utf8')).to.equal(pushedA.images.x86_64.digest)
  })

  it('picks the image of the layout\'s architecture from a multi-arch kit', async () => {
    const kit = {name: 'kit-multi', arches: ['x86_64', 'aarch64']}
    const pushed = await pushKit(kit)
    const {project, lock, root} = await createProject([lockedKit(kit, pushed)])
    const layout = new BuildLayout(root, 'aarch64')
    const [fetched] = await fetchKits(project, lock, {client: client(), layout, logger: recordingLogger().logger, trust: unsignedKitsAccepted(project)})
    expect(fetched.digest).to.equal(pushed.images.aarch64.digest)
    expect(await readFile(path.join(root, 'build/external-kits/acme/kit-multi/aarch64/Packages/kit-multi-pkg/kit-multi-pkg.aarch64.rpm'), 'utf8')).to.equal('kit-multi aarch64')
    expect(await kitsAreFetched(new BuildLayout(root, 'x86_64'), lock, project)).to.equal(false)
  })

  it('detects a blob tampered with in the registry, names the kit, and keeps no cache entry and the old kit directory', async () => {
    const kit = {name: 'kit-tampered'}
    const pushed = await pushKit(kit)
    const layer = pushed.images.x86_64.layers[0]
    const blobFile = registry!.blobDataFile(layer)
    const original = await readFile(blobFile)
    const tampered = Buffer.from(original)
    tampered[tampered.length - 600] ^= 0xff
    await writeFile(blobFile, tampered)

    const {project, lock, root} = await createProject([lockedKit(kit, pushed)])
    const layout = new BuildLayout(root, 'x86_64')
    const target = layout.externalKitDir(VENDOR, 'kit-tampered')
    await mkdir(target, {recursive: true})
    await writeFile(path.join(target, 'digest'), 'sha256:previous')
    await writeFile(path.join(target, 'previous.rpm'), 'previous')

    const error = await expectTwoliterError(fetchKits(project, lock, {client: client(), layout, logger: recordingLogger().logger, trust: unsignedKitsAccepted(project)}), 'oci.digest-mismatch')
    expect(error.message).to.include('kit-tampered-1.0.0@acme').and.include(layer)
    expect(await tree(target)).to.deep.equal(['digest', 'previous.rpm'])
    expect(await readFile(path.join(target, 'digest'), 'utf8')).to.equal('sha256:previous')
    const cache = await readdir(layout.externalKitCacheDir)
    expect(cache.filter((name) => !name.startsWith('index-'))).to.deep.equal([])
    expect(await readdir(path.dirname(target))).to.deep.equal(['x86_64'])

    // Repaired in the registry, the same project fetches it.
    await writeFile(blobFile, original)
    const [fetched] = await fetchKits(project, lock, {client: client(), layout, logger: recordingLogger().logger, trust: unsignedKitsAccepted(project)})
    expect(fetched.action).to.equal('extracted')
    expect(await tree(target)).to.include('repodata/repomd.xml').and.not.include('previous.rpm')
  })

  it('pulls a damaged cache entry again', async () => {
    const kit = {name: 'kit-cached'}
    const pushed = await pushKit(kit)
    const {project, lock, root} = await createProject([lockedKit(kit, pushed)])
    const layout = new BuildLayout(root, 'x86_64')
    await fetchKits(project, lock, {client: client(), layout, logger: recordingLogger().logger, trust: unsignedKitsAccepted(project)})
    const entry = path.join(layout.externalKitCacheDir, pushed.images.x86_64.digest.replace(':', '-'))
    const layer = pushed.images.x86_64.layers[0]
    await writeFile(layoutBlobPath(entry, layer), 'not the layer')
    await writeFile(path.join(layout.externalKitDir(VENDOR, 'kit-cached'), 'digest'), 'sha256:stale')

    const {logger} = recordingLogger()
    const [fetched] = await fetchKits(project, lock, {client: client(), layout, logger, trust: unsignedKitsAccepted(project)})
    expect(fetched.action).to.equal('extracted')
    expect(logger.warnings).to.have.length(1)
    expect(logger.warnings[0]).to.include('kit-cached-1.0.0@acme').and.include('damaged')
    expect((await readFile(layoutBlobPath(entry, layer))).toString()).to.not.equal('not the layer')
  })

  it('refuses a tag pushed again with other content than Twoliter.lock pins', async () => {
    const kit = {name: 'kit-moved'}
    const pushed = await pushKit(kit)
    const repushed = await pushKit({...kit, files: {'repodata/repomd.xml': '<repomd changed/>'}})
    expect(repushed.lockDigest).to.not.equal(pushed.lockDigest)
    const {project, lock, root} = await createProject([lockedKit(kit, pushed)])
    const layout = new BuildLayout(root, 'x86_64')

    const error = await expectTwoliterError(fetchKits(project, lock, {client: client(), layout, logger: recordingLogger().logger, trust: unsignedKitsAccepted(project)}), 'fetch.lock-mismatch')
    expect(error.message).to.include('kit-moved-1.0.0@acme').and.include(pushed.lockDigest).and.include(repushed.lockDigest)
    expect(error.hint).to.include('twoliter update')
    expect(await readdir(layout.externalKitsDir).catch(() => [])).to.not.include('acme')
  })

  it('fails clearly for an architecture the kit has no image for', async () => {
    const kit = {name: 'kit-x86-only'}
    const pushed = await pushKit(kit)
    const {project, lock, root} = await createProject([lockedKit(kit, pushed)])
    const layout = new BuildLayout(root, 'aarch64')

    const error = await expectTwoliterError(fetchKits(project, lock, {client: client(), layout, logger: recordingLogger().logger, trust: unsignedKitsAccepted(project)}), 'fetch.arch-missing')
    expect(error.message).to.include('could not find image for architecture aarch64').and.include('kit-x86-only-1.0.0@acme').and.include('amd64')
  })

  it('copies the built kit of the local project a Twoliter.override path names, warning once, without any registry', async () => {
    const local = await directories.create({
      'build/kits/kit-local/x86_64/Packages/p/p.x86_64.rpm': 'local rpm',
      'build/kits/kit-local/x86_64/repodata/repomd.xml': '<repomd local/>',
    })
    await registry!.stop()
    registry = undefined
    const locked: LockedImage = {name: 'kit-local', version: '1.0.0', vendor: VENDOR, source: '127.0.0.1:1/e2e/kit-local:v1.0.0', digest: Buffer.alloc(32, 1).toString('base64')}
    const {project, lock, root} = await createProject([locked], {'Twoliter.override': `[${VENDOR}.kit-local]\npath = "${local}"\n`})
    const layout = new BuildLayout(root, 'x86_64')
    const {logger} = recordingLogger()

    const fetched = await fetchKits(project, lock, {client: client(), layout, logger, trust: unsignedKitsAccepted(project)})

    const target = path.join(root, 'build/external-kits/acme/kit-local/x86_64')
    expect(fetched).to.deep.equal([{name: 'kit-local', vendor: VENDOR, version: '1.0.0', dir: target, digest: `local:${local}`, action: 'local'}])
    expect(await tree(target)).to.deep.equal(['Packages/', 'Packages/p/', 'Packages/p/p.x86_64.rpm', 'digest', 'repodata/', 'repodata/repomd.xml'])
    expect(await readFile(path.join(target, 'Packages/p/p.x86_64.rpm'), 'utf8')).to.equal('local rpm')
    expect(await readFile(path.join(target, 'digest'), 'utf8')).to.equal(`local:${local}`)
    expect(logger.warnings).to.have.length(1)
    expect(logger.warnings[0]).to.include('kit-local').and.include(local).and.include('Twoliter.override')

    const repos = await fetchedKitRepos(layout, lock, project)
    expect(repos['acme-kit-local'].dir).to.equal(target)
    expect(repos['acme-kit-local'].digest).to.match(new RegExp(`^local:${local}#sha256:[\\da-f]{64}$`))
    expect(await kitsAreFetched(layout, lock, project)).to.equal(true)
    await writeFile(path.join(local, 'build/kits/kit-local/x86_64/repodata/repomd.xml'), '<repomd rebuilt/>')
    expect(await kitsAreFetched(layout, lock, project)).to.equal(false)
  })

  it('tells to build the local kit when the override\'s project has not built it', async () => {
    const local = await directories.create({'Twoliter.toml': 'schema-version = 1\n'})
    const locked: LockedImage = {name: 'kit-unbuilt', version: '1.0.0', vendor: VENDOR, source: '127.0.0.1:1/e2e/kit-unbuilt:v1.0.0', digest: Buffer.alloc(32, 2).toString('base64')}
    const {project, lock, root} = await createProject([locked], {'Twoliter.override': `[${VENDOR}.kit-unbuilt]\npath = "${local}"\n`})
    const layout = new BuildLayout(root, 'aarch64')

    const error = await expectTwoliterError(fetchKits(project, lock, {client: client(), layout, logger: recordingLogger().logger, trust: unsignedKitsAccepted(project)}), 'fetch.local-kit-missing')
    expect(error.hint).to.include(`twoliter build kit kit-unbuilt --arch aarch64`).and.include(local)
  })
})
