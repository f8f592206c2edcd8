/**
 * `twoliter fetch`: the kits Twoliter.lock pins, for one architecture, as yum repositories in
 * build/external-kits/<vendor>/<kit>/<arch>/ (with a `digest` file naming the image they came from), plus
 * build/external-kits/external-kit-metadata.json, as twoliter 0.5 lays them out.
 *
 * build/external-kits/cache/ holds:
 * - `index-<hex>`: a kit tag's manifest list, exactly as the registry served it. `<hex>` is the lock digest
 *   in hex (the SHA-256 of the list's canonical JSON), so the file is found from Twoliter.lock alone and
 *   checked against it before use: fetching again, or checking what is fetched, needs no network.
 * - `index-<hex>.verified`: the ids of the vendor's keys whose signature of that index verified, so that an
 *   offline build trusts a verified kit, and checks again when the vendor's keys change.
 * - `sha256-<hex>/`: the OCI image layout of one arch's image, named by its manifest digest. It appears
 *   by renaming a finished pull, so an entry present is a complete one.
 * Directories in the making are dot-named siblings of their final place with the pid of their maker;
 * those of processes that no longer exist are removed.
 */

import {createHash, randomBytes} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {cp, mkdir, readdir, readFile, rename, rm, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {TwoliterError} from '../errors.js'
import type {KitRepo} from '../build/package-builds.js'
import {BuildLayout} from '../build/layout.js'
import {isAlive} from '../build/project-lock.js'
import {canonicalJson} from '../oci/canonical-json.js'
import type {RegistryClient} from '../oci/client.js'
import {digestOfStream, parseDigest, sha256Digest} from '../oci/digest.js'
import {pullImage} from '../oci/image-transfer.js'
import {layoutBlobPath, readLayoutBlob, readLayoutIndex} from '../oci/layout.js'
import {type Descriptor, MediaType, parseImageIndex, parseImageManifest} from '../oci/manifest.js'
import {linuxPlatform} from '../oci/platform.js'
import {ImageReference} from '../oci/reference.js'
import {writeFileAtomic} from '../fs/atomic.js'
import {describeLockedImage, type Lock, type LockedImage, lockDigest} from '../project/lock.js'
import {findImageOverride} from '../project/override.js'
import {toProjectImage} from '../project/project-image.js'
import type {Project} from '../project/project.js'
import type {ImageTrust} from '../signing/image-trust.js'
import type {Logger} from '../ui/logger.js'
import {extractTarSafely} from './safe-extract.js'

export interface FetchKitsOptions {
  client: RegistryClient
  layout: BuildLayout
  logger: Logger
  /** Each kit's image index is checked against it (or its earlier check, recorded in the cache, reused). */
  trust: ImageTrust
  signal?: AbortSignal
}

export interface FetchedKit {
  name: string
  vendor: string
  version: string
  dir: string
  /** manifest digest, or `local:<dir>` for a path override */
  digest: string
  action: 'extracted' | 'up-to-date' | 'local'
}

const DIGEST_FILE = 'digest'
/** Beside `index-<hex>`: the ids of the trusted keys that verified that index's signature. */
const VERIFIED_SUFFIX = '.verified'
const LOCAL_DIGEST_PREFIX = 'local:'

const TAR_LAYER_TYPES: readonly string[] = [MediaType.ociLayer, 'application/vnd.docker.image.rootfs.diff.tar']
const GZIP_LAYER_TYPES: readonly string[] = [MediaType.ociLayerGzip, MediaType.dockerLayerGzip]

/** Fetches every kit of the lock for `layout.arch`, then writes external-kit-metadata.json if it changed. */
export async function fetchKits(project: Pick<Project, 'file' | 'vendors' | 'override'>, lock: Lock, options: FetchKitsOptions): Promise<FetchedKit[]> {
  const fetched: FetchedKit[] = []
  for (const kit of lock.kit) {
    options.signal?.throwIfAborted()
    fetched.push(await fetchKit(project, kit, options))
  }

  await syncExternalKitMetadata(options.layout, lock)
  return fetched
}

/** Writes external-kit-metadata.json (canonical JSON {"kit":[LockedImage...],"sdk":LockedImage}) only when its bytes change; returns whether it wrote. */
export async function syncExternalKitMetadata(layout: BuildLayout, lock: Lock): Promise<boolean> {
  const content = canonicalJson({kit: lock.kit.map(lockedImageJson), sdk: lockedImageJson(lock.sdk)})
  const existing = await readFile(layout.externalKitMetadataFile).catch(() => undefined)
  if (existing?.equals(content)) return false
  await mkdir(layout.externalKitsDir, {recursive: true})
  await writeFileAtomic(layout.externalKitMetadataFile, content)
  return true
}

/** The fetched kits of the lock for layout.arch as package builds use them; throws a clear error naming `twoliter fetch` when one is missing. */
export async function fetchedKitRepos(layout: BuildLayout, lock: Lock, project: Pick<Project, 'override'>): Promise<Record<string, KitRepo>> {
  const repos: Record<string, KitRepo> = {}
  for (const kit of lock.kit) {
    const state = await fetchState(layout, kit, project)
    if (!state.fetched) {
      throw new TwoliterError(`the kit ${describeLockedImage(kit)} is not fetched for ${layout.arch}: ${state.reason}.`, {
        hint: `Run \`twoliter fetch --arch ${layout.arch}\`.`,
        code: 'fetch.kit-not-fetched',
      })
    }

    repos[`${kit.vendor}-${kit.name}`] = state.repo
  }

  return repos
}

/**
 * Whether every locked kit is fetched for layout.arch, without network: its digest file names the arch's
 * image in the cached manifest list the lock pins (for a path override: it was copied from that project,
 * whose repodata/repomd.xml has not changed since).
 */
export async function kitsAreFetched(layout: BuildLayout, lock: Lock, project: Pick<Project, 'override'>): Promise<boolean> {
  for (const kit of lock.kit) {
    if (!(await fetchState(layout, kit, project)).fetched) return false
  }

  return true
}

function lockedImageJson(image: LockedImage): {name: string; version: string; vendor: string; source: string; digest: string} {
  return {name: image.name, version: image.version, vendor: image.vendor, source: image.source, digest: image.digest}
}

async function fetchKit(project: Pick<Project, 'file' | 'vendors' | 'override'>, kit: LockedImage, options: FetchKitsOptions): Promise<FetchedKit> {
  const localProject = findImageOverride(project.override, kit.vendor, kit.name)?.path
  if (localProject !== undefined) return copyLocalKit(kit, localProject, options)
  const pullReference = ImageReference.parse(toProjectImage(project, kit).pull.toString())
  return fetchRegistryKit(kit, pullReference, options)
}

async function fetchRegistryKit(kit: LockedImage, pullReference: ImageReference, options: FetchKitsOptions): Promise<FetchedKit> {
  const {layout, logger} = options
  const target = layout.externalKitDir(kit.vendor, kit.name)
  const manifestList = await lockedManifestList(kit, pullReference, options)
  await checkSignature(kit, pullReference, manifestList, options)
  const image = imageForArch(kit, manifestList, layout.arch)
  const fetched = {name: kit.name, vendor: kit.vendor, version: kit.version, dir: target, digest: image.digest}
  if ((await readDigestFile(target)) === image.digest) {
    logger.debug(`kit ${describeLockedImage(kit)} for ${layout.arch} is up to date in ${target}`)
    return {...fetched, action: 'up-to-date'}
  }

  await extractCachedImage(kit, pullReference.withDigest(image.digest), target, options)
  logger.info(`Extracted kit ${describeLockedImage(kit)} for ${layout.arch} (${image.digest}) to ${target}`)
  return {...fetched, action: 'extracted'}
}

/** The tag's manifest list as Twoliter.lock pins it: from the cache when it is there, else from the registry. */
async function lockedManifestList(kit: LockedImage, pullReference: ImageReference, options: FetchKitsOptions): Promise<Buffer> {
  const cached = await readCachedManifestList(options.layout, kit)
  if (cached !== undefined) return cached
  const fetched = await inKitContext(kit, () => options.client.getManifest(pullReference))
  const actual = inKitContextSync(kit, () => lockDigest(fetched.bytes))
  if (actual !== kit.digest) {
    throw new TwoliterError(
      `the kit ${describeLockedImage(kit)} changed in the registry since Twoliter.lock was written: ${pullReference} now has the lock digest ${actual}, Twoliter.lock pins ${kit.digest}.`,
      {
        hint: 'Run `twoliter update` to pin the kit as it is now (and review what changed), or restore the image the lock pins.',
        code: 'fetch.lock-mismatch',
      },
    )
  }

  const file = manifestListCacheFile(options.layout, kit)
  if (file !== undefined) {
    await mkdir(path.dirname(file), {recursive: true})
    await writeFileAtomic(file, fetched.bytes)
  }

  return fetched.bytes
}

/**
 * Verifies the kit's image index against the vendor's keys, unless the cache records that one of them
 * verified it before: then an offline build can trust what it fetched earlier. Changing the vendor's keys
 * makes it check again.
 */
async function checkSignature(kit: LockedImage, pullReference: ImageReference, manifestList: Buffer, options: FetchKitsOptions): Promise<void> {
  const cacheFile = manifestListCacheFile(options.layout, kit)
  const recordFile = cacheFile === undefined ? undefined : `${cacheFile}${VERIFIED_SUFFIX}`
  if (options.trust.imageKeys(kit.vendor).length > 0 && options.trust.acceptsRecorded(kit, await readVerifiedKeyIds(recordFile))) return
  const verdict = await options.trust.verify(kit, pullReference.byDigest(sha256Digest(manifestList)).toString())
  if (verdict.verified && recordFile !== undefined) await writeFileAtomic(recordFile, `${JSON.stringify({keys: verdict.keyIds})}\n`)
}

async function readVerifiedKeyIds(file: string | undefined): Promise<string[] | undefined> {
  if (file === undefined) return undefined
  const text = await readFile(file, 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  try {
    const {keys} = JSON.parse(text) as {keys?: unknown}
    return Array.isArray(keys) ? keys.filter((key): key is string => typeof key === 'string') : undefined
  } catch {
    return undefined
  }
}

async function readCachedManifestList(layout: BuildLayout, kit: LockedImage): Promise<Buffer | undefined> {
  const file = manifestListCacheFile(layout, kit)
  const bytes = file === undefined ? undefined : await readFile(file).catch(() => undefined)
  return bytes !== undefined && lockDigestOrUndefined(bytes) === kit.digest ? bytes : undefined
}

/** `cache/index-<hex>` with the lock digest (base64 of a SHA-256) in hex; none for a digest that is no such thing. */
function manifestListCacheFile(layout: BuildLayout, kit: LockedImage): string | undefined {
  const hash = Buffer.from(kit.digest, 'base64')
  if (hash.length !== 32 || hash.toString('base64') !== kit.digest) return undefined
  return path.join(layout.externalKitCacheDir, `index-${hash.toString('hex')}`)
}

function lockDigestOrUndefined(bytes: Buffer): string | undefined {
  try {
    return lockDigest(bytes)
  } catch {
    return undefined
  }
}

/** The manifest list's entry for the arch, compared by architecture only, as twoliter 0.5 does. */
function imageForArch(kit: LockedImage, manifestList: Buffer, arch: string): Descriptor {
  const index = inKitContextSync(kit, () => parseImageIndex(manifestList, `the manifest list of ${kit.source}`))
  const architecture = linuxPlatform(arch).architecture
  const image = index.manifests.find((candidate) => candidate.platform?.architecture === architecture)
  if (image === undefined) {
    const available = index.manifests.flatMap((candidate) => (candidate.platform === undefined ? [] : [candidate.platform.architecture]))
    throw new TwoliterError(
      `could not find image for architecture ${arch} (${architecture}) of the kit ${describeLockedImage(kit)}: it has images for ${available.length === 0 ? 'no architecture' : available.join(', ')}.`,
      {
        hint: `Fetch and build for an architecture the kit is published for, or have its vendor publish it for ${arch}.`,
        code: 'fetch.arch-missing',
      },
    )
  }

  return image
}

/**
 * Replaces `target` with the image's layers from the cache, pulling the image into the cache first when
 * needed. A cache entry found damaged is pulled again, once.
 */
async function extractCachedImage(kit: LockedImage, imageReference: ImageReference, target: string, options: FetchKitsOptions): Promise<void> {
  const digest = imageReference.digest!
  for (let attempt = 1; ; attempt++) {
    const layoutDir = await ensureCachedImage(kit, imageReference, options)
    try {
      await replaceDirectory(target, (staging) => extractImage(kit, layoutDir, digest, staging, options.signal))
      return
    } catch (error) {
      if (!(error instanceof DamagedCacheEntry) || attempt > 1) throw error
      options.logger.warn(`${error.message}; removing it and pulling the image again`)
      await rm(layoutDir, {recursive: true, force: true})
    }
  }
}

/** `cache/sha256-<hex>`, complete: pulled into a staging directory and renamed into place when it is not. */
async function ensureCachedImage(kit: LockedImage, imageReference: ImageReference, options: FetchKitsOptions): Promise<string> {
  const {layout, client, logger} = options
  const digest = imageReference.digest!
  const {algorithm, hex} = parseDigest(digest)
  const dir = path.join(layout.externalKitCacheDir, `${algorithm}-${hex}`)
  if (await isCompleteCacheEntry(dir, digest)) return dir
  await mkdir(layout.externalKitCacheDir, {recursive: true})
  await removeAbandonedStaging(layout.externalKitCacheDir)
  const staging = stagingPath(dir, 'pull')
  // A damaged entry's blobs were checked when written; pullImage keeps those that are there.
  await renameIfExists(dir, staging)
  try {
    logger.debug(`pulling ${imageReference} into ${dir}`)
    await inKitContext(kit, () => pullImage(client, imageReference, linuxPlatform(layout.arch), staging))
    await rename(staging, dir).catch(async (error: unknown) => {
      // Another fetch of the same image finished first.
      if (!(await isCompleteCacheEntry(dir, digest))) throw error
    })
  } finally {
    await rm(staging, {recursive: true, force: true})
  }

  return dir
}

async function isCompleteCacheEntry(dir: string, digest: string): Promise<boolean> {
  try {
    const {manifests} = await readLayoutIndex(dir)
    if (manifests.length !== 1 || manifests[0].digest !== digest) return false
    const manifest = parseImageManifest(await readLayoutBlob(dir, digest), `the manifest ${digest} in ${dir}`)
    for (const blob of [manifest.config, ...manifest.layers]) await stat(layoutBlobPath(dir, blob.digest))
    return true
  } catch {
    return false
  }
}

/** An image layout in the cache that does not hold what its name promises. */
class DamagedCacheEntry extends TwoliterError {
  constructor(kit: LockedImage, dir: string, what: string) {
    super(`the cached image of the kit ${describeLockedImage(kit)} in ${dir} is damaged: ${what}`, {
      hint: `Delete ${dir} and fetch again.`,
      code: 'fetch.cache-damaged',
    })
  }
}

async function extractImage(kit: LockedImage, layoutDir: string, digest: string, staging: string, signal: AbortSignal | undefined): Promise<void> {
  const manifestBytes = await readLayoutBlob(layoutDir, digest).catch((error: unknown) => {
    throw new DamagedCacheEntry(kit, layoutDir, `its manifest cannot be read (${(error as Error).message})`)
  })
  const manifest = parseImageManifest(manifestBytes, `the manifest ${digest} of the kit ${describeLockedImage(kit)}`)
  await mkdir(staging, {recursive: true})
  for (const layer of manifest.layers) {
    signal?.throwIfAborted()
    await extractLayer(kit, layoutDir, layer, staging)
  }

  await writeFile(path.join(staging, DIGEST_FILE), digest)
}

async function extractLayer(kit: LockedImage, layoutDir: string, layer: Descriptor, staging: string): Promise<void> {
  const gzip = isGzipLayer(kit, layer)
  const file = layoutBlobPath(layoutDir, layer.digest)
  const hash = createHash('sha256')
  const hashedContent = async function* (): AsyncGenerator<Buffer> {
    for await (const chunk of createReadStream(file)) {
      hash.update(chunk as Buffer)
      yield chunk as Buffer
    }
  }

  try {
    await extractTarSafely(hashedContent(), staging, `the layer ${layer.digest} of the kit ${describeLockedImage(kit)}`, {gzip})
  } catch (error) {
    // A damaged blob makes a broken or odd archive: blame the cache rather than the image.
    if (!(await blobIsIntact(file, layer.digest))) throw new DamagedCacheEntry(kit, layoutDir, `the layer ${layer.digest} does not match its digest`)
    throw error
  }

  if (`sha256:${hash.digest('hex')}` !== layer.digest) throw new DamagedCacheEntry(kit, layoutDir, `the layer ${layer.digest} does not match its digest`)
}

/** Whether the layer is gzip-compressed; layers must be sha256-addressed tar or tar+gzip, as kits are. */
function isGzipLayer(kit: LockedImage, layer: Descriptor): boolean {
  const unsupported = (what: string): TwoliterError =>
    new TwoliterError(`the kit ${describeLockedImage(kit)} has a layer ${layer.digest} ${what}, which twoliter cannot extract.`, {
      hint: 'Kit images have sha256-addressed tar (or tar+gzip) layers; publish the kit again with `twoliter publish kit`.',
      code: 'fetch.layer-unsupported',
    })
  if (parseDigest(layer.digest).algorithm !== 'sha256') throw unsupported('that is not sha256-addressed')
  if (GZIP_LAYER_TYPES.includes(layer.mediaType)) return true
  if (TAR_LAYER_TYPES.includes(layer.mediaType)) return false
  throw unsupported(`of media type ${layer.mediaType}`)
}

async function blobIsIntact(file: string, digest: string): Promise<boolean> {
  try {
    return (await digestOfStream(createReadStream(file))).digest === digest
  } catch {
    return false
  }
}

/** A path override: the local project's built kit, copied (containers mount it), its digest unchecked. */
async function copyLocalKit(kit: LockedImage, projectDir: string, options: FetchKitsOptions): Promise<FetchedKit> {
  const {layout, logger} = options
  const source = localKitRepoDir(layout, projectDir, kit)
  if (!(await isDirectory(path.join(source, 'repodata')))) {
    throw new TwoliterError(`Twoliter.override takes the kit ${describeLockedImage(kit)} from ${projectDir}, but ${source} holds no built kit for ${layout.arch} (no repodata/).`, {
      hint: `Run \`twoliter build kit ${kit.name} --arch ${layout.arch}\` in ${projectDir} first.`,
      code: 'fetch.local-kit-missing',
    })
  }

  logger.warn(`the digest of the kit ${describeLockedImage(kit)} is not checked: Twoliter.override points it at the local project ${projectDir}.`)
  const target = layout.externalKitDir(kit.vendor, kit.name)
  const digest = localDigest(projectDir)
  await replaceDirectory(target, async (staging) => {
    await cp(source, staging, {recursive: true, verbatimSymlinks: true})
    await writeFile(path.join(staging, DIGEST_FILE), digest)
  })
  logger.info(`Copied kit ${kit.name} for ${layout.arch} from ${source} to ${target}`)
  return {name: kit.name, vendor: kit.vendor, version: kit.version, dir: target, digest, action: 'local'}
}

function localKitRepoDir(layout: BuildLayout, projectDir: string, kit: LockedImage): string {
  return new BuildLayout(projectDir, layout.arch).kitRepoDir(kit.name)
}

function localDigest(projectDir: string): string {
  return `${LOCAL_DIGEST_PREFIX}${projectDir}`
}

type FetchState = {fetched: true; repo: KitRepo} | {fetched: false; reason: string}

/** Whether the kit's directory holds what the lock (or the path override) says it should, without network. */
async function fetchState(layout: BuildLayout, kit: LockedImage, project: Pick<Project, 'override'>): Promise<FetchState> {
  const target = layout.externalKitDir(kit.vendor, kit.name)
  const recorded = await readDigestFile(target)
  if (recorded === undefined) return {fetched: false, reason: `${target} does not exist or has no ${DIGEST_FILE} file`}
  const localProject = findImageOverride(project.override, kit.vendor, kit.name)?.path
  if (localProject !== undefined) return localFetchState(layout, kit, localProject, target, recorded)
  const manifestList = await readCachedManifestList(layout, kit)
  if (manifestList === undefined) return {fetched: false, reason: `the manifest list Twoliter.lock pins is not in ${layout.externalKitCacheDir}`}
  let expected: string
  try {
    expected = imageForArch(kit, manifestList, layout.arch).digest
  } catch (error) {
    if (!(error instanceof TwoliterError)) throw error
    return {fetched: false, reason: error.message}
  }

  if (recorded !== expected) return {fetched: false, reason: `${target} holds ${recorded}, not the image Twoliter.lock pins (${expected})`}
  return {fetched: true, repo: {dir: target, digest: recorded}}
}

/**
 * A copied local kit is current while it comes from the same project and its repodata/repomd.xml (which
 * checksums the rest of the repository) equals the local build's. Its repo digest includes that
 * checksum so that package builds see a rebuilt local kit as a change.
 */
async function localFetchState(layout: BuildLayout, kit: LockedImage, projectDir: string, target: string, recorded: string): Promise<FetchState> {
  if (recorded !== localDigest(projectDir)) return {fetched: false, reason: `${target} was not copied from ${projectDir}, where Twoliter.override points`}
  const copied = await repomdDigest(target)
  const built = await repomdDigest(localKitRepoDir(layout, projectDir, kit))
  if (copied === undefined || copied !== built) return {fetched: false, reason: `the kit built in ${projectDir} changed since it was copied`}
  return {fetched: true, repo: {dir: target, digest: `${recorded}#${copied}`}}
}

async function repomdDigest(repoDir: string): Promise<string | undefined> {
  const content = await readFile(path.join(repoDir, 'repodata', 'repomd.xml')).catch(() => undefined)
  return content === undefined ? undefined : `sha256:${createHash('sha256').update(content).digest('hex')}`
}

async function readDigestFile(target: string): Promise<string | undefined> {
  const content = await readFile(path.join(target, DIGEST_FILE), 'utf8').catch(() => undefined)
  return content?.trim()
}

/**
 * Fills a staging sibling of `dir` (which `fill` creates) and renames it into place, so `dir` is never half
 * written: it is the old content, or the new, or (after a crash between the two renames) absent.
 */
async function replaceDirectory(dir: string, fill: (staging: string) => Promise<void>): Promise<void> {
  await mkdir(path.dirname(dir), {recursive: true})
  await removeAbandonedStaging(path.dirname(dir))
  const staging = stagingPath(dir, 'new')
  try {
    await fill(staging)
  } catch (error) {
    await rm(staging, {recursive: true, force: true})
    throw error
  }

  const old = stagingPath(dir, 'old')
  const hadOld = await renameIfExists(dir, old)
  try {
    await rename(staging, dir)
  } catch (error) {
    if (hadOld) await rename(old, dir).catch(() => undefined)
    await rm(staging, {recursive: true, force: true})
    throw error
  }

  if (hadOld) await rm(old, {recursive: true, force: true})
}

const STAGING_NAME = /^\..+\.(?:new|old|pull)-(\d+)-[\da-f]{12}$/

function stagingPath(dir: string, kind: 'new' | 'old' | 'pull'): string {
  return path.join(path.dirname(dir), `.${path.basename(dir)}.${kind}-${process.pid}-${randomBytes(6).toString('hex')}`)
}

/** Staging directories of fetches that were killed; those of running processes are theirs. */
async function removeAbandonedStaging(parent: string): Promise<void> {
  const names = await readdir(parent).catch(() => [] as string[])
  for (const name of names) {
    const pid = STAGING_NAME.exec(name)?.[1]
    if (pid !== undefined && !isAlive(Number(pid))) await rm(path.join(parent, name), {recursive: true, force: true})
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  return stat(dir).then(
    (stats) => stats.isDirectory(),
    () => false,
  )
}

/** Renames `from` when it exists; returns whether it did. */
async function renameIfExists(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to)
    return true
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false
    throw error
  }
}

/** Registry and image errors, with the kit they happened for in front. */
async function inKitContext<T>(kit: LockedImage, action: () => Promise<T>): Promise<T> {
  try {
    return await action()
  } catch (error) {
    throw withKitContext(kit, error)
  }
}

function inKitContextSync<T>(kit: LockedImage, action: () => T): T {
  try {
    return action()
  } catch (error) {
    throw withKitContext(kit, error)
  }
}

function withKitContext(kit: LockedImage, error: unknown): unknown {
  if (!(error instanceof TwoliterError)) return error
  return new TwoliterError(`cannot fetch the kit ${describeLockedImage(kit)}: ${error.message}`, {hint: error.hint, code: error.code, cause: error})
}
