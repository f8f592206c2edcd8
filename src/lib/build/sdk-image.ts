import {mkdir, mkdtemp, readFile, rm} from 'node:fs/promises'
import path from 'node:path'

import type {Engine} from '../engine/index.js'
import {TwoliterError} from '../errors.js'
import {writeFileAtomic} from '../fs/atomic.js'
import {ImageReference, type RegistryClient, layoutToDockerArchive, linuxPlatform, parseImageIndex, parseImageManifest, platformMatches, pullImage} from '../oci/index.js'
import {type Lock, type LockedImage, lockDigest} from '../project/lock.js'
import {describeImageRef, toProjectImage} from '../project/project-image.js'
import type {Project} from '../project/project.js'
import type {ImageTrust} from '../signing/image-trust.js'
import type {Logger} from '../ui/logger.js'
import {hostArch} from './arch.js'

export interface SdkImage {
  /** The reference the build runs, with Twoliter.override applied. */
  image: string
  /** The engine's image id: part of every package's inputs. */
  id: string
}

export interface SdkImageOptions {
  lock?: Lock
  /** A registry client, made only when the registry must be asked. */
  client: () => RegistryClient
  /** twoliter's cache directory: where verified SDK images are remembered. */
  cacheDir: string
  logger: Logger
  /** Checks the locked SDK's signature against its vendor's keys. */
  trust: ImageTrust
  signal?: AbortSignal
}

/**
 * The SDK a build uses. Without a lock: the image [sdk] names (Twoliter.override applied), from the engine.
 * With a lock: the lock's SDK, the engine's copy when its image id is the configuration digest of the
 * locked manifest list's image for this host (remembered once checked, so later builds stay offline),
 * else pulled, checked against the lock and loaded into the engine. A vendor with signing keys must have
 * signed the locked image index; the check is remembered with the ids of the keys that made it.
 */
export async function resolveSdkImage(project: Project, engine: Engine, options: SdkImageOptions): Promise<SdkImage> {
  if (options.lock !== undefined) return lockedSdkImage(project, engine, options.lock.sdk, options)
  return sdkImageInEngine(project, engine)
}

/** The image [sdk] names (Twoliter.override applied), as the engine has it; no registry is asked. */
export async function sdkImageInEngine(project: Project, engine: Engine): Promise<SdkImage> {
  if (!project.sdk) {
    throw new TwoliterError(`${project.file} has no [sdk] table and there is no Twoliter.lock, so twoliter does not know which SDK to build with.`, {
      hint: 'Add one, e.g. `[sdk] name = "bottlerocket-sdk", version = "0.42.0", vendor = "bottlerocket"` (or build the local SDK with `twoliter sdk build-local` and name its image there), or declare [[kit]]s: the project then builds with the SDK they were built with.',
      code: 'build.no-sdk',
    })
  }

  const image = toProjectImage(project, project.sdk).pull.toString()
  const id = await engine.imageId(image)
  if (!id) {
    throw new TwoliterError(`the SDK image ${image} is not in the container engine.`, {
      hint: `Build the local SDK under that name with \`twoliter sdk build-local\` (run in the project), or pull ${image} into the engine; builds pull it themselves (through \`twoliter update\`) when its registry answers.`,
      code: 'build.sdk-missing',
    })
  }

  return {image, id}
}

