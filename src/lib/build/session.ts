import {Engine} from '../engine/index.js'
import {listenForInterrupt} from '../cli/interrupt.js'
import {projectHooksLifecycle} from '../extensions/project-hooks.js'
import {type HookRunner, hookContext, hookTimeoutMs, pluginLifecycle, registryCredentialProvider} from '../extensions/index.js'
import {DependencyGraph} from '../graph/index.js'
import {loadWorkspace} from '../manifest/index.js'
import {openProject} from '../project/project.js'
import type {Project} from '../project/project.js'
import {resolveSourcesConfig} from '../project/sources-config.js'
import type {Logger} from '../ui/logger.js'
import {BuildLayout, downloadCacheDir} from './layout.js'
import {type BuildLifecycle, composeLifecycles} from './lifecycle.js'
import type {BuildContext, BuildReporter, KitEnvironment} from './package-builds.js'
import {acquireBuildLock} from './project-lock.js'
import {resolveSdkImage} from './sdk-image.js'
import {fetchedKitRepos, fetchKits} from '../kits/fetch.js'
import {lockForBuild} from '../kits/update.js'
import {RegistryClient} from '../oci/index.js'
import type {Lock} from '../project/lock.js'
import {type ImageTrust, projectImageTrust} from '../signing/image-trust.js'
import type {Signer} from '@twoliter/plugin-api'
import {TwoliterError} from '../errors.js'
import {readRpmSigning} from '../project/infra-toml.js'
import {findSigner} from '../signing/signers.js'
import {rpmSigning} from './rpm-signing.js'

export interface BuildSessionOptions {
  projectPath?: string
  arch: string
  /** twoliter's cache directory (oclif's cacheDir); downloads are kept below it. */
  cacheDir: string
  /** The command line, recorded in the build lock for whoever finds it taken. */
  command: string
  logger: Logger
  reporter: BuildReporter
  sources: {lookasideCache?: string; upstreamFallback?: boolean}
  /** oclif's Config (a command's `this.config`): through it, plugins hear about each build step. */
  config?: HookRunner
  /** More lifecycles around each build step, run after the plugins' events. */
  lifecycles?: readonly BuildLifecycle[]
}

export interface BuildSession {
  project: Project
  /** Twoliter.lock as the build uses it; undefined when the project needs none. */
  lock?: Lock
  graph: DependencyGraph
  context: BuildContext
  /** Aborted on SIGINT or SIGTERM: running containers are stopped and removed, nothing half-written stays. */
  signal: AbortSignal
  throwIfInterrupted(): void
  close(): Promise<void>
}

/**
 * Everything a build command needs, checked before any container starts: the project and its graph, the
 * engine and the SDK image, the sources configuration, and the project's build lock.
 */
export async function openBuildSession(options: BuildSessionOptions): Promise<BuildSession> {
  const {logger} = options
  const project = await openProject({projectPath: options.projectPath, logger})
  // Infra.toml's [rpm-signing], its key file read: a wrong one stops the build before any container.
  const rpmSigningConfig = await readRpmSigning(project.root)
  const graph = new DependencyGraph(await loadWorkspace(project.root, {logger}))
  const sources = resolveSourcesConfig(project, options.sources)
  const engine = await Engine.connect(logger)
  const client = registryClientFactory(options, engine, project.root)
  const layout = new BuildLayout(project.root, options.arch)
  // Nothing is written under build/ before the lock and the SDK are settled.
  const trust = projectImageTrust(project, {config: options.config, logger, engine})
  const lock = await lockForBuild(project, {engine, client, logger, trust})
  const sdk = await resolveSdkImage(project, engine, {lock, client, cacheDir: options.cacheDir, logger, trust})
  const releaseLock = await acquireBuildLock(layout.lockFile, options.command, logger)
  let kits: KitEnvironment
  try {
    kits = await prepareKits(project, lock, {client, layout, logger, trust})
  } catch (error) {
    await releaseLock()
    throw error
  }

  const lifecycle = stepLifecycle(options, {project, engine, sdkImage: sdk.image})

  // Containers of this project's builds that a crash left behind: with the lock held, none is in use.
  const strays = await engine.removeStrayContainers({'dev.twoliter.project': project.root}).catch(async (error: unknown) => {
    await releaseLock()
    throw error
  })
  if (strays > 0) logger.warn(`removed ${strays} container${strays === 1 ? '' : 's'} left behind by an earlier build`)

  const interrupt = listenForInterrupt(logger, 'the build', 'Run it again to finish: what was built is kept, and nothing half-built is.')

  return {
    project,
    lock,
    graph,
    context: {
      engine,
      graph,
      layout,
      sdk,
      sources,
      downloadCacheDir: downloadCacheDir(options.cacheDir),
      logger,
      reporter: options.reporter,
      lifecycle,
      kits,
      rpmSigning: rpmSigningConfig === undefined ? undefined : rpmSigning(rpmSigningConfig, {findSigner: gpgSignerFinder(options, engine, project.root), sdkImage: sdk.image}),
    },
    signal: interrupt.signal,
    throwIfInterrupted() {
      if (interrupt.signal.aborted) throw interrupt.signal.reason
    },
    async close() {
      interrupt.dispose()
      await releaseLock()
    },
  }
}

