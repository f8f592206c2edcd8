/**
 * Where the sources of packages (their external files) are fetched from: our Twoliter.toml extension keys
 * `lookaside-caches` and `upstream-source-fallback` (twoliter 0.5 ignores both), merged with the command
 * line's positional LOOKASIDE_CACHE argument and `--upstream-source-fallback` flag.
 */

import {TwoliterError, UsageError} from '../errors.js'
import {locateArrayItem} from '../toml/document.js'
import {TableReader} from '../toml/table-reader.js'
import {PROJECT_WORDING} from './fields.js'
import type {Project} from './project.js'

export interface SourcesConfig {
  /** Base URLs of lookaside caches, tried in this order; empty means no lookaside at all. No trailing '/'. */
  lookasideCaches: string[]
  /** Whether a file no lookaside cache has is fetched from its upstream `url`. */
  upstreamFallback: boolean
}

/** What the command line says; an undefined field leaves Twoliter.toml's setting alone. */
export interface SourcesOverrides {
  /** The positional LOOKASIDE_CACHE argument: replaces the whole list with this one cache. */
  lookasideCache?: string
  /** `--upstream-source-fallback` (or `--no-upstream-source-fallback`). */
  upstreamFallback?: boolean
}

export const DEFAULT_LOOKASIDE_CACHES: readonly string[] = ['https://cache.bottlerocket.aws']

const EXAMPLE = 'lookaside-caches = ["https://cache.example.com", "https://cache.bottlerocket.aws"]'

/** The settings of Twoliter.toml, with twoliter 0.5's defaults for the keys it does not have. */
export function readSourcesConfig(project: Pick<Project, 'document'>): SourcesConfig {
  const root = TableReader.root(project.document, PROJECT_WORDING)
  const caches = root.stringArray('lookaside-caches')
  const lookasideCaches =
    caches === undefined
      ? [...DEFAULT_LOOKASIDE_CACHES]
      : caches.map((url, index) => {
          const problem = cacheUrlProblem(url)
          if (problem === undefined) return normalizeCacheUrl(url)
          throw new TwoliterError(`the lookaside cache ${JSON.stringify(url)} ${problem}.`, {
            location: locateArrayItem(project.document, ['lookaside-caches'], url),
            hint: `Write the base URL of the cache, e.g. \`${EXAMPLE}\`.`,
            code: 'project.invalid-lookaside-cache',
          })
        })

  return {lookasideCaches, upstreamFallback: root.boolean('upstream-source-fallback') ?? false}
}

/** Twoliter.toml's settings with the command line's overrides applied. */
export function resolveSourcesConfig(project: Pick<Project, 'document'>, overrides: SourcesOverrides = {}): SourcesConfig {
  const fromProject = readSourcesConfig(project)
  return {
    lookasideCaches: overrides.lookasideCache === undefined ? fromProject.lookasideCaches : [checkedCacheArgument(overrides.lookasideCache)],
    upstreamFallback: overrides.upstreamFallback ?? fromProject.upstreamFallback,
  }
}

function checkedCacheArgument(url: string): string {
  const problem = cacheUrlProblem(url)
  if (problem === undefined) return normalizeCacheUrl(url)
  throw new UsageError(`the LOOKASIDE_CACHE argument ${JSON.stringify(url)} ${problem}.`, {
    hint: 'Give the base URL of a lookaside cache, e.g. https://cache.bottlerocket.aws, or leave the argument out to use lookaside-caches of Twoliter.toml.',
    code: 'usage.invalid-lookaside-cache',
  })
}

/** Why `url` cannot be a lookaside cache base URL, or undefined when it can. */
export function cacheUrlProblem(url: string): string | undefined {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return 'is not a valid URL'
  }

  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `must be an http or https URL, not ${parsed.protocol.slice(0, -1)}`
  // File paths are appended to the base URL, which a query or fragment would swallow.
  if (parsed.search !== '' || parsed.hash !== '') return 'must not have a query (?...) or fragment (#...)'
  // Credentials would end up in logs and error messages, and fetch refuses them anyway.
  if (parsed.username !== '' || parsed.password !== '') return 'must not contain a user name or password'
  return undefined
}

function normalizeCacheUrl(url: string): string {
  return url.replace(/\/+$/, '')
}
