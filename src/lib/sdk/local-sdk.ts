import type {Engine, ImageDetails} from '../engine/index.js'
import type {Logger} from '../ui/logger.js'
import {hostDebianMirror} from './debian-mirror.js'
import {DEBIAN_SUITE, type LocalSdkRecipe, readLocalSdkRecipe} from './recipe.js'
import {importDebootstrapRootfs} from './rootfs.js'

/** The repository of the local SDK's cache tags, `twoliter-local-sdk:<first 12 hex of the recipe hash>`. */
export const LOCAL_SDK_REPOSITORY = 'twoliter-local-sdk'
/** The SDK image's label: the recipe hash it was built from. */
export const SDK_RECIPE_LABEL = 'dev.twoliter.sdk.recipe'
/** The imported debootstrap root file system's label: the hash of the suite and package set. */
export const SDK_ROOTFS_LABEL = 'dev.twoliter.sdk.rootfs'

const ROOTFS_REPOSITORY = 'twoliter-local-sdk-rootfs'

export function localSdkCacheTag(recipeHash: string): string {
  return `${LOCAL_SDK_REPOSITORY}:${recipeHash.slice(0, 12)}`
}

export interface LocalSdkBuildOptions {
  /** Also tag the image so. Default: only the cache tag. */
  tag?: string
  logger: Logger
  /** Receives debootstrap's and the image build's output lines. */
  onOutput?: (line: string) => void
  signal?: AbortSignal
  /** Default: hostDebianMirror(). */
  mirror?: string
}

export interface LocalSdkBuild {
  /** The tag asked for, else the cache tag. */
  image: string
  id: string
  recipeHash: string
  /** True when the engine already had an image of this recipe, so nothing was built. */
  cached: boolean
}

/**
 * Builds the local SDK of sdk/ unless the engine already has an image of the same recipe hash: debootstrap
 * of the packages (reusing an imported root file system of the same package set), then the Dockerfile.
 */
export async function buildLocalSdk(engine: Engine, options: LocalSdkBuildOptions): Promise<LocalSdkBuild> {
  const {logger} = options
  const recipe = await readLocalSdkRecipe()
  const cacheTag = localSdkCacheTag(recipe.hash)
  const image = options.tag ?? cacheTag

  const existing = await findBuilt(engine, recipe.hash, [cacheTag, image])
  if (existing !== undefined) {
    await ensureTags(engine, existing.id, [cacheTag, image])
    logger.debug(`local SDK ${recipe.hash.slice(0, 12)} is already built: ${existing.id}`)
    return {image, id: existing.id, recipeHash: recipe.hash, cached: true}
  }

  const rootfs = await ensureRootfs(engine, recipe, options)
  logger.info(`building the local SDK image ${cacheTag}`)
  const built = await engine.buildImage(
    {context: recipe.dir, tag: cacheTag, buildArgs: {ROOTFS: rootfs}, labels: {[SDK_RECIPE_LABEL]: recipe.hash}},
    {onOutput: options.onOutput, signal: options.signal},
  )
  await ensureTags(engine, built.id, [image])
  return {image, id: built.id, recipeHash: recipe.hash, cached: false}
}

/** Removes every local SDK image and imported root file system from the engine; returns what it removed. */
export async function removeLocalSdkImages(engine: Engine, logger: Logger): Promise<string[]> {
  const removed: string[] = []
  for (const label of [SDK_RECIPE_LABEL, SDK_ROOTFS_LABEL]) {
    for (const found of await engine.imagesWithLabel(label)) {
      const name = found.repoTags.length > 0 ? found.repoTags.join(', ') : found.id
      if (await engine.removeImage(found.id, {force: true})) {
        logger.debug(`removed local SDK image ${name}`)
        removed.push(name)
      }
    }
  }

  return removed
}

async function findBuilt(engine: Engine, recipeHash: string, refs: string[]): Promise<ImageDetails | undefined> {
  for (const ref of new Set(refs)) {
    const details = await engine.inspectImage(ref)
    if (details?.labels[SDK_RECIPE_LABEL] === recipeHash) return details
  }

  return undefined
}

async function ensureTags(engine: Engine, id: string, tags: string[]): Promise<void> {
  for (const tag of new Set(tags)) if ((await engine.imageId(tag)) !== id) await engine.tagImage(id, tag)
}

/** The imported debootstrap root file system for the recipe's package set, made when missing. */
async function ensureRootfs(engine: Engine, recipe: LocalSdkRecipe, options: LocalSdkBuildOptions): Promise<string> {
  const tag = `${ROOTFS_REPOSITORY}:${recipe.rootfsHash.slice(0, 12)}`
  const existing = await engine.inspectImage(tag)
  if (existing?.labels[SDK_ROOTFS_LABEL] === recipe.rootfsHash) {
    options.logger.debug(`reusing the SDK root file system ${tag}`)
    return tag
  }

  const mirror = options.mirror ?? (await hostDebianMirror())
  options.logger.info(`debootstrap of Debian ${DEBIAN_SUITE} with ${recipe.packages.length} packages from ${mirror} (about a minute on a fast mirror)`)
  await importDebootstrapRootfs(engine, tag, {[SDK_ROOTFS_LABEL]: recipe.rootfsHash}, {
    suite: DEBIAN_SUITE,
    packages: recipe.packages,
    mirror,
    onOutput: options.onOutput,
    signal: options.signal,
  })
  return tag
}
