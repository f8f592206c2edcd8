/**
 * The dependency graph of a workspace's packages, kits and variants, with the closure rules of the Rust
 * buildsys (tools/buildsys/src/manifest.rs):
 * - the packages a target needs follow only links to packages, so a kit stops the walk; from the target
 *   itself only [build-dependencies] count (they are built before the target's build starts), deeper
 *   down both [build-dependencies] and [dependencies] do;
 * - the kits a target needs are every kit reachable through any link.
 */

import {TwoliterError, UsageError, formatLocation} from '../errors.js'
import {compareNames} from '../manifest/workspace.js'
import type {DependencyLink, DependencySection, Member, Workspace} from '../manifest/types.js'
import {closeNames} from './names.js'

/** All links from one member to another, merged when a dependency is listed in both tables. */
export interface DependencyEdge {
  from: string
  to: string
  sections: DependencySection[]
  links: DependencyLink[]
}

export class DependencyGraph {
  private readonly byName = new Map<string, Member>()
  private readonly byCargoName = new Map<string, Member>()
  private readonly edges = new Map<string, DependencyEdge[]>()
  private readonly checkedForCycles = new Set<string>()

  constructor(readonly workspace: Workspace) {
    for (const member of workspace.members) {
      this.byName.set(member.name, member)
      this.byCargoName.set(member.cargoName, member)
    }

    for (const member of workspace.members) this.edges.set(member.name, mergeLinks(member))
  }

  get members(): readonly Member[] {
    return this.workspace.members
  }

  /** A member by its name or its Cargo name; a name wins over another member's Cargo name. */
  find(nameOrCargoName: string): Member | undefined {
    return this.byName.get(nameOrCargoName) ?? this.byCargoName.get(nameOrCargoName)
  }

  /**
   * Like `find`, but an unknown name is a usage error that lists the close names. `what` describes the
   * argument in the message, e.g. 'TARGET'.
   */
  require(nameOrCargoName: string, what: string): Member {
    const member = this.find(nameOrCargoName)
    if (member) return member
    const known = this.members.map((candidate) => candidate.name)
    const close = closeNames(nameOrCargoName, [...known, ...this.members.map((candidate) => candidate.cargoName)])
    const suggestion = close.length > 0 ? ` Did you mean ${close.join(', ')}?` : ''
    throw new UsageError(`${what} "${nameOrCargoName}" is not a package, kit or variant of this project.${suggestion}`, {
      hint: `The workspace in ${this.workspace.manifestPath} has: ${known.join(', ') || 'no members'}.`,
      code: 'graph.unknown-member',
    })
  }

  /** The member's own dependencies (both tables), sorted by name. */
  outgoing(name: string): readonly DependencyEdge[] {
    return this.edges.get(this.member(name).name) ?? []
  }

  directDependencies(name: string): string[] {
    return this.outgoing(name).map((edge) => edge.to)
  }

  packageDependencies(target: string): string[] {
    this.assertNoCycleFrom(target)
    const start = this.member(target)
    const follows = (edge: DependencyEdge) =>
      this.member(edge.to).kind === 'package' && (edge.from !== start.name || edge.sections.includes('build-dependencies'))
    return this.closure(start.name, follows).sort(compareNames)
  }

  kitDependencies(target: string): string[] {
    this.assertNoCycleFrom(target)
    return this.closure(this.member(target).name, () => true)
      .filter((name) => this.member(name).kind === 'kit')
      .sort(compareNames)
  }

  /** Every member reachable from the target through any link, the target excluded. */
  reachableFrom(target: string): string[] {
    this.assertNoCycleFrom(target)
    return this.closure(this.member(target).name, () => true).sort(compareNames)
  }

  /**
   * Throws when a cycle is reachable from the target, showing the cycle and where each of its links is
   * declared. Cargo refuses such a workspace, and every walk of the graph assumes there is none.
   */
  assertNoCycleFrom(target: string): void {
    const start = this.member(target).name
    if (this.checkedForCycles.has(start)) return
    const finished = new Set<string>()
    const onPath: DependencyEdge[] = []
    const active = new Set<string>()

    const visit = (name: string): void => {
      active.add(name)
      for (const edge of this.outgoing(name)) {
        if (active.has(edge.to)) {
          const first = onPath.findIndex((step) => step.from === edge.to)
          throw cycleError([...(first === -1 ? [] : onPath.slice(first)), edge])
        }

        if (finished.has(edge.to)) continue
        onPath.push(edge)
        visit(edge.to)
        onPath.pop()
      }

      active.delete(name)
      finished.add(name)
    }

    visit(start)
    for (const name of finished) this.checkedForCycles.add(name)
  }

  /** A member by name or Cargo name; unknown names are usage errors, as with `require`. */
  member(name: string): Member {
    return this.require(name, 'the name')
  }

  private closure(start: string, follows: (edge: DependencyEdge) => boolean): string[] {
    const seen = new Set<string>()
    const queue = [start]
    while (queue.length > 0) {
      for (const edge of this.outgoing(queue.shift()!)) {
        if (edge.to === start || seen.has(edge.to) || !follows(edge)) continue
        seen.add(edge.to)
        queue.push(edge.to)
      }
    }

    return [...seen]
  }
}

function mergeLinks(member: Member): DependencyEdge[] {
  const byTarget = new Map<string, DependencyEdge>()
  for (const link of [...member.buildDependencies, ...member.dependencies]) {
    const edge = byTarget.get(link.name) ?? {from: member.name, to: link.name, sections: [], links: []}
    if (!edge.sections.includes(link.section)) edge.sections.push(link.section)
    edge.links.push(link)
    byTarget.set(link.name, edge)
  }

  return [...byTarget.values()].sort((a, b) => compareNames(a.to, b.to))
}

function cycleError(cycle: DependencyEdge[]): TwoliterError {
  const names = [...cycle.map((edge) => edge.from), cycle[0].from]
  const places = cycle
    .flatMap((edge) => edge.links.map((link) => `${link.key} in [${link.section}] of ${formatLocation(link.location)}`))
    .join('; ')
  return new TwoliterError(
    `the dependencies form a cycle: ${names.join(' → ')}. A package, kit or variant cannot depend on itself, even indirectly.`,
    {
      location: cycle[0].links[0].location,
      hint: `Remove one of these dependencies: ${places}.`,
      code: 'graph.cycle',
    },
  )
}
