/**
 * A client of the OCI distribution API (registry v2): manifests and indexes by tag or digest, blobs
 * streamed and digest-checked, blob uploads (existence check first, cross-repository mount, monolithic or
 * chunked), tags. Authentication, retries and TLS are handled here; failures become TwoliterErrors.
 */

import {createWriteStream} from 'node:fs'
import {readFile, rename, rm} from 'node:fs/promises'
import type {Readable, Writable} from 'node:stream'
import {pipeline} from 'node:stream/promises'
import {setTimeout as sleep} from 'node:timers/promises'

import {TwoliterError} from '../errors.js'
import {type Logger, silentLogger} from '../ui/logger.js'
import {RegistryAuthenticator, type RepositoryAction, repositoryScope} from './auth.js'
import type {BlobSource} from './blob-source.js'
import {type CredentialProvider, resolveCredentials} from './credentials.js'
import {DigestingStream, digestMismatchError, digestOf, parseDigest, sha256Digest} from './digest.js'
import {insecureRegistriesFromEnv, registryBaseUrl} from './endpoint.js'
import {describeUrl, discardBody, headerValue, HttpTransport, type HttpRequest, type HttpResponse, NetworkError, readBody} from './http.js'
import {MANIFEST_MEDIA_TYPES, manifestMediaType, MAX_MANIFEST_BYTES} from './manifest.js'
import {type FailedOperation, networkFailureError, parseRegistryErrors, registryResponseError} from './registry-errors.js'
import {decideRetry, DEFAULT_RETRY_POLICY, isRetryableNetworkError, isRetryableStatus, parseRetryAfter, type RetryPolicy} from './retry.js'
import {ImageReference, type RepositoryLocation, repositoryName, toReference} from './reference.js'

export interface RegistryClientOptions {
  /** Consulted before docker's config.json for every registry host. */
  credentialProvider?: CredentialProvider
  /** Registries to reach over plain HTTP, besides loopback ones and TWOLITER_INSECURE_REGISTRIES. */
  insecureRegistries?: readonly string[]
  /** TWOLITER_INSECURE_REGISTRIES, SSL_CERT_FILE, DOCKER_CONFIG, HOME, PATH; process.env by default. */
  env?: NodeJS.ProcessEnv
  logger?: Logger
  retry?: Partial<RetryPolicy>
  /** Blobs up to this size are uploaded with one PUT, bigger ones in chunks. */
  monolithicUploadLimit?: number
  uploadChunkSize?: number
  userAgent?: string
}

export interface FetchedManifest {
  reference: ImageReference
  /** Exactly the bytes the registry holds: their digest is the manifest's digest. */
  bytes: Buffer
  mediaType: string
  digest: string
}

export interface ManifestHead {
  digest: string
  mediaType: string
  size: number
}

/** How a blob came to be in the repository. */
export type BlobPushOutcome = 'existed' | 'mounted' | 'uploaded'

export interface PushBlobOptions {
  /** Another repository of the same registry that has the blob: it is mounted from there, not uploaded. */
  mountFrom?: string
}

const DEFAULT_MONOLITHIC_UPLOAD_LIMIT = 32 * 1024 * 1024
const DEFAULT_UPLOAD_CHUNK_SIZE = 16 * 1024 * 1024
const DEFAULT_MAX_BLOB_IN_MEMORY = 64 * 1024 * 1024
const MAX_ERROR_BODY_BYTES = 64 * 1024
const EMPTY = Buffer.alloc(0)

type Location = RepositoryLocation | string

export class RegistryClient {
  private readonly env: NodeJS.ProcessEnv
  private readonly logger: Logger
  private readonly retryPolicy: RetryPolicy
  private readonly insecureRegistries: readonly string[]
  private readonly monolithicUploadLimit: number
  private readonly uploadChunkSize: number
  private readonly authenticator: RegistryAuthenticator
  private transportPromise: Promise<HttpTransport> | undefined

  constructor(private readonly options: RegistryClientOptions = {}) {
    this.env = options.env ?? process.env
    this.logger = options.logger ?? silentLogger()
    this.retryPolicy = {...DEFAULT_RETRY_POLICY, ...options.retry}
    this.insecureRegistries = [...(options.insecureRegistries ?? []), ...insecureRegistriesFromEnv(this.env)]
    this.monolithicUploadLimit = options.monolithicUploadLimit ?? DEFAULT_MONOLITHIC_UPLOAD_LIMIT
    this.uploadChunkSize = options.uploadChunkSize ?? DEFAULT_UPLOAD_CHUNK_SIZE
    if (this.uploadChunkSize <= 0) throw new RangeError('uploadChunkSize must be positive')
    this.authenticator = new RegistryAuthenticator({
      send: (request) => this.sendWithRetries(request, {action: `get a token from ${describeUrl(request.url)}`, registry: request.url.host}),
      credentials: (registry) => resolveCredentials(registry, {provider: options.credentialProvider, env: this.env, logger: this.logger}),
      logger: this.logger,
    })
  }

