/**
 * Whether Twoliter.lock still belongs to Twoliter.toml: what `update` resolved from ([sdk], [[kit]], the
 * vendors and Twoliter.override) is fingerprinted into the lock, and the lock's pins are compared with
 * what Twoliter.toml asks for. When both agree, builds trust the lock and touch no registry.
 */

import {createHash} from 'node:crypto'
import {basename} from 'node:path'

import {TwoliterError} from '../errors.js'
import {canonicalJson, type JsonValue} from '../oci/canonical-json.js'
import {LOCK_FILE, type Lock, type LockedImage} from './lock.js'
import {describeImageRef, verbatimImageUri} from './project-image.js'
import type {ImageRef, Project} from './project.js'

type LockInputs = Pick<Project, 'file' | 'sdk' | 'kits' | 'vendors' | 'override'>

/**
 * `sha256:<hex>` of the canonical JSON of [sdk], [[kit]], the vendors' registries and Twoliter.override's
 * registry redirections. `path` overrides are left out: a local kit never changes the lock.
 */
export function projectInputsDigest(project: LockInputs): string {
  const overrides: Record<string, Record<string, JsonValue>> = {}
  for (const [vendor, artifacts] of Object.entries(project.override.images)) {
    for (const [artifact, override] of Object.entries(artifacts)) {
      if (override.name === undefined && override.registry === undefined) continue
      overrides[vendor] ??= {}
      overrides[vendor][artifact] = {name: override.name ?? null, registry: override.registry ?? null}
    }
  }

  const inputs: JsonValue = {
    sdk: project.sdk === undefined ? null : imageJson(project.sdk),
    kit: project.kits.map(imageJson),
    vendors: Object.fromEntries(Object.entries(project.vendors).map(([name, vendor]) => [name, vendor.registry])),
    overrides,
  }
  return `sha256:${createHash('sha256').update(canonicalJson(inputs)).digest('hex')}`
}

/** Why the lock no longer fits the project; empty when it does. */
export function lockStaleness(project: LockInputs, lock: Lock): string[] {
  const reasons: string[] = []
  if (project.sdk !== undefined) {
    const expected = sourceOf(project, project.sdk)
    if (!samePin(lock.sdk, project.sdk, expected)) {
      reasons.push(`[sdk] names ${describeImageRef(project.sdk)} but the lock pins the SDK ${describeImageRef(lock.sdk)} (${lock.sdk.source})`)
    }
  }

  for (const kit of project.kits) {
    const locked = lock.kit.find((candidate) => candidate.name === kit.name && candidate.vendor === kit.vendor)
    const expected = sourceOf(project, kit)
    if (locked === undefined) reasons.push(`[[kit]] ${describeImageRef(kit)} is not in the lock`)
    else if (!samePin(locked, kit, expected)) reasons.push(`[[kit]] names ${describeImageRef(kit)} (${expected}) but the lock pins ${describeImageRef(locked)} (${locked.source})`)
  }

  if (reasons.length === 0 && lock.projectInputs !== undefined && lock.projectInputs !== projectInputsDigest(project)) {
    reasons.push(`the vendors' registries or Twoliter.override changed since the lock was written`)
  }

  return reasons
}

/** Throws unless the lock fits the project. */
export function assertLockFits(project: LockInputs & Pick<Project, 'root'>, lock: Lock): void {
  const reasons = lockStaleness(project, lock)
  if (reasons.length === 0) return
  throw new TwoliterError(`${LOCK_FILE} no longer matches ${basename(project.file)}: ${reasons.join('; ')}.`, {
    location: {file: `${project.root}/${LOCK_FILE}`},
    hint: 'Run `twoliter update` to resolve the kits and the SDK again and rewrite the lock (`twoliter update --dry-run` shows what would change).',
    code: 'lock.stale',
  })
}

function sourceOf(project: LockInputs, image: ImageRef): string | undefined {
  const vendor = Object.hasOwn(project.vendors, image.vendor) ? project.vendors[image.vendor] : undefined
  return vendor === undefined ? undefined : verbatimImageUri(image, vendor).toString()
}

function samePin(locked: LockedImage, wanted: ImageRef, source: string | undefined): boolean {
  return locked.name === wanted.name && locked.version === wanted.version && locked.vendor === wanted.vendor && locked.source === source
}

function imageJson(image: ImageRef): JsonValue {
  return {name: image.name, version: image.version, vendor: image.vendor}
}
