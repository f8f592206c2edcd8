/**
 * The resolution behind `twoliter update`, as twoliter 0.5's `Lock::resolve`: breadth first from the
 * [[kit]] entries of Twoliter.toml, each kit's manifest list pinned by its lock digest and its metadata
 * (read from every per-architecture image) followed to the kits and the SDK it was built with. Requests
 * run in parallel, yet the outcome (the lock's order, which error is reported) is that of the sequential
 * algorithm. Every kit and SDK keeps the dependency paths that brought it in, for conflict messages.
 */

import {basename} from 'node:path'

import {TwoliterError} from '../errors.js'
import {type Descriptor, type FetchedManifest, ImageReference, parseImageIndex, parseImageManifest, type RegistryClient} from '../oci/index.js'
import {isIndexMediaType, parseJsonObject} from '../oci/manifest.js'
import {type Lock, LOCK_SCHEMA_VERSION, type LockedImage, lockDigest} from '../project/lock.js'
import {describeImageRef, describeProjectImage, type ProjectImage, toProjectImage} from '../project/project-image.js'
import type {ImageRef, Project} from '../project/project.js'
import type {Logger} from '../ui/logger.js'
import {decodeKitMetadata, KIT_METADATA_LABEL, type KitImageMetadata} from './metadata.js'

export interface ResolveOptions {
  client: RegistryClient
  logger: Logger
  /** parallel registry requests, default 16 */
  concurrency?: number
}

export interface ResolvedKit {
  locked: LockedImage
  metadata: KitImageMetadata
  /** The image index as its registry serves it, by digest: what kit signatures sign. */
  index: ImageReference
  /**
   * every path from Twoliter.toml that brought the kit in, e.g. [['kit-b-1.0.0@v','core-1.0.0@v']]: one per
   * time it is named (by Twoliter.toml or a kit's metadata), through the path by which the naming kit
   * was first reached, so the list stays as long as the number of namings, never exponential.
   */
  paths: string[][]
}

export interface Resolution {
  lock: Lock
  kits: ResolvedKit[]
  /** what named the SDK: 'Twoliter.toml [sdk]' and/or kit paths */
  sdkPaths: string[][]
  /** The SDK's image index in its registry, by the digest the registry gives it (what a signature names). */
  sdkIndex: ImageReference
}

type ResolvableProject = Pick<Project, 'file' | 'sdk' | 'kits' | 'vendors' | 'override'>

export const DEFAULT_RESOLVE_CONCURRENCY = 16
/** Kit image configurations are a few kilobytes; this only bounds what a broken registry can make us hold. */
const MAX_CONFIG_BYTES = 4 * 1024 * 1024
/** Conflict messages list this many paths per side, then say how many more there are. */
const MAX_PATHS_SHOWN = 5

/**
 * Resolves the project's kits and SDK against their registries. Twoliter.override redirects where images
 * are pulled from (the lock keeps the verbatim sources); overrides naming a local project (`path`) are
 * ignored: the lock always pins registry images.
 */
export async function resolveLock(project: ResolvableProject, options: ResolveOptions): Promise<Resolution> {
  return new Resolver(project, options).resolve()
}

/**
 * A dependency path as text: `Twoliter.toml → a-1.0.0@v → core-1.0.0@v`, or `Twoliter.toml [sdk]`.
 * `projectFile` names the project file (Twoliter.toml unless given with --project-path).
 */
export function describeDependencyPath(path: readonly string[], projectFile = 'Twoliter.toml'): string {
  // Kit identifiers have no spaces, so a single element with one is the [sdk] table.
  if (path.length === 1 && path[0].includes(' ')) return path[0]
  return [basename(projectFile), ...path].join(' → ')
}

/** One time a kit is named: by Twoliter.toml, or by the metadata of the kit before it in `path`. */
interface Visit {
  ref: ImageRef
  /** From the [[kit]] entry of Twoliter.toml to this kit, both included. */
  path: string[]
}

interface FetchedKit {
  locked: LockedImage
  metadata: KitImageMetadata
  index: ImageReference
}

/** What the registry holds for one kit's tag, not yet interpreted: fetched as soon as the kit is named anywhere. */
interface KitImages {
  image: ProjectImage
  list: FetchedManifest
  /** The per-architecture images with their configuration labels; undefined when the tag is not an image index. */
  images?: Array<{descriptor: Descriptor; labels: Record<string, unknown> | undefined}>
}

