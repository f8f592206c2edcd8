import Docker from 'dockerode'

import {TwoliterError} from '../errors.js'
import type {Logger} from '../ui/logger.js'
import {
  type RunOptions,
  type RunResult,
  type RunSpec,
  describeFailure,
  removeContainer,
  runContainer,
} from './container-run.js'
import {type EngineEndpoint, engineEndpoint} from './endpoint.js'
import {EngineAbortError, engineMessage, engineRequestFailed, engineStatusCode} from './engine-errors.js'
import {type ImageBuildOptions, type ImageBuildResult, type ImageBuildSpec, buildImageFromContext} from './image-build.js'
import {splitImageRef} from './image-ref.js'

/** Every container twoliter creates carries this label with the value `1`. */
export const RUN_LABEL = 'dev.twoliter.run'

const PING_TIMEOUT_MS = 10_000

/** What this Engine asked of the engine: builds report it, and tests assert that a no-op build made no calls. */
export interface EngineStats {
  /** Containers created. */
  containerRuns: number
  /** Image builds started. */
  imageBuilds: number
}

export interface EngineVersion {
  version: string
  apiVersion: string
  os: string
  arch: string
}

export interface ImageDetails {
  /** `sha256:<hex>` */
  id: string
  labels: Record<string, string>
  /** Bytes, uncompressed. */
  size: number
  repoTags: string[]
}

/** The Docker engine, through dockerode: container runs, image builds and imports, tags. */
export class Engine {
  readonly stats: EngineStats = {containerRuns: 0, imageBuilds: 0}

  private constructor(
    readonly docker: Docker,
    readonly endpoint: EngineEndpoint,
    private readonly logger: Logger,
  ) {}

  /** Connects to DOCKER_HOST, else /var/run/docker.sock, and checks that the engine answers. */
  static async connect(logger: Logger, options: {env?: NodeJS.ProcessEnv} = {}): Promise<Engine> {
    const endpoint = engineEndpoint(options.env)
    const docker = new Docker(endpoint.options)
    try {
      await withTimeout(docker.ping(), PING_TIMEOUT_MS, `no answer within ${PING_TIMEOUT_MS / 1000} s`)
    } catch (error) {
      throw unreachable(endpoint, error)
    }

    logger.debug(`container engine: ${endpoint.address}`)
    return new Engine(docker, endpoint, logger)
  }

  async version(): Promise<EngineVersion> {
    try {
      const version = await this.docker.version()
      return {version: version.Version, apiVersion: version.ApiVersion, os: version.Os, arch: version.Arch}
    } catch (error) {
      throw engineRequestFailed('Asking the engine for its version', error)
    }
  }

  /** The image's id, or undefined when the engine does not have it. */
  async imageId(ref: string): Promise<string | undefined> {
    return (await this.inspectImage(ref))?.id
  }

  /** The image's id, labels and size, or undefined when the engine does not have it. */
  async inspectImage(ref: string): Promise<ImageDetails | undefined> {
    try {
      const info = await this.docker.getImage(ref).inspect()
      return {id: info.Id, labels: info.Config?.Labels ?? {}, size: info.Size, repoTags: info.RepoTags ?? []}
    } catch (error) {
      if (engineStatusCode(error) === 404) return undefined
      throw engineRequestFailed(`Inspecting the image ${ref}`, error)
    }
  }

  /** The images that carry the label (with that value, when given). */
  async imagesWithLabel(label: string, value?: string): Promise<ImageDetails[]> {
    try {
      const images = await this.docker.listImages({filters: {label: [value === undefined ? label : `${label}=${value}`]}})
      return images.map((image) => ({id: image.Id, labels: image.Labels ?? {}, size: image.Size, repoTags: (image.RepoTags ?? []).filter((tag) => tag !== '<none>:<none>')}))
    } catch (error) {
      throw engineRequestFailed(`Listing the images labelled ${label}`, error)
    }
  }

  /**
   * Runs one container to its end, streaming its output, and always removes it, also when it fails or the
   * signal aborts it. Resolves with its exit code whatever it is; see runChecked for "must succeed".
   */
  async run(spec: RunSpec, options: RunOptions = {}): Promise<RunResult> {
    this.logger.debug(`engine: run ${spec.image} ${JSON.stringify(spec.cmd)}`)
    return runContainer(this.docker, spec, options, {
      labels: {[RUN_LABEL]: '1'},
      onCreated: () => {
        this.stats.containerRuns++
      },
    })
  }

  /** Like run, but a non-zero exit code is an error that quotes the last lines of output. */
  async runChecked(spec: RunSpec, options: RunOptions & {description?: string} = {}): Promise<RunResult> {
    const result = await this.run(spec, options)
    if (result.exitCode !== 0) throw describeFailure(spec, result, options.description)
    return result
  }

