/**
 * Why each package is in a variant's root: which of the requested packages pulled it in, following the
 * Requires of the RPMs dnf chose. Versions are ignored, so an edge stands for "could have been needed by".
 */

export interface AuditedRpm {
  /** The RPM's name. */
  name: string
  /** Its requirements as rpm prints them: `foo`, `foo >= 1.2`, `foo(x)`, `(a and (b or c))`. */
  requires: string[]
  /** Its capabilities as rpm prints them: `foo = 1.2-1`, `foo(x)`. */
  provides: string[]
}

const RICH_OPERATORS = new Set(['and', 'or', 'if', 'else', 'with', 'without', 'unless'])
const COMPARISONS = new Set(['<', '>', '=', '<=', '>=', '=>', '=<', '<>'])

/**
 * For every package, the requested packages (in the order given) from which it can be reached by
 * Requires; a requested package reaches itself. A requirement that several packages satisfy leads to all
 * of them; one that no package satisfies (rpmlib(), files) leads nowhere.
 */
export function requestedBy(packages: AuditedRpm[], requested: string[]): Map<string, string[]> {
  const edges = requiresEdges(packages)
  const result = new Map<string, string[]>(packages.map((rpm) => [rpm.name, []]))
  for (const root of requested) {
    if (!result.has(root)) continue
    const seen = new Set([root])
    const queue = [root]
    while (queue.length > 0) {
      const current = queue.shift()!
      result.get(current)!.push(root)
      for (const next of edges.get(current) ?? []) {
        if (seen.has(next)) continue
        seen.add(next)
        queue.push(next)
      }
    }
  }

  return result
}

/**
 * For every package, the other packages its requirements lead to: each package that provides a
 * capability it requires (by name, versions ignored), in the order its requirements name them.
 */
export function requiresEdges(packages: AuditedRpm[]): Map<string, string[]> {
  const providers = new Map<string, string[]>()
  const provide = (capability: string, name: string) => {
    const list = providers.get(capability) ?? []
    if (!list.includes(name)) list.push(name)
    providers.set(capability, list)
  }

  for (const rpm of packages) {
    provide(rpm.name, rpm.name)
    for (const capability of rpm.provides) provide(capabilityName(capability), rpm.name)
  }

  const edges = new Map<string, string[]>()
  for (const rpm of packages) {
    const targets = new Set<string>()
    for (const requirement of rpm.requires) {
      for (const name of requirementNames(requirement)) {
        for (const provider of providers.get(name) ?? []) if (provider !== rpm.name) targets.add(provider)
      }
    }

    edges.set(rpm.name, [...targets])
  }

  return edges
}

/** `foo(x) = 1.0-1` → `foo(x)`. */
export function capabilityName(capability: string): string {
  const tokens = tokenize(capability.trim())
  return tokens[0] ?? ''
}

/**
 * The capability names a requirement mentions: one for a plain requirement, every operand's for a rich
 * (boolean) dependency such as `(a >= 1 and (b or c(x)))`, conditions included.
 */
export function requirementNames(requirement: string): string[] {
  const names: string[] = []
  let afterComparison = false
  for (const token of tokenize(requirement.trim())) {
    if (token === '(' || token === ')' || RICH_OPERATORS.has(token)) {
      afterComparison = false
      continue
    }

    if (COMPARISONS.has(token)) {
      afterComparison = true
      continue
    }

    if (afterComparison) afterComparison = false
    else names.push(token)
  }

  return names
}

/**
 * Splits a dependency into `(`, `)`, operators and names. A name may itself contain balanced
 * parentheses, as `bottlerocket-image-feature(fips)` does; an unbalanced `)` ends it.
 */
function tokenize(text: string): string[] {
  const tokens: string[] = []
  let index = 0
  while (index < text.length) {
    const char = text[index]!
    if (/\s/.test(char)) {
      index++
    } else if (char === '(' || char === ')') {
      tokens.push(char)
      index++
    } else if (char === '<' || char === '>' || char === '=') {
      let end = index
      while (end < text.length && '<>='.includes(text[end]!)) end++
      tokens.push(text.slice(index, end))
      index = end
    } else {
      let end = index
      let depth = 0
      while (end < text.length) {
        const next = text[end]!
        if (/\s/.test(next)) break
        if (next === '(') depth++
        else if (next === ')') {
          if (depth === 0) break
          depth--
        } else if (depth === 0 && '<>='.includes(next)) break
        end++
      }

      tokens.push(text.slice(index, end))
      index = end
    }
  }

  return tokens
}