interface SdkCandidate {
  ref: ImageRef
  paths: string[][]
}

/**
 * The traversal interprets kits strictly in breadth-first order (lock order, which error wins), while
 * their images are fetched ahead: a kit's dependencies as soon as its own metadata arrives.
 */
class Resolver {
  private readonly client: RegistryClient
  private readonly logger: Logger
  private readonly limiter: RequestLimiter
  private readonly projectFileName: string
  /** Kit images by (name, vendor, version), fetched or being fetched. */
  private readonly fetches = new Map<string, Promise<KitImages>>()
  private readonly sdkFetches = new Map<string, Promise<FetchedManifest>>()
  /** Every path to each kit version named anywhere, including versions that conflict. */
  private readonly kitPaths = new Map<string, string[][]>()
  /** The version resolved for each (name, vendor). */
  private readonly versions = new Map<string, string>()
  private readonly sdks = new Map<string, SdkCandidate>()
  /** (name, vendor) of the first kit found in two versions: reported once the traversal is over. */
  private conflict: string | undefined

  constructor(
    private readonly project: ResolvableProject,
    options: ResolveOptions,
  ) {
    this.client = options.client
    this.logger = options.logger
    this.limiter = new RequestLimiter(options.concurrency ?? DEFAULT_RESOLVE_CONCURRENCY)
    this.projectFileName = basename(project.file)
  }

  async resolve(): Promise<Resolution> {
    try {
      return await this.resolveAll()
    } catch (error) {
      // Leave no request running behind the error: queued ones are dropped, running ones awaited.
      this.limiter.stop()
      await Promise.allSettled([...this.fetches.values(), ...this.sdkFetches.values()])
      throw error
    }
  }

  private async resolveAll(): Promise<Resolution> {
    if (this.project.sdk !== undefined) {
      this.addSdk(this.project.sdk, [`${this.projectFileName} [sdk]`])
      this.prefetchSdk(this.project.sdk)
    }

    const kits = await this.traverse()
    if (this.conflict !== undefined) throw this.versionConflictError(this.conflict)
    const sdk = this.chooseSdk()
    const {locked: lockedSdk, index: sdkIndex} = await this.resolveSdk(sdk)
    return {
      lock: {schemaVersion: LOCK_SCHEMA_VERSION, sdk: lockedSdk, kit: kits.map((kit) => kit.locked)},
      kits,
      sdkPaths: sdk.paths,
      sdkIndex,
    }
  }

  /** Breadth first, in declaration order; a queue gives the same order as twoliter 0.5's level-by-level loop. */
  private async traverse(): Promise<ResolvedKit[]> {
    const queue: Visit[] = this.project.kits.map((ref) => ({ref, path: [describeImageRef(ref)]}))
    for (const visit of queue) this.prefetch(visit.ref)
    const resolved: ResolvedKit[] = []
    for (const visit of queue) {
      const {ref} = visit
      this.recordPath(visit)
      const known = this.versions.get(kitKey(ref))
      if (known !== undefined) {
        if (known !== ref.version) this.conflict ??= kitKey(ref)
        continue
      }

      this.versions.set(kitKey(ref), ref.version)
      try {
        const fetched = await this.takeKit(visit)
        resolved.push({...fetched, paths: this.kitPaths.get(versionKey(ref))!})
        for (const dependency of fetched.metadata.kit) queue.push({ref: dependency, path: [...visit.path, describeImageRef(dependency)]})
      } catch (error) {
        // twoliter 0.5 stops at the conflict, before any later kit fails.
        if (this.conflict !== undefined) throw this.versionConflictError(this.conflict)
        throw error
      }
    }

    return resolved
  }

  /** The kit interpreted along the path that first named it, with the SDK it names added to the SDK set. */
  private async takeKit(visit: Visit): Promise<FetchedKit> {
    const subject = `kit ${describeImageRef(visit.ref)} (${describeDependencyPath(visit.path, this.projectFileName)})`
    if (!this.vendorDeclared(visit.ref)) throw this.unknownVendorError(visit.ref, visit.path, 'kit')
    this.prefetch(visit.ref)
    let images: KitImages
    try {
      images = await this.fetches.get(versionKey(visit.ref))!
    } catch (error) {
      throw about(subject, error)
    }

    const fetched = this.interpret(visit.ref, images, subject)
    this.logger.debug(`resolved ${subject}: ${fetched.locked.digest}`)
    this.addSdk(fetched.metadata.sdk, visit.path, visit)
    return fetched
  }