async function lockedSdkImage(project: Project, engine: Engine, locked: LockedImage, options: SdkImageOptions): Promise<SdkImage> {
  const image = toProjectImage(project, locked).pull.toString()
  const id = await engine.imageId(image)
  const remembered = (await readVerifiedSdks(options.cacheDir))[locked.digest]
  if (id !== undefined && remembered?.id === id) {
    // Without vendor keys, verify only accepts (with its warning) or refuses: it asks no registry.
    if (options.trust.imageKeys(locked.vendor).length === 0) await options.trust.verify(locked, image, 'SDK')
    if (options.trust.acceptsRecorded(locked, remembered.keyIds)) return {image, id}
  }

  const client = options.client()
  let expectedId: string
  let manifestDigest: string
  let indexDigest: string
  try {
    ;({expectedId, manifestDigest, indexDigest} = await lockedImageConfig(client, image, locked))
  } catch (error) {
    if (!(error instanceof TwoliterError) || id === undefined || error.code.startsWith('sdk.')) throw error
    throw new TwoliterError(`cannot check that the engine's ${image} is the SDK Twoliter.lock pins (${describeImageRef(locked)}): ${error.message}`, {
      hint: 'Connect to the registry once: twoliter remembers the check, and later builds need no network.',
      code: 'sdk.unverified',
      cause: error,
    })
  }

  const verdict = await options.trust.verify(locked, ImageReference.parse(image).byDigest(indexDigest).toString(), 'SDK')
  if (id !== expectedId) {
    options.logger.info(`Pulling the SDK ${image} (${describeImageRef(locked)}) into the container engine.`)
    await mkdir(options.cacheDir, {recursive: true})
    const dir = await mkdtemp(path.join(options.cacheDir, 'sdk-pull-'))
    try {
      const pulled = await pullImage(client, ImageReference.parse(image).withDigest(manifestDigest), linuxPlatform(hostArch()), dir)
      await engine.loadImage(await layoutToDockerArchive(pulled.dir, image), {signal: options.signal})
    } finally {
      await rm(dir, {recursive: true, force: true})
    }

    const loaded = await engine.imageId(image)
    if (loaded !== expectedId) {
      throw new TwoliterError(`the SDK image loaded as ${image} has the id ${loaded ?? 'none'}, not ${expectedId} as the locked manifest says.`, {
        hint: 'Check the container engine (`docker image inspect`) and run the build again.',
        code: 'sdk.load-mismatch',
      })
    }
  }

  await rememberVerifiedSdk(options.cacheDir, locked.digest, expectedId, verdict.verified ? verdict.keyIds : undefined)
  return {image, id: expectedId}
}

/** The configuration digest (the engine's image id) of the host's image in the locked manifest list. */
async function lockedImageConfig(client: RegistryClient, image: string, locked: LockedImage): Promise<{expectedId: string; manifestDigest: string; indexDigest: string}> {
  const index = await client.getManifest(image)
  const digest = lockDigest(index.bytes)
  if (digest !== locked.digest) {
    throw new TwoliterError(`the SDK ${image} in its registry is not the one Twoliter.lock pins: its digest is ${digest}, the lock says ${locked.digest}.`, {
      hint: 'Run `twoliter update` if the SDK was republished on purpose; otherwise check the registry and Twoliter.override.',
      code: 'sdk.lock-mismatch',
    })
  }

  const platform = linuxPlatform(hostArch())
  const entry = parseImageIndex(index.bytes, `the manifest list of ${image}`).manifests.find((candidate) => platformMatches(candidate.platform, platform))
  if (entry === undefined) {
    throw new TwoliterError(`the SDK ${image} has no image for this host's architecture (${hostArch()}).`, {hint: 'Use an SDK published for this architecture.', code: 'sdk.platform-missing'})
  }

  const manifest = parseImageManifest((await client.getManifest(ImageReference.parse(image).withDigest(entry.digest))).bytes, `the manifest of ${image}`)
  return {expectedId: manifest.config.digest, manifestDigest: entry.digest, indexDigest: index.digest}
}

function verifiedSdksFile(cacheDir: string): string {
  return path.join(cacheDir, 'verified-sdk-images.json')
}

/** An SDK image that was checked: the engine image id it is, and the ids of the trusted keys whose signature verified it. */
interface VerifiedSdk {
  id: string
  keyIds?: string[]
}

/** Lock digest of an SDK → what was checked about it. Older twoliters wrote the image id alone. */
async function readVerifiedSdks(cacheDir: string): Promise<Record<string, VerifiedSdk>> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(verifiedSdksFile(cacheDir), 'utf8'))
  } catch {
    return {}
  }

  if (typeof parsed !== 'object' || parsed === null) return {}
  const verified: Record<string, VerifiedSdk> = {}
  for (const [digest, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof value === 'string') verified[digest] = {id: value}
    else if (typeof value === 'object' && value !== null && typeof (value as VerifiedSdk).id === 'string') {
      const {id, keyIds} = value as VerifiedSdk
      verified[digest] = {id, keyIds: Array.isArray(keyIds) ? keyIds.filter((keyId) => typeof keyId === 'string') : undefined}
    }
  }

  return verified
}

/** Remembers that the engine's image `id` is the SDK whose manifest list has `lockDigest` (after a push, or a check). */
export async function rememberVerifiedSdk(cacheDir: string, digest: string, id: string, keyIds?: string[]): Promise<void> {
  const verified = await readVerifiedSdks(cacheDir)
  await mkdir(cacheDir, {recursive: true})
  await writeFileAtomic(verifiedSdksFile(cacheDir), JSON.stringify({...verified, [digest]: {id, keyIds}}, null, 2) + '\n')
}
