/**
 * The metadata a kit image carries in its configuration label `dev.bottlerocket.kit.v2`: base64 of the
 * compact, key-sorted JSON `{name, version, sdk, kit[]}` that rpm2kit writes with `jq -c --sort-keys`
 * (trailing newline included). The Rust twoliter 0.5 reads exactly this label, so both directions work.
 */

import {TwoliterError} from '../errors.js'
import type {LockedImage} from '../project/lock.js'
import type {ImageRef} from '../project/project.js'
import {isStrictSemver} from '../project/semver.js'

export const KIT_METADATA_VERSION = 'v2'
export const KIT_METADATA_LABEL = `dev.bottlerocket.kit.${KIT_METADATA_VERSION}`
const KIT_LABEL_PREFIX = 'dev.bottlerocket.kit.'

/** What a kit image says about itself. */
export interface KitImageMetadata {
  name: string
  version: string
  /** The SDK it was built with, as the building project's lock pinned it. */
  sdk: ImageRef & Partial<Pick<LockedImage, 'source' | 'digest'>>
  /** Every kit it was built against (local ones and the whole external lock), without digests. */
  kit: ImageRef[]
}

const TOP_LEVEL_KEYS = ['kit', 'name', 'sdk', 'version']

/** The label value: base64 of `jq -c --sort-keys` output, newline included. */
export function encodeKitMetadata(metadata: KitImageMetadata): string {
  return Buffer.from(sortedJson(metadata) + '\n', 'utf8').toString('base64')
}

/**
 * Reads the kit metadata from an image configuration's labels. `where` names the image in errors. Labels
 * of another metadata version and images without any kit label get the Rust twoliter's explanations.
 */
export function decodeKitMetadata(labels: Readonly<Record<string, unknown>> | undefined, where: string): KitImageMetadata {
  const value = labels?.[KIT_METADATA_LABEL]
  if (typeof value !== 'string') throw missingLabel(labels ?? {}, where)
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(value, 'base64').toString('utf8'))
  } catch {
    throw invalid(where, `its ${KIT_METADATA_LABEL} label is not base64-encoded JSON`)
  }

  if (!isObject(parsed)) throw invalid(where, 'its metadata is not a JSON object')
  const unknown = Object.keys(parsed).filter((key) => !TOP_LEVEL_KEYS.includes(key))
  if (unknown.length > 0) throw invalid(where, `its metadata has fields twoliter does not know: ${unknown.join(', ')}`)
  const name = text(parsed, 'name', where)
  const version = text(parsed, 'version', where)
  if (!isStrictSemver(version)) throw invalid(where, `its version '${version}' is not a semantic version`)
  if (!isObject(parsed.sdk)) throw invalid(where, 'its metadata names no sdk')
  const sdk: KitImageMetadata['sdk'] = imageRef(parsed.sdk, where, 'sdk')
  for (const key of ['source', 'digest'] as const) {
    if (typeof parsed.sdk[key] === 'string') sdk[key] = parsed.sdk[key]
  }

  if (!Array.isArray(parsed.kit)) throw invalid(where, 'its metadata has no kit list')
  const kit = parsed.kit.map((entry: unknown, index: number) => {
    if (!isObject(entry)) throw invalid(where, `kit entry ${index + 1} of its metadata is not an object`)
    return imageRef(entry, where, `kit entry ${index + 1}`)
  })
  return {name, version, sdk, kit}
}

function missingLabel(labels: Readonly<Record<string, unknown>>, where: string): TwoliterError {
  const other = Object.keys(labels).find((key) => key.startsWith(KIT_LABEL_PREFIX))
  if (other === undefined) {
    return new TwoliterError(`${where} has no kit metadata stored on the image (no ${KIT_METADATA_LABEL} label); this image appears not to be a kit.`, {
      hint: 'Check the kit\'s name, vendor and version in Twoliter.toml, and Twoliter.override.',
      code: 'kit.not-a-kit',
    })
  }

  const version = other.slice(KIT_LABEL_PREFIX.length)
  const number = /^v(\d+)$/.exec(version)?.[1]
  const ours = Number(KIT_METADATA_VERSION.slice(1))
  const by = number === undefined ? 'a different' : Number(number) < ours ? 'an older' : 'a newer'
  return new TwoliterError(
    `${where} appears to be built with kit metadata version '${version}', possibly by ${by} version of twoliter with unsupported incompatibilities; this twoliter reads metadata version '${KIT_METADATA_VERSION}' only.`,
    {
      hint: 'Use a version of the kit built with twoliter 0.5 (or this twoliter), or ask its vendor to publish one.',
      code: 'kit.metadata-version',
    },
  )
}

function invalid(where: string, problem: string): TwoliterError {
  return new TwoliterError(`${where} has invalid kit metadata: ${problem}.`, {
    hint: 'The image was not built by a twoliter that writes kit metadata v2; rebuild and publish it.',
    code: 'kit.metadata-invalid',
  })
}

function imageRef(value: Record<string, unknown>, where: string, what: string): ImageRef {
  const ref = {name: text(value, 'name', where, what), version: text(value, 'version', where, what), vendor: text(value, 'vendor', where, what)}
  if (!isStrictSemver(ref.version)) throw invalid(where, `the version '${ref.version}' of its ${what} is not a semantic version`)
  return ref
}

function text(value: Record<string, unknown>, key: string, where: string, what?: string): string {
  const field = value[key]
  if (typeof field !== 'string' || field === '') throw invalid(where, `${what === undefined ? '' : `its ${what} has `}no ${key}`)
  return field
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** JSON with object keys sorted by code point and no whitespace, like `jq -c --sort-keys`. */
function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(sortedJson).join(',')}]`
  if (isObject(value)) {
    const keys = Object.keys(value)
      .filter((key) => value[key] !== undefined)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${keys.map((key) => `${JSON.stringify(key)}:${sortedJson(value[key])}`).join(',')}}`
  }

  return JSON.stringify(value)
}