  private interpret(ref: ImageRef, {image, list, images}: KitImages, subject: string): FetchedKit {
    if (images === undefined) {
      throw new TwoliterError(`${subject}: ${list.reference} is a single image (${list.mediaType}), not an image index (manifest list) of per-architecture images.`, {
        hint: 'Kits are published as an image index; publish the kit with `twoliter publish kit`, or check the version and Twoliter.override.',
        code: 'update.not-an-index',
      })
    }

    if (images.length === 0) {
      throw new TwoliterError(`${subject}: the image index at ${list.reference} lists no images, so it carries no kit metadata; it appears not to be a kit.`, {
        hint: 'Check the kit\'s name, vendor and version in Twoliter.toml, and Twoliter.override.',
        code: 'kit.not-a-kit',
      })
    }

    const metadata = agreeingMetadata(images, list.reference, subject)
    if (metadata.name !== ref.name || metadata.version !== ref.version) {
      // twoliter 0.5 does not check this, so it stays a warning: projects that resolve there resolve here.
      this.logger.warn(
        `${subject}: the image at ${list.reference} says it is kit ${metadata.name}-${metadata.version}, not ${ref.name}-${ref.version}; check Twoliter.override and that the vendor published the right image under this tag.`,
      )
    }

    return {locked: {...ref, source: image.source.toString(), digest: lockDigest(list.bytes)}, metadata, index: list.reference.byDigest(list.digest)}
  }

  private prefetch(ref: ImageRef): void {
    const key = versionKey(ref)
    if (this.fetches.has(key) || !this.vendorDeclared(ref)) return
    const fetch = this.fetchImages(ref)
    // Kits fetched ahead may never be interpreted (a conflicting version); their failures must not go unhandled.
    fetch.catch(() => {})
    this.fetches.set(key, fetch)
  }

  private async fetchImages(ref: ImageRef): Promise<KitImages> {
    const image = toProjectImage(this.project, ref)
    this.logger.debug(`fetching ${describeProjectImage(image)}`)
    const list = await this.limiter.run(() => this.client.getManifest(pullReference(image)))
    if (!isIndexMediaType(list.mediaType)) return {image, list}
    const {manifests} = parseImageIndex(list.bytes, `the image index at ${list.reference}`)
    const labels = await settleInOrder(manifests.map((descriptor) => this.imageLabels(list.reference, descriptor)))
    const kit = {image, list, images: manifests.map((descriptor, position) => ({descriptor, labels: labels[position]}))}
    this.prefetchDependencies(kit)
    return kit
  }

  /** The labels of one per-architecture image's configuration. */
  private async imageLabels(index: ImageReference, descriptor: Descriptor): Promise<Record<string, unknown> | undefined> {
    const where = `the ${architectureOf(descriptor)} image at ${index}`
    const reference = ImageReference.of(index, {digest: descriptor.digest})
    const manifest = parseImageManifest((await this.limiter.run(() => this.client.getManifest(reference))).bytes, where)
    const configBytes = await this.limiter.run(() => this.client.getBlob(index, manifest.config.digest, MAX_CONFIG_BYTES))
    const config = parseJsonObject(configBytes, `the configuration of ${where}`).config
    const labels = isObject(config) ? config.Labels : undefined
    return isObject(labels) ? labels : undefined
  }

  /** A guess from the first image's metadata; the traversal checks it properly when it gets to the kit. */
  private prefetchDependencies(kit: KitImages): void {
    let metadata: KitImageMetadata
    try {
      metadata = decodeKitMetadata(kit.images?.[0]?.labels, `${kit.list.reference}`)
    } catch {
      return
    }

    for (const dependency of metadata.kit) this.prefetch(dependency)
    this.prefetchSdk(metadata.sdk)
  }

  private prefetchSdk(ref: ImageRef): void {
    const key = versionKey(ref)
    if (this.sdkFetches.has(key) || !this.vendorDeclared(ref)) return
    const image = toProjectImage(this.project, ref)
    const fetch = this.limiter.run(() => this.client.getManifest(pullReference(image)))
    fetch.catch(() => {})
    this.sdkFetches.set(key, fetch)
  }