  /** The manifest or index a tag or digest names, with its bytes exactly as stored. */
  async getManifest(reference: ImageReference | string): Promise<FetchedManifest> {
    const ref = toReference(reference)
    const operation = {...this.operation(ref, `fetch the manifest of ${ref}`), notFound: manifestNotFound(ref)}
    const response = await this.send(ref, ['pull'], {method: 'GET', url: this.apiUrl(ref, `manifests/${ref.identifier}`), headers: {Accept: MANIFEST_MEDIA_TYPES.join(', ')}}, operation)
    if (response.status !== 200) throw await this.failure(response, operation)
    const bytes = await this.readLimited(response, MAX_MANIFEST_BYTES, operation)
    const digest = ref.digest === undefined ? sha256Digest(bytes) : digestOf(bytes, parseDigest(ref.digest).algorithm)
    if (ref.digest !== undefined && digest !== ref.digest) throw digestMismatchError('the manifest', ref.digest, digest, ref.name)
    return {reference: ref, bytes, mediaType: manifestMediaType(bytes, headerValue(response, 'content-type')), digest}
  }

  /** Digest, media type and size of a manifest without fetching it; undefined when it does not exist. */
  async headManifest(reference: ImageReference | string): Promise<ManifestHead | undefined> {
    const ref = toReference(reference)
    const operation = {...this.operation(ref, `look up the manifest of ${ref}`), notFound: manifestNotFound(ref)}
    const response = await this.send(ref, ['pull'], {method: 'HEAD', url: this.apiUrl(ref, `manifests/${ref.identifier}`), headers: {Accept: MANIFEST_MEDIA_TYPES.join(', ')}}, operation)
    await discardBody(response)
    if (response.status === 404) return undefined
    if (response.status !== 200) throw registryResponseError(response.status, [], {...operation, credentialSource: await this.credentialSourceFor(response, ref.registry)})
    const digest = headerValue(response, 'docker-content-digest')
    const mediaType = headerValue(response, 'content-type')?.split(';')[0].trim()
    if (digest === undefined || mediaType === undefined) {
      // Not every registry says; the manifest itself does.
      const manifest = await this.getManifest(ref)
      return {digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.bytes.length}
    }

    return {digest, mediaType, size: Number(headerValue(response, 'content-length') ?? 0)}
  }

  async blobExists(location: Location, digest: string): Promise<boolean> {
    const repository = toLocation(location)
    const operation = this.operation(repository, `look up the blob ${digest} in ${repositoryName(repository)}`)
    const response = await this.send(repository, ['pull'], {method: 'HEAD', url: this.apiUrl(repository, `blobs/${digest}`)}, operation)
    await discardBody(response)
    if (response.status === 200) return true
    if (response.status === 404) return false
    throw registryResponseError(response.status, [], {...operation, credentialSource: await this.credentialSourceFor(response, repository.registry)})
  }

  /** A blob in memory (configs, small metadata), digest-checked. */
  async getBlob(location: Location, digest: string, maxBytes = DEFAULT_MAX_BLOB_IN_MEMORY): Promise<Buffer> {
    let chunks: Buffer[] = []
    let length = 0
    const collect = async (content: Readable): Promise<void> => {
      chunks = []
      length = 0
      for await (const chunk of content as AsyncIterable<Buffer>) {
        length += chunk.length
        if (length > maxBytes) {
          throw new TwoliterError(`the blob ${digest} in ${repositoryName(toLocation(location))} is larger than ${maxBytes} bytes, too large to hold in memory.`, {
            hint: 'This is a bug in twoliter: such blobs are written to files.',
            code: 'oci.blob-too-large',
          })
        }

        chunks.push(chunk)
      }
    }

    await this.downloadBlob(toLocation(location), digest, collect)
    return Buffer.concat(chunks, length)
  }

