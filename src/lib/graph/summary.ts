/** The answer to "what does this target depend on", in the shape `twoliter graph --json` prints. */

import type {Member, MemberKind} from '../manifest/types.js'
import type {DependencyGraph} from './dependency-graph.js'
import {type WhyResult, whyPaths} from './why.js'

export interface GraphSummary {
  target: {name: string; kind: MemberKind}
  /** The target's own dependencies from both tables, by name. */
  dependencies: string[]
  /** Packages the target's build needs (buildsys `package_dependencies`); for a kit, its contents. */
  packages: string[]
  /** Kits the target's build needs (buildsys `kit_dependencies`). */
  kits: string[]
  why?: WhyResult
}

export function summarize(graph: DependencyGraph, target: string, options: {why?: string; whyLimit?: number} = {}): GraphSummary {
  const member = graph.member(target)
  const summary: GraphSummary = {
    target: {name: member.name, kind: member.kind},
    dependencies: graph.directDependencies(member.name),
    packages: graph.packageDependencies(member.name),
    kits: graph.kitDependencies(member.name),
  }
  if (options.why !== undefined) summary.why = whyPaths(graph, member.name, options.why, options.whyLimit)
  return summary
}

/**
 * What to show when no target is named: the variants, which are what a project ultimately builds; in a
 * project that only publishes kits, the kits; failing both, the packages.
 */
export function defaultTargets(graph: DependencyGraph): Member[] {
  for (const kind of ['variant', 'kit', 'package'] as const) {
    const members = graph.members.filter((member) => member.kind === kind)
    if (members.length > 0) return members
  }

  return []
}
