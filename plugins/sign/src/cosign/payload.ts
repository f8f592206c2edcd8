/**
 * The "simple signing" payload: the small JSON document a cosign signature actually signs. It binds a
 * manifest digest (what the image is) to a repository (where it was signed for); the signature is over
 * these exact bytes, so they are written the way cosign writes them (Go's encoding/json of its structs)
 * and read back without re-encoding.
 */

import {SigningError} from './errors.js'
import {goMap, goString, goStruct} from './go-json.js'

/** The `critical.type` of an image signature; attestations and other payloads have other types. */
export const SIMPLE_SIGNING_TYPE = 'cosign container image signature'

export interface PayloadInput {
  /** The repository the signature is for, without tag or digest: `registry[:port]/path/name`. */
  dockerReference: string
  /** The signed image's digest, `sha256:<hex>`: the registry's digest of its manifest or index. */
  manifestDigest: string
  /** Extra claims (`cosign sign -a key=value`); written under `optional`, which is `null` without them. */
  annotations?: Readonly<Record<string, string>>
}

export interface SimpleSigningPayload {
  dockerReference: string
  manifestDigest: string
  type: string
  /** `optional`: null, or whatever object the signer put there (cosign: string annotations). */
  optional: Record<string, unknown> | null
}

const DIGEST = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/

/** The payload bytes cosign would sign for this image. */
export function simpleSigningPayload({dockerReference, manifestDigest, annotations}: PayloadInput): Buffer {
  if (!DIGEST.test(manifestDigest)) {
    throw new SigningError(`'${manifestDigest}' is not an image digest.`, {code: 'cosign.digest-invalid', hint: 'Sign an image by its digest, sha256:<64 hex digits>, as the registry reports it.'})
  }

  if (dockerReference === '' || /[@\s]/.test(dockerReference)) {
    throw new SigningError(`'${dockerReference}' is not a repository name.`, {code: 'cosign.payload-corrupt', hint: 'Name the repository as registry[:port]/path/name, without a tag or digest.'})
  }

  const optional = annotations === undefined || Object.keys(annotations).length === 0 ? 'null' : goMap(annotations)
  const json = goStruct([
    [
      'critical',
      goStruct([
        ['identity', goStruct([['docker-reference', goString(dockerReference)]])],
        ['image', goStruct([['docker-manifest-digest', goString(manifestDigest)]])],
        ['type', goString(SIMPLE_SIGNING_TYPE)],
      ]),
    ],
    ['optional', optional],
  ])
  return Buffer.from(json, 'utf8')
}

/** Reads a payload's claims; throws a SigningError (`cosign.payload-corrupt`) when it is not a simple-signing document. */
export function parsePayload(bytes: Uint8Array): SimpleSigningPayload {
  const corrupt = (what: string): SigningError =>
    new SigningError(`The signature's payload is not a cosign simple-signing document: ${what}.`, {
      code: 'cosign.payload-corrupt',
      hint: 'The signature was not made by cosign (or twoliter), or was changed; sign the image again.',
    })
  let json: unknown
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'))
  } catch {
    throw corrupt('it is not JSON')
  }

  if (!isObject(json) || !isObject(json.critical)) throw corrupt('it has no "critical" section')
  const {identity, image, type} = json.critical
  if (!isObject(identity) || typeof identity['docker-reference'] !== 'string') throw corrupt('it has no critical.identity.docker-reference')
  if (!isObject(image) || typeof image['docker-manifest-digest'] !== 'string') throw corrupt('it has no critical.image.docker-manifest-digest')
  if (typeof type !== 'string') throw corrupt('it has no critical.type')
  const optional = json.optional === undefined || json.optional === null ? null : json.optional
  if (optional !== null && !isObject(optional)) throw corrupt('its "optional" section is not an object')
  return {dockerReference: identity['docker-reference'], manifestDigest: image['docker-manifest-digest'], type, optional}
}

export type PayloadProblemKind = 'corrupt' | 'wrong-type' | 'digest-mismatch' | 'identity-mismatch'

export interface PayloadProblem {
  kind: PayloadProblemKind
  /** One sentence for the user. */
  detail: string
}

export interface PayloadExpectation {
  /** The digest of the image being verified. */
  manifestDigest: string
  /** When given, the repository the signature must name (cosign itself does not check this; policies do). */
  dockerReference?: string
}

/**
 * What is wrong with a payload for this image: an empty list when it claims this digest (and this
 * repository, when one is expected) as an image signature. It says nothing about who signed it; that
 * is the signature's job.
 */
export function checkPayload(bytes: Uint8Array, expected: PayloadExpectation): PayloadProblem[] {
  let payload: SimpleSigningPayload
  try {
    payload = parsePayload(bytes)
  } catch (error) {
    return [{kind: 'corrupt', detail: error instanceof Error ? error.message : String(error)}]
  }

  const problems: PayloadProblem[] = []
  if (payload.type !== SIMPLE_SIGNING_TYPE) {
    problems.push({kind: 'wrong-type', detail: `The payload is a "${payload.type}", not a "${SIMPLE_SIGNING_TYPE}".`})
  }

  if (payload.manifestDigest !== expected.manifestDigest) {
    problems.push({kind: 'digest-mismatch', detail: `The signature is for the image ${payload.manifestDigest}, not ${expected.manifestDigest}.`})
  }

  if (expected.dockerReference !== undefined && !sameRepository(payload.dockerReference, expected.dockerReference)) {
    problems.push({kind: 'identity-mismatch', detail: `The signature is for the repository ${payload.dockerReference}, not ${expected.dockerReference}.`})
  }

  return problems
}

/**
 * Whether two repository names are the same. Exact, except that Docker Hub has several spellings
 * (cosign writes `index.docker.io/...`, people write `docker.io/...`, and official images live under `library/`).
 */
export function sameRepository(a: string, b: string): boolean {
  return normalizeRepository(a) === normalizeRepository(b)
}

const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io'])

function normalizeRepository(name: string): string {
  const slash = name.indexOf('/')
  if (slash < 0) return name
  const host = name.slice(0, slash)
  if (!DOCKER_HUB_HOSTS.has(host)) return name
  const path = name.slice(slash + 1)
  return `docker.io/${path.includes('/') ? path : `library/${path}`}`
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