  /**
   * Removes the containers twoliter left behind (a crash, a killed process), all of them or those that also
   * carry `labels`. Returns how many it removed.
   */
  async removeStrayContainers(labels: Record<string, string> = {}): Promise<number> {
    const filters = {label: [`${RUN_LABEL}=1`, ...Object.entries(labels).map(([key, value]) => `${key}=${value}`)]}
    let found: Docker.ContainerInfo[]
    try {
      found = await this.docker.listContainers({all: true, filters})
    } catch (error) {
      throw engineRequestFailed('Listing twoliter containers', error)
    }

    for (const info of found) {
      this.logger.debug(`engine: removing stray container ${info.Id.slice(0, 12)} (${info.Image})`)
      await removeContainer(this.docker.getContainer(info.Id))
    }

    return found.length
  }

  /** Builds an image from a context directory with BuildKit, streaming its output lines. */
  async buildImage(spec: ImageBuildSpec, options: ImageBuildOptions = {}): Promise<ImageBuildResult> {
    this.logger.debug(`engine: build ${spec.tag} from ${spec.context}`)
    this.stats.imageBuilds++
    return buildImageFromContext(this.docker, spec, options)
  }

  /** Loads a `docker save` archive (`POST /images/load`); the image keeps the tags the archive names. */
  async loadImage(archive: NodeJS.ReadableStream, options: {signal?: AbortSignal} = {}): Promise<void> {
    const what = 'Loading an image into the engine'
    let error: string | undefined
    try {
      const response = await this.docker.loadImage(archive, {...(options.signal === undefined ? {} : {abortSignal: options.signal})})
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(response, (failure) => (failure ? reject(failure) : resolve()), (event: {error?: string}) => {
          if (event.error !== undefined) error = event.error
        })
      })
    } catch (failure) {
      if (options.signal?.aborted) throw new EngineAbortError(what, options.signal.reason)
      throw engineRequestFailed(what, failure)
    }

    if (error !== undefined) {
      throw new TwoliterError(`${what} failed: ${error}.`, {hint: 'Check that the engine has space left (`docker system df`).', code: 'engine.load'})
    }
  }

  /**
   * Creates an image from a tar stream of a root file system (`POST /images/create?fromSrc=-`), with
   * Dockerfile-like `changes` such as `CMD ["/bin/bash"]`. Returns the image's id.
   */
  async importImage(tar: NodeJS.ReadableStream, tag: string, changes: string[] = [], options: {signal?: AbortSignal} = {}): Promise<string> {
    const what = `Importing the image ${tag}`
    const {repository, tag: version} = splitImageRef(tag)
    let error: string | undefined
    try {
      const response = await this.docker.importImage(tar, {
        repo: repository,
        tag: version,
        ...(changes.length === 0 ? {} : {changes}),
        ...(options.signal === undefined ? {} : {abortSignal: options.signal}),
      })
      await new Promise<void>((resolve, reject) => {
        this.docker.modem.followProgress(response, (failure) => (failure ? reject(failure) : resolve()), (event: {error?: string}) => {
          if (event.error !== undefined) error = event.error
        })
      })
    } catch (failure) {
      if (options.signal?.aborted) throw new EngineAbortError(what, options.signal.reason)
      throw engineRequestFailed(what, failure)
    }

    const id = error === undefined ? await this.imageId(tag) : undefined
    if (id === undefined) {
      throw new TwoliterError(`${what} failed: ${error ?? 'the engine reported no image'}.`, {
        hint: 'Check that the tar stream holds a root file system and that the engine has space left (`docker system df`).',
        code: 'engine.import',
      })
    }

    return id
  }

  async tagImage(source: string, target: string): Promise<void> {
    const {repository, tag} = splitImageRef(target)
    try {
      await this.docker.getImage(source).tag({repo: repository, tag})
    } catch (error) {
      throw engineRequestFailed(`Tagging ${source} as ${target}`, error)
    }
  }

  /** Removes an image (a tag, or an id with force). Returns false when there was no such image. */
  async removeImage(ref: string, options: {force?: boolean} = {}): Promise<boolean> {
    try {
      await this.docker.getImage(ref).remove({force: options.force ?? false})
      return true
    } catch (error) {
      if (engineStatusCode(error) === 404) return false
      throw engineRequestFailed(`Removing the image ${ref}`, error)
    }
  }
}

function unreachable(endpoint: EngineEndpoint, error: unknown): TwoliterError {
  if (error instanceof TwoliterError) return error
  const code = typeof error === 'object' && error !== null ? (error as {code?: unknown}).code : undefined
  const socket = endpoint.options.socketPath
  const hint =
    code === 'EACCES'
      ? `You may not use ${socket}: add your user to the docker group (\`sudo usermod -aG docker $USER\`, then log in again), run as root, or set DOCKER_HOST to an engine you may use.`
      : `On Debian, run scripts/setup as root: it installs Debian's docker.io and starts dockerd. Elsewhere, start Docker (for example \`sudo systemctl start docker\`), or set DOCKER_HOST (unix:///path/to/docker.sock or tcp://HOST:PORT) to a running engine.`
  return new TwoliterError(`No Docker engine answers at ${endpoint.address} (${engineMessage(error)}).`, {
    hint,
    code: 'engine.unreachable',
    cause: error,
  })
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
