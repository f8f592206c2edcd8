/**
 * "Why is X in my image?": every chain of dependencies, through both Cargo.toml tables, that leads from a
 * target to a member. A graph with many diamonds has exponentially many chains, so at most `limit` are
 * returned and `truncated` says when more exist.
 */

import type {DependencySection, MemberKind} from '../manifest/types.js'
import type {DependencyGraph} from './dependency-graph.js'

export interface WhyStep {
  name: string
  kind: MemberKind
  /** The table(s) that declare the link from the previous step; absent on the first step. */
  via?: DependencySection[]
}

export type WhyPath = WhyStep[]

export interface WhyResult {
  package: string
  paths: WhyPath[]
  /** True when more than `limit` paths exist and only the first `limit` are listed. */
  truncated: boolean
}

export const DEFAULT_WHY_LIMIT = 100

export function whyPaths(graph: DependencyGraph, target: string, packageName: string, limit = DEFAULT_WHY_LIMIT): WhyResult {
  graph.assertNoCycleFrom(target)
  const start = graph.member(target)
  const goal = graph.member(packageName)
  const leadsToGoal = membersThatReach(graph, goal.name)
  const paths: WhyPath[] = []
  let truncated = false

  // Only members that can reach the goal are entered, so every branch of the walk ends in a path and the
  // work is bounded by the number of paths returned.
  const walk = (path: WhyPath): void => {
    const last = path.at(-1)!
    if (last.name === goal.name) {
      if (paths.length === limit) truncated = true
      else paths.push(path)
      return
    }

    for (const edge of graph.outgoing(last.name)) {
      if (truncated) return
      if (!leadsToGoal.has(edge.to)) continue
      walk([...path, {name: edge.to, kind: graph.member(edge.to).kind, via: [...edge.sections]}])
    }
  }

  if (leadsToGoal.has(start.name)) walk([{name: start.name, kind: start.kind}])
  return {package: goal.name, paths, truncated}
}

function membersThatReach(graph: DependencyGraph, goal: string): Set<string> {
  const dependents = new Map<string, string[]>()
  for (const member of graph.members) {
    for (const edge of graph.outgoing(member.name)) {
      dependents.set(edge.to, [...(dependents.get(edge.to) ?? []), edge.from])
    }
  }

  const reach = new Set([goal])
  const queue = [goal]
  while (queue.length > 0) {
    for (const dependent of dependents.get(queue.shift()!) ?? []) {
      if (!reach.has(dependent)) {
        reach.add(dependent)
        queue.push(dependent)
      }
    }
  }

  return reach
}
