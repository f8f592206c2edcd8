/**
 * What an external file is called and where it may be fetched from, in the order buildsys tries:
 * every lookaside cache at `<cache>/<name>/<sha512>/<name>`, then the upstream `url`.
 */

import {TwoliterError} from '../errors.js'
import type {ExternalFile} from '../manifest/types.js'
import type {SourcesConfig} from '../project/sources-config.js'

export type SourceKind = 'lookaside' | 'upstream'

export interface SourceCandidate {
  kind: SourceKind
  url: string
}

const SHA512_HEX = /^[0-9a-f]{128}$/

/** The file's name in the package directory: `path` when given, else the last segment of the URL (as buildsys). */
export function externalFileName(file: Pick<ExternalFile, 'url' | 'path'>): string {
  if (file.path !== undefined) return file.path
  try {
    return new URL(file.url).pathname.split('/').at(-1) ?? ''
  } catch {
    return ''
  }
}

/**
 * The name and lower-case digest of `file`, refused when they could not safely name a file in the cache. The
 * manifest reader already checks both; this guards callers that build an ExternalFile some other way.
 */
export function checkedExternalFile(file: ExternalFile, packageName: string): {name: string; sha512: string} {
  const name = externalFileName(file)
  const sha512 = file.sha512.toLowerCase()
  const problem = !SHA512_HEX.test(sha512)
    ? `its sha512 ${JSON.stringify(file.sha512)} is not 128 hexadecimal characters`
    : isPlainFileName(name)
      ? undefined
      : `its file name ${JSON.stringify(name)} (from ${file.path === undefined ? 'the url' : 'path'}) is not a plain file name`
  if (problem === undefined) return {name, sha512}
  throw new TwoliterError(`package ${packageName}: the external file ${file.url} cannot be fetched: ${problem}.`, {
    hint: 'Fix the external-files entry in the package\'s Cargo.toml.',
    code: 'sources.invalid-external-file',
  })
}

export function lookasideUrl(cache: string, name: string, sha512: string): string {
  // The name is used as written, like buildsys does, except for the two characters that would end the path.
  const segment = name.replaceAll('?', '%3F').replaceAll('#', '%23')
  return `${cache}/${segment}/${sha512}/${segment}`
}

/** The URLs to try for `file`, in order. Empty when there are no lookaside caches and no upstream fallback. */
export function sourceCandidates(file: ExternalFile, name: string, sha512: string, config: SourcesConfig): SourceCandidate[] {
  const lookaside: SourceCandidate[] = file.forceUpstream
    ? []
    : config.lookasideCaches.map((cache) => ({kind: 'lookaside', url: lookasideUrl(cache, name, sha512)}))
  const upstream: SourceCandidate[] = file.forceUpstream || config.upstreamFallback ? [{kind: 'upstream', url: file.url}] : []
  return [...lookaside, ...upstream]
}

function isPlainFileName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('/') && !name.includes('\\') && !name.includes('\0')
}
