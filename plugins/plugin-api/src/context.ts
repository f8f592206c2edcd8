/**
 * The services twoliter lends to every hook, so that a plugin never re-implements them: the container
 * engine, the registry client and the logger. They are plain objects with functions, not classes: a plugin
 * runs with its own copy of its dependencies, so nothing crosses the boundary that would need `instanceof`.
 *
 * @packageDocumentation
 */

import type {ContextApiVersion} from './versions.js'

/** What twoliter hands to every hook, as the `twoliter` member of the hook's options. */
export interface TwoliterContext {
  /** The version of this interface that twoliter implements. */
  apiVersion: ContextApiVersion
  /** Runs containers in the Docker engine twoliter uses (connected on first use). */
  engine: ContainerEngine
  /** Speaks the OCI distribution API, with twoliter's TLS settings, retries and credentials. */
  registry: RegistryAccess
  /** twoliter's log, at the level the user chose (`--log-level`); it goes to stderr. */
  logger: PluginLogger
  /** The project's root directory (where Twoliter.toml is), when the command works on a project. */
  projectRoot?: string
}

/**
 * twoliter's logger. Warnings are also collected into the command's `--json` output. Never log a secret
 * (a password, token or key): the log may be shown to anyone.
 */
export interface PluginLogger {
  error(message: string): void
  warn(message: string): void
  info(message: string): void
  debug(message: string): void
}

/** The part of twoliter's container engine that plugins may use. */
export interface ContainerEngine {
  /**
   * Runs one container to its end, streaming its output, and removes it, also when it fails or `signal`
   * aborts it (the promise then rejects). Resolves with the exit code whatever it is: check it.
   */
  run(spec: ContainerRunSpec, options?: ContainerRunOptions): Promise<ContainerRunResult>
}

export interface ContainerRunSpec {
  /** An image the engine has, e.g. the SDK image a build event names in `sdkImage`. */
  image: string
  /** The command and its arguments, not run through a shell. */
  cmd: string[]
  /** `uid[:gid]` or a user name known to the image. Default: the image's user. */
  user?: string
  env?: Record<string, string>
  workdir?: string
  /** Host directories or files to mount; each host path must exist. System directories (/etc, /usr, ...) are refused. */
  mounts?: ContainerMount[]
  /** Default `none`: no network at all. */
  network?: 'none' | 'bridge' | 'host'
  /** Extra labels for the container, besides the ones twoliter puts on every container it starts. */
  labels?: Record<string, string>
}

export interface ContainerMount {
  /** Absolute path on the engine's host. */
  host: string
  /** Absolute path inside the container. */
  container: string
  readOnly?: boolean
}

export interface ContainerRunOptions {
  /** Receives the container's output as it comes, as UTF-8 text in chunks (not necessarily whole lines). */
  onOutput?: (text: string, stream: 'stdout' | 'stderr') => void
  /** Aborting kills and removes the container; `run` then rejects. */
  signal?: AbortSignal
}

export interface ContainerRunResult {
  exitCode: number
  /** The last lines of stdout and stderr together, for error messages. */
  tail: string
}

/**
 * The part of twoliter's OCI registry client that plugins may use. References are strings such as
 * `registry.example.com/team/image:tag` or `...@sha256:<hex>`; repositories are `registry/path`
 * (`127.0.0.1:5000/team/image`). Loopback registries and those in TWOLITER_INSECURE_REGISTRIES are spoken
 * to over plain HTTP. Failures reject with an error whose message says what went wrong and what to do.
 */
export interface RegistryAccess {
  /** The manifest or index a tag or digest names, with its bytes exactly as stored (their digest is `digest`). */
  getManifest(reference: string): Promise<RegistryManifest>
  /** The digest, media type and size of a manifest without fetching it; undefined when there is none. */
  headManifest(reference: string): Promise<RegistryManifestInfo | undefined>
  blobExists(repository: string, digest: string): Promise<boolean>
  /** A blob in memory (a config, a signature payload), checked against its digest. */
  getBlob(repository: string, digest: string): Promise<Uint8Array>
  /** A blob written to `file` (replaced only once the whole blob arrived and matched its digest); resolves with its size. */
  getBlobToFile(repository: string, digest: string, file: string): Promise<number>
  /** Makes the repository hold the content as a blob (uploaded unless it is there already); resolves with its digest. */
  pushBlob(repository: string, content: BlobContent): Promise<string>
  /** Stores a manifest or index under the reference's tag or digest; resolves with its digest. */
  pushManifest(reference: string, bytes: Uint8Array, mediaType: string): Promise<string>
  /** Every tag of the repository. */
  listTags(repository: string): Promise<string[]>
}

/** A blob's content: bytes in memory, or a file that is read (twice: once for its digest) while uploading. */
export type BlobContent = Uint8Array | {file: string}

export interface RegistryManifest {
  /** The reference it was fetched by. */
  reference: string
  bytes: Uint8Array
  mediaType: string
  /** `sha256:<hex>` of `bytes`. */
  digest: string
}

export interface RegistryManifestInfo {
  digest: string
  mediaType: string
  size: number
}
