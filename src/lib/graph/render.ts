/** Human and machine renderings of the dependency graph: an indented tree, Graphviz dot, JSON. */

import type {DependencySection, MemberKind} from '../manifest/types.js'
import type {DependencyEdge, DependencyGraph} from './dependency-graph.js'
import type {GraphSummary} from './summary.js'
import type {WhyPath, WhyResult} from './why.js'

export const TEXT_FORMATS = ['tree', 'dot'] as const
export type TextFormat = (typeof TEXT_FORMATS)[number]

/**
 * The text `twoliter graph` prints for people: the tree or dot graph of the targets, or, when the
 * summaries answer a --why question, only the paths that lead to the package.
 */
export function renderSummaries(graph: DependencyGraph, summaries: readonly GraphSummary[], format: TextFormat): string {
  const roots = summaries.map((summary) => summary.target.name)
  const whyPaths = summaries.flatMap((summary) => summary.why?.paths ?? [])
  if (format === 'dot') return renderDot(graph, roots, summaries.some((summary) => summary.why) ? whyPaths : undefined)
  if (summaries.some((summary) => summary.why)) {
    return summaries.map((summary) => renderWhy(summary.why!, summary.target.name)).join('\n\n')
  }

  return renderTree(graph, roots)
}

const REPEATED_MARK = '(*)'
const RUNTIME_MARK = '[dependencies]'

/**
 * One tree per root, children sorted by name. A member whose dependencies were already shown is printed
 * again but not expanded, and marked (*), so shared kits do not repeat their whole subtree.
 */
export function renderTree(graph: DependencyGraph, roots: readonly string[]): string {
  const expanded = new Set<string>()
  const lines: string[] = []
  let usedRepeatedMark = false
  let usedRuntimeMark = false

  const visit = (name: string, prefix: string, childPrefix: string, edge?: DependencyEdge): void => {
    const member = graph.member(name)
    const children = graph.outgoing(name)
    let line = `${prefix}${member.name} (${member.kind})`
    if (edge && edge.sections.includes('dependencies')) {
      line += ` ${RUNTIME_MARK}`
      usedRuntimeMark = true
    }

    const repeated = expanded.has(name) && children.length > 0
    if (repeated) {
      line += ` ${REPEATED_MARK}`
      usedRepeatedMark = true
    }

    lines.push(line)
    if (repeated) return
    expanded.add(name)
    for (const [index, child] of children.entries()) {
      const last = index === children.length - 1
      visit(child.to, childPrefix + (last ? '└── ' : '├── '), childPrefix + (last ? '    ' : '│   '), child)
    }
  }

  for (const [index, root] of roots.entries()) {
    if (index > 0) lines.push('')
    visit(graph.member(root).name, '', '')
  }

  const legend: string[] = []
  if (usedRuntimeMark) legend.push(`${RUNTIME_MARK} a link from the [dependencies] table (all others are [build-dependencies])`)
  if (usedRepeatedMark) legend.push(`${REPEATED_MARK} dependencies shown above`)
  if (legend.length > 0) lines.push('', ...legend)
  return lines.join('\n')
}

const SHAPES: Record<MemberKind, string> = {package: 'box', kit: 'box3d', variant: 'doubleoctagon'}

/**
 * A Graphviz digraph of everything reachable from the roots, or only of the members and links on the
 * given paths; [dependencies] links are dashed.
 */
export function renderDot(graph: DependencyGraph, roots: readonly string[], onlyPaths?: readonly WhyPath[]): string {
  const names = new Set<string>()
  const links = new Set<string>()
  if (onlyPaths) {
    for (const path of onlyPaths) {
      for (const [index, step] of path.entries()) {
        names.add(step.name)
        if (index > 0) links.add(`${path[index - 1].name}\0${step.name}`)
      }
    }
  } else {
    for (const root of roots) {
      names.add(graph.member(root).name)
      for (const name of graph.reachableFrom(root)) names.add(name)
    }
  }

  const sorted = [...names].sort()
  const lines = [
    'digraph dependencies {',
    '  // Shapes: box = package, box3d = kit, doubleoctagon = variant. Dashed: a [dependencies] link.',
    '  rankdir=LR;',
    '  node [fontname="Helvetica"];',
  ]
  for (const name of sorted) {
    const {kind} = graph.member(name)
    lines.push(`  ${quoteId(name)} [shape=${SHAPES[kind]}, tooltip=${quoteId(kind)}];`)
  }

  for (const name of sorted) {
    for (const edge of graph.outgoing(name)) {
      if (onlyPaths && !links.has(`${edge.from}\0${edge.to}`)) continue
      const style = edgeStyle(edge.sections)
      lines.push(`  ${quoteId(edge.from)} -> ${quoteId(edge.to)}${style};`)
    }
  }

  lines.push('}')
  return lines.join('\n')
}

function edgeStyle(sections: readonly DependencySection[]): string {
  if (sections.includes('build-dependencies')) return sections.length > 1 ? ' [label="build + runtime"]' : ''
  return ' [style=dashed]'
}

function quoteId(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`
}

/** Each path on one line: `hello-ootb → extra-3-kit → pkg-g → pkg-f [dependencies]`. */
export function renderWhy(why: WhyResult, target: string): string {
  if (why.package === target) return `${target} is the target itself.`
  if (why.paths.length === 0) return `${why.package} is not a dependency of ${target}.`
  const lines = [`${target} depends on ${why.package} through:`]
  for (const path of why.paths) {
    const steps = path.map((step) => {
      const runtime = step.via?.includes('dependencies') ? ` ${RUNTIME_MARK}` : ''
      return `${step.name}${runtime}`
    })
    lines.push(`  ${steps.join(' → ')}`)
  }

  if (why.truncated) lines.push(`  … and more; only the first ${why.paths.length} paths are shown.`)
  return lines.join('\n')
}

export function renderJson(value: unknown): string {
  return JSON.stringify(value, null, 2)
}