  /**
   * A blob streamed into `file`, digest-checked on the way; the file appears only when the digest
   * matched. Returns its size.
   */
  async getBlobToFile(location: Location, digest: string, file: string): Promise<number> {
    const partial = `${file}.partial`
    const write = (content: Readable): Promise<void> => pipeline(content, createWriteStream(partial) as Writable)
    try {
      const size = await this.downloadBlob(toLocation(location), digest, write)
      await rename(partial, file)
      return size
    } finally {
      await rm(partial, {force: true})
    }
  }

  /**
   * Makes the repository hold the blob: nothing to do when it has it already; else mounted from
   * `mountFrom` when given and the registry allows it; else uploaded.
   */
  async pushBlob(location: Location, blob: BlobSource, options: PushBlobOptions = {}): Promise<BlobPushOutcome> {
    const repository = toLocation(location)
    if (await this.blobExists(repository, blob.digest)) {
      this.logger.debug(`${repositoryName(repository)} has ${blob.digest} already`)
      return 'existed'
    }

    const operation = this.operation(repository, `push the blob ${blob.digest} to ${repositoryName(repository)}`)
    const {mountFrom} = options
    const startUrl = this.apiUrl(repository, 'blobs/uploads/')
    const scopes = [repositoryScope(repository.repository, ['pull', 'push'])]
    if (mountFrom !== undefined && mountFrom !== repository.repository) {
      startUrl.searchParams.set('mount', blob.digest)
      startUrl.searchParams.set('from', mountFrom)
      scopes.push(repositoryScope(mountFrom, ['pull']))
    }

    const started = await this.sendScoped(repository.registry, scopes, {method: 'POST', url: startUrl, body: EMPTY}, operation)
    if (started.status === 201 && mountFrom !== undefined) {
      await discardBody(started)
      this.logger.debug(`mounted ${blob.digest} into ${repositoryName(repository)} from ${mountFrom}`)
      return 'mounted'
    }

    // A registry that cannot mount starts an ordinary upload instead (202).
    if (started.status !== 202) throw await this.failure(started, operation)
    await discardBody(started)
    let uploadUrl = this.uploadLocation(started, operation)
    if (blob.size > this.monolithicUploadLimit) {
      for (let offset = 0; offset < blob.size; offset += this.uploadChunkSize) {
        const end = Math.min(offset + this.uploadChunkSize, blob.size)
        const chunk = {length: end - offset, open: () => blob.open(offset, end)}
        const headers = {'Content-Type': 'application/octet-stream', 'Content-Range': `${offset}-${end - 1}`}
        const response = await this.sendScoped(repository.registry, scopes, {method: 'PATCH', url: uploadUrl, headers, body: chunk}, operation)
        if (response.status !== 202) throw await this.failure(response, operation)
        await discardBody(response)
        uploadUrl = this.uploadLocation(response, operation)
      }
    }

    uploadUrl.searchParams.set('digest', blob.digest)
    const body = blob.size > this.monolithicUploadLimit ? EMPTY : {length: blob.size, open: () => blob.open()}
    const finished = await this.sendScoped(repository.registry, scopes, {method: 'PUT', url: uploadUrl, headers: {'Content-Type': 'application/octet-stream'}, body}, operation)
    if (finished.status !== 201) throw await this.failure(finished, operation)
    await discardBody(finished)
    const stored = headerValue(finished, 'docker-content-digest')
    if (stored !== undefined && stored !== blob.digest) throw digestMismatchError('the uploaded blob', blob.digest, stored, repositoryName(repository))
    this.logger.debug(`uploaded ${blob.digest} (${blob.size} bytes) to ${repositoryName(repository)}`)
    return 'uploaded'
  }

  /** Stores a manifest or index under the reference's tag (or digest); returns its digest. */
  async pushManifest(reference: ImageReference | string, bytes: Uint8Array, mediaType: string): Promise<string> {
    const ref = toReference(reference)
    const content = Buffer.from(bytes)
    const digest = ref.digest === undefined ? sha256Digest(content) : digestOf(content, parseDigest(ref.digest).algorithm)
    if (ref.digest !== undefined && digest !== ref.digest) throw digestMismatchError('the manifest to push as', ref.digest, digest, 'this client')
    const operation = this.operation(ref, `push the manifest ${ref}`)
    const response = await this.send(ref, ['pull', 'push'], {method: 'PUT', url: this.apiUrl(ref, `manifests/${ref.identifier}`), headers: {'Content-Type': mediaType}, body: content}, operation)
    if (response.status !== 201) throw await this.failure(response, operation)
    await discardBody(response)
    const stored = headerValue(response, 'docker-content-digest')
    if (stored !== undefined && stored.startsWith('sha256:') && stored !== sha256Digest(content)) {
      throw digestMismatchError('the pushed manifest', sha256Digest(content), stored, ref.name)
    }

    this.logger.debug(`pushed ${mediaType} ${digest} as ${ref}`)
    return digest
  }

