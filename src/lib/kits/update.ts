/**
 * `twoliter update`, and the lock a build runs with: resolved again only when Twoliter.lock is missing,
 * and trusted (no registry asked) while it still matches Twoliter.toml and Twoliter.override.
 */

import type {Engine} from '../engine/index.js'
import {TwoliterError} from '../errors.js'
import type {RegistryClient} from '../oci/index.js'
import {assertLockFits, projectInputsDigest} from '../project/lock-inputs.js'
import {LOCK_FILE, type Lock, locksEqual, readLock, writeLock} from '../project/lock.js'
import {toProjectImage} from '../project/project-image.js'
import type {Project} from '../project/project.js'
import type {ImageTrust} from '../signing/image-trust.js'
import type {Logger} from '../ui/logger.js'
import {type LockChange, diffLocks} from './lock-diff.js'
import {type Resolution, resolveLock} from './resolve.js'

export interface UpdateResult {
  lock: Lock
  resolution: Resolution
  changes: LockChange[]
  /** The lock file, when it was written (not with dryRun, nor when nothing changed). */
  written?: string
}

export interface UpdateOptions {
  client: RegistryClient
  logger: Logger
  /** Every resolved kit, and the SDK, is checked against it before the lock is written. */
  trust: ImageTrust
  dryRun?: boolean
}

/** Resolves the project's kits and SDK against their registries and writes Twoliter.lock when it changed. */
export async function updateLock(project: Project, options: UpdateOptions): Promise<UpdateResult> {
  const previous = await readLock(project.root)
  const resolution = await resolveLock(project, {client: options.client, logger: options.logger})
  for (const kit of resolution.kits) await options.trust.verify(kit.locked, kit.index.toString())
  await options.trust.verify(resolution.lock.sdk, resolution.sdkIndex.toString(), 'SDK')
  const lock: Lock = {...resolution.lock, projectInputs: projectInputsDigest(project)}
  const changes = diffLocks(previous, lock)
  const unchanged = previous !== undefined && locksEqual(previous, lock) && previous.projectInputs === lock.projectInputs
  if (options.dryRun || unchanged) return {lock, resolution, changes}
  return {lock, resolution, changes, written: await writeLock(project.root, lock)}
}

export interface LockForBuildOptions {
  engine: Engine
  client: () => RegistryClient
  logger: Logger
  trust: ImageTrust
}

/**
 * The lock a build uses. A project with kits, without [sdk], or whose SDK the engine does not have needs
 * one: when it is missing, `update` runs first (online) and says so. An existing lock must still match
 * the project, else the build stops and asks for `twoliter update`. Undefined for a project that needs no
 * lock and has none (its SDK comes from the engine).
 */
export async function lockForBuild(project: Project, options: LockForBuildOptions): Promise<Lock | undefined> {
  const existing = await readLock(project.root)
  if (existing !== undefined) {
    assertLockFits(project, existing)
    return existing
  }

  const missingSdk = await sdkMissingFromEngine(project, options.engine)
  // Without kits and without [sdk] there is nothing to resolve: the build says what to add.
  if (project.kits.length === 0 && missingSdk === undefined) return undefined
  options.logger.info(`${LOCK_FILE} does not exist: running \`twoliter update\` first to resolve the kits and the SDK.`)
  try {
    return (await updateLock(project, {client: options.client(), logger: options.logger, trust: options.trust})).lock
  } catch (error) {
    if (project.kits.length > 0 || missingSdk === undefined || !(error instanceof TwoliterError)) throw error
    throw new TwoliterError(`the SDK image ${missingSdk} is not in the container engine, and looking it up in its registry failed: ${error.message}`, {
      hint: `Build the local SDK under that name with \`twoliter sdk build-local\` (run in the project), or make its registry reachable so that the build can pull it.`,
      code: 'build.sdk-missing',
      cause: error,
    })
  }
}

/** The pull reference of [sdk] when the engine does not have it. */
async function sdkMissingFromEngine(project: Project, engine: Engine): Promise<string | undefined> {
  if (project.sdk === undefined) return undefined
  const image = toProjectImage(project, project.sdk).pull.toString()
  return (await engine.imageId(image)) === undefined ? image : undefined
}
