/** What `twoliter update` changes in Twoliter.lock: kits and the SDK added, removed or pinned differently. */

import {describeLockedImage, type Lock, type LockedImage, lockedImagesEqual} from '../project/lock.js'

export interface LockChange {
  kind: 'sdk' | 'kit'
  change: 'added' | 'removed' | 'changed'
  before?: LockedImage
  after?: LockedImage
}

/**
 * The changes from `before` (undefined: no lock yet) to `after`. Kits are matched by name and vendor;
 * the SDK first, then kits added or changed in `after`'s order, then kits removed in `before`'s order.
 */
export function diffLocks(before: Lock | undefined, after: Lock): LockChange[] {
  const changes: LockChange[] = []
  if (before === undefined) changes.push({kind: 'sdk', change: 'added', after: after.sdk})
  else if (!lockedImagesEqual(before.sdk, after.sdk)) changes.push({kind: 'sdk', change: 'changed', before: before.sdk, after: after.sdk})

  const previous = byKit(before?.kit ?? [])
  const current = byKit(after.kit)
  for (const kit of after.kit) {
    const old = previous.get(kitKey(kit))
    if (old === undefined) changes.push({kind: 'kit', change: 'added', after: kit})
    else if (!lockedImagesEqual(old, kit)) changes.push({kind: 'kit', change: 'changed', before: old, after: kit})
  }

  for (const kit of before?.kit ?? []) {
    if (!current.has(kitKey(kit))) changes.push({kind: 'kit', change: 'removed', before: kit})
  }

  return changes
}

/**
 * One line per change: `+ kit core-kit-1.0.0@vendor (source)`, `- kit …`, `~ kit core-kit@vendor 1.0.0 → 1.1.0
 * (source)`, `~ kit x-1.0.0@v: digest changed (old… → new…)`. No lines for no changes.
 */
export function renderLockDiff(changes: readonly LockChange[]): string[] {
  return changes.map((change) => {
    if (change.change === 'added') return `+ ${change.kind} ${describeLockedImage(change.after!)}`
    if (change.change === 'removed') return `- ${change.kind} ${describeLockedImage(change.before!)}`
    return `~ ${change.kind} ${describeRepin(change.before!, change.after!)}`
  })
}

function describeRepin(before: LockedImage, after: LockedImage): string {
  if (before.name !== after.name || before.vendor !== after.vendor) return `${describeLockedImage(before)} → ${describeLockedImage(after)}`
  if (before.version !== after.version) return `${before.name}@${before.vendor} ${before.version} → ${after.version} (${after.source})`
  const what: string[] = []
  if (before.source !== after.source) what.push(`source changed (${before.source} → ${after.source})`)
  if (before.digest !== after.digest) what.push(`digest changed (${shortDigest(before.digest)} → ${shortDigest(after.digest)})`)
  return `${before.name}-${before.version}@${before.vendor}: ${what.join(', ')}`
}

function shortDigest(digest: string): string {
  return digest.length > 12 ? `${digest.slice(0, 12)}…` : digest
}

function kitKey(image: LockedImage): string {
  return `${image.name}@${image.vendor}`
}

function byKit(kits: readonly LockedImage[]): Map<string, LockedImage> {
  const map = new Map<string, LockedImage>()
  for (const kit of kits) if (!map.has(kitKey(kit))) map.set(kitKey(kit), kit)
  return map
}