  /** Every tag of the repository, following the registry's pagination. */
  async listTags(location: Location): Promise<string[]> {
    const repository = toLocation(location)
    const operation = this.operation(repository, `list the tags of ${repositoryName(repository)}`)
    const tags: string[] = []
    let url: URL | undefined = this.apiUrl(repository, 'tags/list')
    url.searchParams.set('n', '1000')
    while (url !== undefined) {
      const response: HttpResponse = await this.send(repository, ['pull'], {method: 'GET', url}, operation)
      if (response.status !== 200) throw await this.failure(response, operation)
      const page = JSON.parse((await this.readLimited(response, MAX_MANIFEST_BYTES, operation)).toString('utf8')) as {tags?: unknown}
      if (Array.isArray(page.tags)) tags.push(...page.tags.filter((tag): tag is string => typeof tag === 'string'))
      const next = /<([^>]+)>\s*;\s*rel="?next"?/.exec(headerValue(response, 'link') ?? '')
      url = next === null ? undefined : new URL(next[1], url)
    }

    return tags
  }

  /** Closes idle connections. The client can still be used afterwards. */
  async close(): Promise<void> {
    const transport = this.transportPromise
    this.transportPromise = undefined
    if (transport !== undefined) (await transport.catch(() => undefined))?.close()
  }

  /** Hands the blob's content to `consume` (again, should the download break off) and checks its digest; returns its size. */
  private async downloadBlob(repository: RepositoryLocation, digest: string, consume: (content: Readable) => Promise<void>): Promise<number> {
    const {algorithm} = parseDigest(digest)
    const operation = this.operation(repository, `fetch the blob ${digest} from ${repositoryName(repository)}`)
    const started = Date.now()
    for (let attempt = 1; ; attempt++) {
      const response = await this.send(repository, ['pull'], {method: 'GET', url: this.apiUrl(repository, `blobs/${digest}`)}, operation)
      if (response.status !== 200) throw await this.failure(response, operation)
      const digesting = new DigestingStream(algorithm)
      response.body.once('error', (error) => digesting.destroy(error))
      try {
        await consume(response.body.pipe(digesting))
      } catch (error) {
        response.body.destroy()
        const code = (error as NodeJS.ErrnoException).code
        if (error instanceof TwoliterError || code === undefined) throw error
        const decision = decideRetry(this.retryPolicy, attempt, Date.now() - started, {networkErrorCode: code})
        if (!decision.retry) throw networkFailureError(new NetworkError(code, response.url, error as Error), operation, isRetryableNetworkError(code) ? decision.reason : undefined)
        this.logger.debug(`the download of ${digest} broke off (${code}); trying again in ${decision.delayMs} ms`)
        await sleep(decision.delayMs)
        continue
      }

      if (digesting.digest !== digest) throw digestMismatchError('the blob', digest, digesting.digest, repositoryName(repository))
      return digesting.size
    }
  }

  /** Sends with the scopes of `actions` on the repository, authenticating and retrying as needed. */
  private send(repository: RepositoryLocation, actions: RepositoryAction[], request: HttpRequest, operation: FailedOperation): Promise<HttpResponse> {
    return this.sendScoped(repository.registry, [repositoryScope(repository.repository, actions)], request, operation)
  }

  private async sendScoped(registry: string, scopes: string[], request: HttpRequest, operation: FailedOperation): Promise<HttpResponse> {
    const authorization = await this.authenticator.authorization(registry, scopes)
    const response = await this.sendWithRetries(withAuthorization(request, authorization), operation)
    if (response.status !== 401) return response
    const retryWith = await this.authenticator.answerChallenge(registry, headerValue(response, 'www-authenticate'), scopes, authorization)
    if (retryWith === undefined) return response
    await discardBody(response)
    return this.sendWithRetries(withAuthorization(request, retryWith), operation)
  }

