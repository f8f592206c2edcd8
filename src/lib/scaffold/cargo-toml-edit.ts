/**
 * Small, format-preserving edits of Cargo.toml files: the user's comments and layout stay as they are.
 * Each function returns the new text; callers parse it again before writing, so a bad edit never lands.
 */

/** Adds `member` to `[workspace] members`, rewritten as a sorted one-per-line list. */
export function addWorkspaceMember(text: string, member: string): string {
  const workspace = findTable(text, 'workspace')
  if (!workspace) return `${text.replace(/\n*$/, '\n')}\n[workspace]\nresolver = "2"\nmembers = [\n    "${member}",\n]\n`

  const body = text.slice(workspace.start, workspace.end)
  const members = /members\s*=\s*\[([\s\S]*?)\]/.exec(body)
  if (!members) {
    const insertAt = workspace.end
    return `${text.slice(0, insertAt)}members = [\n    "${member}",\n]\n${text.slice(insertAt)}`
  }

  const existing = [...members[1].matchAll(/"([^"]*)"|'([^']*)'/g)].map((m) => m[1] ?? m[2])
  const all = [...new Set([...existing, member])].sort()
  const list = `members = [\n${all.map((m) => `    "${m}",\n`).join('')}]`
  const start = workspace.start + members.index
  return text.slice(0, start) + list + text.slice(start + members[0].length)
}

/** Adds `name = { path = "..." }` to the `[build-dependencies]` table, creating it when missing. */
export function addBuildDependency(text: string, name: string, relativePath: string): string {
  const line = `${name} = { path = "${relativePath}" }\n`
  const table = findTable(text, 'build-dependencies')
  if (!table) return `${text.replace(/\n*$/, '\n')}\n[build-dependencies]\n${line}`
  // After the last key of the table, so that trailing comments meant for the next table stay with it.
  const body = text.slice(table.start, table.end)
  const keyLines = [...body.matchAll(/^[ \t]*[A-Za-z0-9_-]+\s*=.*\n?/gm)]
  const last = keyLines.at(-1)
  const insertAt = last ? table.start + last.index + last[0].length : table.start
  const prefix = text.slice(0, insertAt)
  return `${prefix}${prefix.endsWith('\n') ? '' : '\n'}${line}${text.slice(insertAt)}`
}

/** Adds a package to `included-packages` under `[package.metadata.build-variant]`. */
export function addIncludedPackage(text: string, name: string): string {
  const table = findTable(text, 'package.metadata.build-variant')
  if (!table) return `${text.replace(/\n*$/, '\n')}\n[package.metadata.build-variant]\nincluded-packages = ["${name}"]\n`
  const body = text.slice(table.start, table.end)
  const list = /included-packages\s*=\s*\[([\s\S]*?)\]/.exec(body)
  if (!list) return text.slice(0, table.start) + `included-packages = ["${name}"]\n` + text.slice(table.start)
  const existing = [...list[1].matchAll(/"([^"]*)"|'([^']*)'/g)].map((m) => m[1] ?? m[2])
  if (existing.includes(name)) return text
  const rendered = `included-packages = [${[...existing, name].map((p) => `"${p}"`).join(', ')}]`
  const start = table.start + list.index
  return text.slice(0, start) + rendered + text.slice(start + list[0].length)
}

/** The body of a `[name]` table: from after its header line to the next header (or the end). */
function findTable(text: string, name: string): {start: number; end: number} | undefined {
  const escaped = name.replaceAll('.', String.raw`\s*\.\s*`).replaceAll('-', String.raw`\-`)
  const header = new RegExp(String.raw`^[ \t]*\[\s*${escaped}\s*\][ \t]*(#.*)?$\n?`, 'm').exec(text)
  if (!header) return undefined
  const start = header.index + header[0].length
  const next = /^[ \t]*\[/m.exec(text.slice(start))
  return {start, end: next ? start + next.index : text.length}
}