/** Finds the gpg signer through the plugins, for the build's RPM signing (called once, when first needed). */
function gpgSignerFinder(options: BuildSessionOptions, engine: Engine, projectRoot: string): () => Promise<Signer> {
  return async () => {
    const {logger, config} = options
    if (config === undefined) {
      throw new TwoliterError('Infra.toml has [rpm-signing], but this build runs without plugins, so no gpg signer can sign the RPMs.', {
        hint: 'Build with the twoliter command, which loads the bundled @twoliter/sign, or remove [rpm-signing] from Infra.toml.',
        code: 'build.rpm-signing-no-plugins',
      })
    }

    const context = hookContext({logger, projectRoot, engine, credentialProvider: registryCredentialProvider(config, {logger, engine, projectRoot})})
    return findSigner(config, 'gpg', {context, logger})
  }
}

/** The kit environment of the build: the external kits of the lock, fetched for the build's arch when missing. */
async function prepareKits(project: Project, lock: Lock | undefined, options: {client: () => RegistryClient; layout: BuildLayout; logger: Logger; trust: ImageTrust}): Promise<KitEnvironment> {
  const {client, layout, logger, trust} = options
  let externalKitRepos = {}
  if (lock !== undefined && lock.kit.length > 0) {
    await fetchKits(project, lock, {client: client(), layout, logger, trust})
    externalKitRepos = await fetchedKitRepos(layout, lock, project)
  }

  return {
    releaseVersion: project.releaseVersion,
    sdk: lock?.sdk ?? project.sdk!,
    externalKits: (lock?.kit ?? []).map(({name, version, vendor}) => ({name, version, vendor})),
    externalKitRepos,
    vendorKeys: project.trust.signingKeys,
  }
}

/** One registry client for the whole command, made when first needed, with plugins' credentials. */
function registryClientFactory(options: BuildSessionOptions, engine: Engine, projectRoot: string): () => RegistryClient {
  let client: RegistryClient | undefined
  return () => {
    if (client === undefined) {
      const {logger, config} = options
      const credentialProvider = config === undefined ? undefined : registryCredentialProvider(config, {logger, engine, projectRoot})
      client = new RegistryClient({logger, credentialProvider})
    }

    return client
  }
}

/**
 * What runs around each build step, in this order: the plugins' pre-build and post-build events, the
 * project's own [hooks] steps, then the lifecycles the command adds.
 */
function stepLifecycle(options: BuildSessionOptions, build: {project: Project; engine: Engine; sdkImage: string}): BuildLifecycle | undefined {
  const {logger, config} = options
  const lifecycles: BuildLifecycle[] = []
  if (config !== undefined) {
    const {engine} = build
    const projectRoot = build.project.root
    const credentialProvider = registryCredentialProvider(config, {logger, engine, projectRoot})
    const context = hookContext({logger, projectRoot, engine, credentialProvider})
    lifecycles.push(pluginLifecycle(config, {logger, context, sdkImage: build.sdkImage, timeoutMs: hookTimeoutMs('lifecycle')}))
  }

  const projectHooks = projectHooksLifecycle(build.project, logger)
  if (projectHooks !== undefined) lifecycles.push(projectHooks)
  lifecycles.push(...(options.lifecycles ?? []))
  return lifecycles.length === 0 ? undefined : composeLifecycles(lifecycles)
}
