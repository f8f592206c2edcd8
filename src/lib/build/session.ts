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
import type {BuildContext, BuildReporter} from './package-builds.js'
import {acquireBuildLock} from './project-lock.js'
import {resolveSdkImage} from './sdk-image.js'

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
  const graph = new DependencyGraph(await loadWorkspace(project.root, {logger}))
  const sources = resolveSourcesConfig(project, options.sources)
  const engine = await Engine.connect(logger)
  const sdk = await resolveSdkImage(project, engine)
  const layout = new BuildLayout(project.root, options.arch)
  const lifecycle = stepLifecycle(options, {project, engine, sdkImage: sdk.image})
  const releaseLock = await acquireBuildLock(layout.lockFile, options.command, logger)

  // Containers of this project's builds that a crash left behind: with the lock held, none is in use.
  const strays = await engine.removeStrayContainers({'dev.twoliter.project': project.root}).catch(async (error: unknown) => {
    await releaseLock()
    throw error
  })
  if (strays > 0) logger.warn(`removed ${strays} container${strays === 1 ? '' : 's'} left behind by an earlier build`)

  const interrupt = listenForInterrupt(logger, 'the build', 'Run it again to finish: what was built is kept, and nothing half-built is.')

  return {
    project,
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
      kits: {releaseVersion: project.releaseVersion, sdk: project.sdk!, externalKits: [], externalKitRepos: {}},
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
