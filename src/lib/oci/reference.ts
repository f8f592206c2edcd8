/**
 * Image references: `registry[:port]/path/name[:tag][@digest]`. A first component without a dot, a colon
 * or brackets that is not `localhost` is part of the repository path, as in docker: such references
 * point at Docker Hub (`docker.io`, with `library/` for one-component names).
 */

import {TwoliterError} from '../errors.js'
import {isDigest} from './digest.js'

export const DOCKER_HUB = 'docker.io'
export const DEFAULT_TAG = 'latest'

// The distribution spec's grammar for repository path components and tags.
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const TAG = /^\w[\w.-]{0,127}$/
const HOST_NAME = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*$/
const IPV6_LITERAL = /^\[[0-9a-fA-F:.]+(?:%[\w.]+)?\]$/
const PORT = /^\d{1,5}$/

/** Where a repository lives: enough to name blobs, which belong to a repository and not to a tag. */
export interface RepositoryLocation {
  /** `host[:port]`, e.g. `127.0.0.1:5000`, `[::1]:5000`, `public.ecr.aws`. */
  readonly registry: string
  /** The path inside the registry, e.g. `bottlerocket/bottlerocket-sdk`. */
  readonly repository: string
}

export class ImageReference implements RepositoryLocation {
  private constructor(
    readonly registry: string,
    readonly repository: string,
    readonly tag: string | undefined,
    readonly digest: string | undefined,
  ) {}

  static parse(text: string): ImageReference {
    const fail = (reason: string): never => {
      throw new TwoliterError(`'${text}' is not an image reference: ${reason}.`, {
        hint: 'Write it as registry[:port]/path/name:tag or registry[:port]/path/name@sha256:<hex>.',
        code: 'oci.reference-invalid',
      })
    }

    let rest = text
    let digest: string | undefined
    const at = rest.indexOf('@')
    if (at !== -1) {
      digest = rest.slice(at + 1)
      rest = rest.slice(0, at)
      if (!isDigest(digest)) fail(`'${digest}' is not a digest`)
    }

    let tag: string | undefined
    const colon = rest.lastIndexOf(':')
    if (colon > rest.lastIndexOf('/') && colon > rest.lastIndexOf(']')) {
      tag = rest.slice(colon + 1)
      rest = rest.slice(0, colon)
      if (!TAG.test(tag)) fail(`'${tag}' is not a valid tag`)
    }

    if (rest === '') fail('it names no repository')
    const slash = rest.indexOf('/')
    const first = slash === -1 ? rest : rest.slice(0, slash)
    let registry: string
    let repository: string
    if (slash !== -1 && (first.includes('.') || first.includes(':') || first.startsWith('[') || first === 'localhost')) {
      registry = first
      repository = rest.slice(slash + 1)
      const problem = registryProblem(registry)
      if (problem !== undefined) fail(problem)
    } else {
      registry = DOCKER_HUB
      repository = slash === -1 ? `library/${rest}` : rest
    }

    for (const component of repository.split('/')) {
      if (!PATH_COMPONENT.test(component)) fail(`'${component}' is not a valid repository name component (lowercase letters, digits and single separators)`)
    }

    if (repository.length > 255) fail('the repository name is longer than 255 characters')
    return new ImageReference(registry, repository, tag, digest)
  }

  static of(location: RepositoryLocation, identifier: {tag?: string; digest?: string} = {}): ImageReference {
    return ImageReference.parse(`${location.registry}/${location.repository}`).with(identifier)
  }

  /** What the registry API calls the manifest by: the digest when there is one, else the tag. */
  get identifier(): string {
    return this.digest ?? this.tag ?? DEFAULT_TAG
  }

  /** `registry/repository`, without tag or digest. */
  get name(): string {
    return `${this.registry}/${this.repository}`
  }

  withTag(tag: string): ImageReference {
    return ImageReference.parse(`${this.name}:${tag}`)
  }

  /** The same image pinned by digest; the tag is kept for display. */
  withDigest(digest: string): ImageReference {
    return this.with({tag: this.tag, digest})
  }

  /** The same repository pinned by digest alone, without a tag: `registry/repository@sha256:<hex>`. */
  byDigest(digest: string): ImageReference {
    return this.with({digest})
  }

  toString(): string {
    return `${this.name}${this.tag === undefined ? '' : `:${this.tag}`}${this.digest === undefined ? '' : `@${this.digest}`}`
  }

  private with(identifier: {tag?: string; digest?: string}): ImageReference {
    let text = this.name
    if (identifier.tag !== undefined) text += `:${identifier.tag}`
    if (identifier.digest !== undefined) text += `@${identifier.digest}`
    return ImageReference.parse(text)
  }
}

/** Parses a reference given as text; passes an already parsed one through. */
export function toReference(reference: ImageReference | string): ImageReference {
  return typeof reference === 'string' ? ImageReference.parse(reference) : reference
}

/** `registry/repository`, for messages. */
export function repositoryName(location: RepositoryLocation): string {
  return `${location.registry}/${location.repository}`
}

/** The host of `host[:port]` (brackets of an IPv6 literal removed) and the port when one is given. */
export function splitRegistry(registry: string): {host: string; port: number | undefined} {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(registry)
  if (match === null) return {host: registry, port: undefined}
  const host = match[1].startsWith('[') ? match[1].slice(1, -1) : match[1]
  return {host, port: match[2] === undefined ? undefined : Number(match[2])}
}

function registryProblem(registry: string): string | undefined {
  const match = /^(\[[^\]]+\]|[^:]+)(?::([^:]*))?$/.exec(registry)
  if (match === null) return `'${registry}' is not a registry host[:port]`
  const [, host, port] = match
  if (!(HOST_NAME.test(host) || IPV6_LITERAL.test(host))) return `'${host}' is not a registry host name`
  if (port !== undefined && (!PORT.test(port) || Number(port) > 65_535)) return `'${port}' is not a port number`
  return undefined
}