  private recordPath(visit: Visit): void {
    const key = versionKey(visit.ref)
    const paths = this.kitPaths.get(key) ?? []
    paths.push(visit.path)
    this.kitPaths.set(key, paths)
  }

  private addSdk(ref: ImageRef, path: string[], namedBy?: Visit): void {
    if (namedBy !== undefined && !this.vendorDeclared(ref)) throw this.unknownVendorError(ref, namedBy.path, 'sdk')
    const key = versionKey(ref)
    const candidate = this.sdks.get(key) ?? {ref: {name: ref.name, version: ref.version, vendor: ref.vendor}, paths: []}
    candidate.paths.push(path)
    this.sdks.set(key, candidate)
  }

  private chooseSdk(): SdkCandidate {
    const candidates = [...this.sdks.values()]
    if (candidates.length === 1) return candidates[0]
    if (candidates.length === 0) {
      throw new TwoliterError('no sdk was found for use, please specify a sdk in Twoliter.toml.', {
        location: {file: this.project.file},
        hint: `Add an [sdk] table to ${this.projectFileName}, e.g. \`[sdk] name = "bottlerocket-sdk" version = "0.50.0" vendor = "bottlerocket"\`, or a [[kit]] (whose SDK is then used).`,
        code: 'update.no-sdk',
      })
    }

    const found = candidates.map((candidate) => describeImageRef(candidate.ref)).join(', ')
    const named = candidates.map((candidate) => `${describeImageRef(candidate.ref)} is named by ${this.describePaths(candidate.paths)}`)
    throw new TwoliterError(`cannot use multiple sdks (found sdk: ${found}): ${named.join('; ')}.`, {
      location: {file: this.project.file},
      hint: `All kits must be built with one SDK, and it must be the [sdk] of ${this.projectFileName} when there is one: change [sdk], or use kit versions built with the same SDK.`,
      code: 'update.sdk-conflict',
    })
  }

  /** The SDK is pinned by its digest only: its metadata is never read. */
  private async resolveSdk(sdk: SdkCandidate): Promise<{locked: LockedImage; index: ImageReference}> {
    const image = toProjectImage(this.project, sdk.ref)
    this.prefetchSdk(sdk.ref)
    let list: FetchedManifest
    try {
      list = await this.sdkFetches.get(versionKey(sdk.ref))!
    } catch (error) {
      throw about(`the SDK ${describeImageRef(sdk.ref)} (named by ${this.describePaths(sdk.paths)})`, error)
    }

    this.logger.debug(`resolved the SDK ${describeProjectImage(image)}`)
    return {locked: {...sdk.ref, source: image.source.toString(), digest: lockDigest(list.bytes)}, index: list.reference.byDigest(list.digest)}
  }

  private vendorDeclared(ref: ImageRef): boolean {
    return Object.hasOwn(this.project.vendors, ref.vendor)
  }

  private unknownVendorError(ref: ImageRef, path: string[], what: 'kit' | 'sdk'): TwoliterError {
    const declared = Object.keys(this.project.vendors)
    const namedBy =
      what === 'kit'
        ? `kit ${describeImageRef(ref)}, required by ${describeDependencyPath(path, this.projectFileName)},`
        : `the SDK ${describeImageRef(ref)} of kit ${path.at(-1)} (${describeDependencyPath(path, this.projectFileName)})`
    return new TwoliterError(
      `Could not find defined vendor for image: ${namedBy} has the vendor '${ref.vendor}', which ${this.projectFileName} does not declare (${declared.length === 0 ? 'it declares no vendors' : `declared: ${declared.join(', ')}`}).`,
      {
        location: {file: this.project.file},
        hint: `Add a [vendor.${ref.vendor}] table with the registry that publishes its images to ${this.projectFileName}, e.g. \`[vendor.${ref.vendor}] registry = "public.ecr.aws/${ref.vendor}"\`.`,
        code: 'update.unknown-vendor',
      },
    )
  }

