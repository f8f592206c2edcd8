/**
 * The composite repository a variant's root is installed from: one dnf repository per source, each with
 * an explicit priority, so that which repository a package comes from never depends on version numbers.
 * The reference enables all of them at the same priority, where the highest version wins.
 */

import {TwoliterError} from '../errors.js'
import type {KitRepo} from '../build/package-builds.js'
import type {RepoGpgCheck} from '../build/repo-gpgcheck.js'

export interface CompositeRepo {
  /** The dnf repository id. */
  id: string
  /** A yum repository (with repodata/), or a directory of RPMs that the install step indexes itself. */
  dir: string
  /** dnf priority: lower is preferred, and dnf takes a package only from the most preferred repo offering it. */
  priority: number
  /** `local` for the project's own packages, else the kit's name. */
  source: string
  /** Whether the kit is external (from the lock), not built from this project. */
  external: boolean
  /** The keys dnf checks the repository's RPMs against; none: gpgcheck=0. */
  gpg?: RepoGpgCheck
}

/** The priority of the variant's metadata RPM repo: above every repo compositeRepos returns. */
export const METADATA_PRIORITY = 1
export const METADATA_REPO_ID = 'metadata'
export const LOCAL_REPO_ID = 'local'
const FIRST_PRIORITY = 10
const PRIORITY_STEP = 10

export interface CompositeKit {
  name: string
  repo: KitRepo
  external: boolean
  gpg?: RepoGpgCheck
}

/**
 * The repositories in priority order: the project's own packages, then the kits — those the variant's
 * `kit-priority` lists, in that order; then its other local kits, in the order given (the order its
 * build-dependencies are written); then its other external kits, in the order given (the lock's).
 */
export function compositeRepos(input: {localRepoDir: string; localGpg?: RepoGpgCheck; kits: CompositeKit[]; kitPriority?: string[]; variant: string}): CompositeRepo[] {
  const {kits, kitPriority} = input
  const byName = new Map(kits.map((kit) => [kit.name, kit]))
  const ordered: CompositeKit[] = []
  if (kitPriority !== undefined) {
    checkKitPriority(input.variant, kitPriority, kits.map((kit) => kit.name))
    for (const name of kitPriority) ordered.push(byName.get(name)!)
  }

  const listed = new Set(ordered.map((kit) => kit.name))
  ordered.push(...kits.filter((kit) => !kit.external && !listed.has(kit.name)))
  ordered.push(...kits.filter((kit) => kit.external && !listed.has(kit.name)))

  const ids = new Set([METADATA_REPO_ID, LOCAL_REPO_ID])
  const gpg = (check: RepoGpgCheck | undefined) => (check === undefined ? {} : {gpg: check})
  const repos: CompositeRepo[] = [{id: LOCAL_REPO_ID, dir: input.localRepoDir, priority: FIRST_PRIORITY, source: 'local', external: false, ...gpg(input.localGpg)}]
  for (const [index, kit] of ordered.entries()) {
    repos.push({id: uniqueRepoId(kit.name, ids), dir: kit.repo.dir, priority: FIRST_PRIORITY + PRIORITY_STEP * (index + 1), source: kit.name, external: kit.external, ...gpg(kit.gpg)})
  }

  return repos
}

/** Refuses a kit-priority that names a kit the variant does not build with, or one kit twice. */
export function checkKitPriority(variant: string, kitPriority: readonly string[], kitNames: readonly string[]): void {
  const unknown = kitPriority.filter((name) => !kitNames.includes(name))
  const repeated = kitPriority.filter((name, index) => kitPriority.indexOf(name) !== index)
  if (unknown.length === 0 && repeated.length === 0) return
  const known = kitNames.length === 0 ? 'it has no kits' : `its kits are ${kitNames.join(', ')}`
  const problem = unknown.length > 0 ? `names ${unknown.join(', ')}, which ${unknown.length === 1 ? 'is not a kit' : 'are not kits'} of the variant` : `lists ${[...new Set(repeated)].join(', ')} more than once`
  throw new TwoliterError(`The kit-priority of the variant ${variant} ${problem}; ${known}.`, {
    hint: 'List each kit at most once in kit-priority under [package.metadata.build-variant], using the names of the kits the variant builds with or the lock names.',
    code: 'variant.install-kit-priority',
  })
}

/** A dnf repo id for the kit: its name in the characters dnf accepts, unlike any id already taken. */
function uniqueRepoId(name: string, taken: Set<string>): string {
  const base = name.replaceAll(/[^A-Za-z0-9_.:-]/g, '-')
  let id = taken.has(base) ? `kit-${base}` : base
  for (let n = 2; taken.has(id); n++) id = `kit-${base}-${n}`
  taken.add(id)
  return id
}
