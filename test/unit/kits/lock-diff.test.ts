import {expect} from 'chai'

import {diffLocks, renderLockDiff} from '../../../src/lib/kits/lock-diff.js'
import type {Lock, LockedImage} from '../../../src/lib/project/lock.js'

const DIGEST_A = 'ircODRWwflcM7sj++2k3JNQZJ/ovCQTiRY+DZohgk6Y='
const DIGEST_B = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='

function image(name: string, version: string, digest = DIGEST_A, vendor = 'v', registry = 'registry.example/v'): LockedImage {
  return {name, version, vendor, source: `${registry}/${name}:v${version}`, digest}
}

function lock(sdk: LockedImage, ...kit: LockedImage[]): Lock {
  return {schemaVersion: 1, sdk, kit}
}

const SDK = image('sdk', '0.41.0')
const CORE = image('core-kit', '1.0.0')
const EXTRA = image('extra-kit', '2.0.0')

describe('diffLocks and renderLockDiff', () => {
  it('finds no changes between equal locks, even when the project-inputs differ', () => {
    const before = {...lock(SDK, CORE, EXTRA), projectInputs: 'sha256:1'}
    const after = {...lock({...SDK}, {...CORE}, {...EXTRA}), projectInputs: 'sha256:2'}
    expect(diffLocks(before, after)).to.deep.equal([])
    expect(renderLockDiff([])).to.deep.equal([])
  })

  it('shows everything as added when there was no lock', () => {
    const changes = diffLocks(undefined, lock(SDK, CORE))
    expect(changes).to.deep.equal([
      {kind: 'sdk', change: 'added', after: SDK},
      {kind: 'kit', change: 'added', after: CORE},
    ])
    expect(renderLockDiff(changes)).to.deep.equal([
      '+ sdk sdk-0.41.0@v (registry.example/v/sdk:v0.41.0)',
      '+ kit core-kit-1.0.0@v (registry.example/v/core-kit:v1.0.0)',
    ])
  })

  it('shows a kit added to and a kit removed from the lock', () => {
    const changes = diffLocks(lock(SDK, CORE), lock(SDK, EXTRA))
    expect(changes).to.deep.equal([
      {kind: 'kit', change: 'added', after: EXTRA},
      {kind: 'kit', change: 'removed', before: CORE},
    ])
    expect(renderLockDiff(changes)).to.deep.equal([
      '+ kit extra-kit-2.0.0@v (registry.example/v/extra-kit:v2.0.0)',
      '- kit core-kit-1.0.0@v (registry.example/v/core-kit:v1.0.0)',
    ])
  })

  it('shows a new version of a kit as one change, not a removal and an addition', () => {
    const newer = image('core-kit', '1.1.0', DIGEST_B)
    const changes = diffLocks(lock(SDK, CORE, EXTRA), lock(SDK, newer, EXTRA))
    expect(changes).to.deep.equal([{kind: 'kit', change: 'changed', before: CORE, after: newer}])
    expect(renderLockDiff(changes)).to.deep.equal(['~ kit core-kit@v 1.0.0 → 1.1.0 (registry.example/v/core-kit:v1.1.0)'])
  })

  it('shows a kit republished under the same tag as a digest change', () => {
    const republished = image('core-kit', '1.0.0', DIGEST_B)
    const changes = diffLocks(lock(SDK, CORE), lock(SDK, republished))
    expect(changes).to.deep.equal([{kind: 'kit', change: 'changed', before: CORE, after: republished}])
    expect(renderLockDiff(changes)).to.deep.equal(['~ kit core-kit-1.0.0@v: digest changed (ircODRWwflcM… → AAAAAAAAAAAA…)'])
  })

  it('shows a vendor registry move as a source change', () => {
    const moved = image('core-kit', '1.0.0', DIGEST_A, 'v', 'mirror.example/v')
    expect(renderLockDiff(diffLocks(lock(SDK, CORE), lock(SDK, moved)))).to.deep.equal([
      '~ kit core-kit-1.0.0@v: source changed (registry.example/v/core-kit:v1.0.0 → mirror.example/v/core-kit:v1.0.0)',
    ])
  })

  it('shows a kit of the same name from another vendor as an addition and a removal', () => {
    const otherVendor = image('core-kit', '1.0.0', DIGEST_A, 'other', 'registry.example/other')
    expect(renderLockDiff(diffLocks(lock(SDK, CORE), lock(SDK, otherVendor)))).to.deep.equal([
      '+ kit core-kit-1.0.0@other (registry.example/other/core-kit:v1.0.0)',
      '- kit core-kit-1.0.0@v (registry.example/v/core-kit:v1.0.0)',
    ])
  })

  it('shows SDK changes: a new version, a republished SDK, and another SDK', () => {
    const newer = image('sdk', '0.42.0', DIGEST_B)
    expect(diffLocks(lock(SDK, CORE), lock(newer, CORE))).to.deep.equal([{kind: 'sdk', change: 'changed', before: SDK, after: newer}])
    expect(renderLockDiff(diffLocks(lock(SDK), lock(newer)))).to.deep.equal(['~ sdk sdk@v 0.41.0 → 0.42.0 (registry.example/v/sdk:v0.42.0)'])
    expect(renderLockDiff(diffLocks(lock(SDK), lock(image('sdk', '0.41.0', DIGEST_B))))).to.deep.equal(['~ sdk sdk-0.41.0@v: digest changed (ircODRWwflcM… → AAAAAAAAAAAA…)'])
    const other = image('my-sdk', '1.0.0', DIGEST_B, 'me', 'registry.example/me')
    expect(renderLockDiff(diffLocks(lock(SDK), lock(other)))).to.deep.equal([
      '~ sdk sdk-0.41.0@v (registry.example/v/sdk:v0.41.0) → my-sdk-1.0.0@me (registry.example/me/my-sdk:v1.0.0)',
    ])
  })

  it('lists the SDK first, then added and changed kits in the new order, then removed kits in the old order', () => {
    const a = image('a', '1.0.0')
    const b = image('b', '1.0.0')
    const c = image('c', '1.0.0')
    const d = image('d', '1.0.0')
    const bNew = image('b', '2.0.0', DIGEST_B)
    const changes = diffLocks(lock(SDK, a, b, c), lock(image('sdk', '0.42.0'), d, bNew))
    expect(changes.map((change) => `${change.change} ${change.kind} ${(change.after ?? change.before)!.name}`)).to.deep.equal([
      'changed sdk sdk',
      'added kit d',
      'changed kit b',
      'removed kit a',
      'removed kit c',
    ])
  })
})