  private async sendWithRetries(request: HttpRequest, operation: FailedOperation): Promise<HttpResponse> {
    const transport = await this.transport()
    const started = Date.now()
    for (let attempt = 1; ; attempt++) {
      let response: HttpResponse
      try {
        response = await transport.send(request)
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error
        const decision = decideRetry(this.retryPolicy, attempt, Date.now() - started, {networkErrorCode: error.code})
        if (!decision.retry) throw networkFailureError(error, operation, isRetryableNetworkError(error.code) ? decision.reason : undefined)
        this.logger.debug(`${request.method} ${describeUrl(request.url)} failed (${error.code}); trying again in ${decision.delayMs} ms`)
        await sleep(decision.delayMs)
        continue
      }

      this.logger.trace(`${request.method} ${describeUrl(request.url)} → ${response.status}`)
      if (!isRetryableStatus(response.status)) return response
      const decision = decideRetry(this.retryPolicy, attempt, Date.now() - started, {status: response.status, retryAfterMs: parseRetryAfter(headerValue(response, 'retry-after'))})
      if (!decision.retry) {
        const details = parseRegistryErrors(await readBody(response, MAX_ERROR_BODY_BYTES).catch(() => EMPTY))
        throw registryResponseError(response.status, details, operation, decision.reason)
      }

      await discardBody(response)
      this.logger.debug(`${request.method} ${describeUrl(request.url)} answered ${response.status}; trying again in ${decision.delayMs} ms`)
      await sleep(decision.delayMs)
    }
  }

  private transport(): Promise<HttpTransport> {
    this.transportPromise ??= this.createTransport()
    return this.transportPromise
  }

  private async createTransport(): Promise<HttpTransport> {
    const certificateFile = this.env.SSL_CERT_FILE
    let extraCertificates: string | undefined
    if (certificateFile !== undefined && certificateFile !== '') {
      try {
        extraCertificates = await readFile(certificateFile, 'utf8')
      } catch (error) {
        throw new TwoliterError(`SSL_CERT_FILE names ${certificateFile}, which cannot be read: ${(error as Error).message}.`, {
          hint: 'Point SSL_CERT_FILE at a PEM file of CA certificates, or unset it.',
          code: 'oci.tls',
        })
      }
    }

    return new HttpTransport({extraCertificates, userAgent: this.options.userAgent})
  }

  private apiUrl(repository: RepositoryLocation, path: string): URL {
    return new URL(`/v2/${repository.repository}/${path}`, registryBaseUrl(repository.registry, this.insecureRegistries))
  }

  private uploadLocation(response: HttpResponse, operation: FailedOperation): URL {
    const location = headerValue(response, 'location')
    if (location === undefined) {
      throw new TwoliterError(`cannot ${operation.action}: ${operation.registry} started an upload without saying where to send it (no Location header).`, {
        hint: 'The registry does not follow the distribution API; tell whoever runs it.',
        code: 'oci.upload-location',
      })
    }

    return new URL(location, response.url)
  }

  private operation(repository: RepositoryLocation, action: string): FailedOperation {
    return {action, registry: repository.registry}
  }

  private async readLimited(response: HttpResponse, limit: number, operation: FailedOperation): Promise<Buffer> {
    try {
      return await readBody(response, limit)
    } catch (error) {
      if (error instanceof Error && 'code' in error && typeof error.code === 'string') {
        throw networkFailureError(new NetworkError(error.code, response.url, error), operation)
      }

      throw new TwoliterError(`cannot ${operation.action}: ${(error as Error).message}.`, {code: 'oci.response-too-large'})
    }
  }

  /** The TwoliterError for a response we did not want, with the registry's own explanation. */
  private async failure(response: HttpResponse, operation: FailedOperation): Promise<TwoliterError> {
    const body = await readBody(response, MAX_ERROR_BODY_BYTES).catch(() => EMPTY)
    const credentialSource = await this.credentialSourceFor(response, operation.registry)
    return registryResponseError(response.status, parseRegistryErrors(body), {...operation, credentialSource})
  }

  private async credentialSourceFor(response: HttpResponse, registry: string): Promise<string | undefined> {
    if (response.status !== 401 && response.status !== 403) return undefined
    return this.authenticator.credentialSource(registry)
  }
}

function toLocation(location: Location): RepositoryLocation {
  return typeof location === 'string' ? ImageReference.parse(location) : location
}

function manifestNotFound(ref: ImageReference): string {
  return ref.digest === undefined ? `the tag ${ref.identifier} or the repository does not exist` : 'the repository does not have this manifest, or does not exist'
}

function withAuthorization(request: HttpRequest, authorization: string | undefined): HttpRequest {
  return authorization === undefined ? request : {...request, headers: {...request.headers, Authorization: authorization}}
}