  private versionConflictError(key: string): TwoliterError {
    const versions = [...this.kitPaths.entries()].filter(([candidate]) => candidate.startsWith(`${key}@`))
    const described = versions.map(([, paths]) => `${paths[0].at(-1)} is required by ${this.describePaths(paths)}`)
    const [first, second] = versions.map(([, paths]) => paths[0].at(-1))
    const [name, vendor] = key.split('@')
    return new TwoliterError(`cannot have multiple versions of the same kit (${first} != ${second}): ${described.join('; ')}.`, {
      location: {file: this.project.file},
      hint: `A kit can be used in one version only: change the [[kit]] versions in ${this.projectFileName} so that all of them were built against the same version of ${name}@${vendor}.`,
      code: 'update.kit-version-conflict',
    })
  }

  private describePaths(paths: string[][]): string {
    const shown = paths.slice(0, MAX_PATHS_SHOWN).map((path) => describeDependencyPath(path, this.projectFileName))
    const more = paths.length - shown.length
    return more > 0 ? `${shown.join(', ')} and ${more} more path${more === 1 ? '' : 's'}` : shown.join(', ')
  }
}

/** Where an image is pulled from: Twoliter.override's registry or name if set; a local `path` override does not apply here. */
function pullReference(image: ProjectImage): string {
  return (image.override?.path === undefined ? image.pull : image.source).toString()
}

/** A failure while fetching, told as being about the kit or SDK and the path that brought it in. */
function about(subject: string, error: unknown): unknown {
  if (!(error instanceof TwoliterError) || error instanceof StoppedError) return error
  return new TwoliterError(`${subject}: ${error.message}`, {hint: error.hint, code: error.code, exitCode: error.exitCode, location: error.location, cause: error})
}

/** Each image's metadata must decode, and be the same label, byte for byte, on every architecture. */
function agreeingMetadata(images: NonNullable<KitImages['images']>, index: ImageReference, subject: string): KitImageMetadata {
  const decoded = images.map(({descriptor, labels}) => decodeKitMetadata(labels, `the ${architectureOf(descriptor)} image of ${subject} at ${index}`))
  const values = images.map(({labels}) => labels![KIT_METADATA_LABEL] as string)
  if (values.every((value) => value === values[0])) return decoded[0]
  const groups = new Map<string, string[]>()
  for (const [position, value] of values.entries()) groups.set(value, [...(groups.get(value) ?? []), architectureOf(images[position].descriptor)])
  const described = [...groups.entries()].map(([value, arches]) => `${arches.join(', ')}: ${summarizeMetadata(decoded[values.indexOf(value)])}`)
  throw new TwoliterError(`${subject}: the metadata does not match between the images of its index at ${index} (${KIT_METADATA_LABEL} differs; ${described.join('; ')}).`, {
    hint: 'Every architecture of a kit must be built from the same Twoliter.lock; rebuild and publish the kit for all architectures together.',
    code: 'update.metadata-mismatch',
  })
}

function kitKey(ref: ImageRef): string {
  return `${ref.name}@${ref.vendor}`
}

function versionKey(ref: ImageRef): string {
  return `${kitKey(ref)}@${ref.version}`
}

function architectureOf(descriptor: Descriptor): string {
  return descriptor.platform?.architecture ?? `untagged (${descriptor.digest})`
}

function summarizeMetadata(metadata: KitImageMetadata): string {
  const kits = metadata.kit.length === 0 ? 'no kits' : `kits ${metadata.kit.map(describeImageRef).join(', ')}`
  return `${metadata.name}-${metadata.version} built with ${describeImageRef(metadata.sdk)} and ${kits}`
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Awaits all, then throws the first failure in the given order (not the first to happen). */
async function settleInOrder<T>(promises: Array<Promise<T>>): Promise<T[]> {
  const outcomes = await Promise.allSettled(promises)
  const failed = outcomes.find((outcome) => outcome.status === 'rejected')
  if (failed !== undefined) throw failed.reason
  return outcomes.map((outcome) => (outcome as PromiseFulfilledResult<T>).value)
}

class StoppedError extends TwoliterError {
  constructor() {
    super('resolution stopped after an error', {code: 'update.stopped'})
  }
}

/** At most `limit` requests at a time; after stop(), queued ones fail instead of running. */
class RequestLimiter {
  private running = 0
  private stopped = false
  private readonly waiting: Array<() => void> = []

  constructor(private readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('concurrency must be a positive integer')
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve))
    else this.running++
    try {
      if (this.stopped) throw new StoppedError()
      return await task()
    } finally {
      const next = this.waiting.shift()
      if (next === undefined) this.running--
      else next()
    }
  }

  stop(): void {
    this.stopped = true
  }
}
