/**
 * A human-readable attribution for a variant image: what each kit (and the project itself) put into the
 * image, under which License tag, and which license files those packages ship.
 */

import {writeFileAtomic} from '../fs/atomic.js'
import type {InstalledPackage} from './types.js'

export interface AttributionInput {
  variant: string
  version: string
  arch: string
  packages: InstalledPackage[]
  /** Sources (kit names, `local`, `metadata`) in the order to list them; others follow in name order. */
  sourceOrder: string[]
}

const NO_LICENSE = '(no License tag)'

/**
 * Markdown: a per-license summary first, then one section per source with every package's version-release,
 * License tag and license files. The same input always renders the same text.
 */
export function renderAttribution(input: AttributionInput): string {
  const bySource = new Map<string, InstalledPackage[]>()
  for (const pkg of input.packages) bySource.set(pkg.source, [...(bySource.get(pkg.source) ?? []), pkg])
  const sources = [
    ...input.sourceOrder.filter((source, index) => bySource.has(source) && input.sourceOrder.indexOf(source) === index),
    ...[...bySource.keys()].filter((source) => !input.sourceOrder.includes(source)).sort(compare),
  ]

  const lines: string[] = [
    `# Third-party software in ${text(input.variant)} ${text(input.version)} (${text(input.arch)})`,
    '',
    `This image contains ${count(input.packages.length, 'package')} from ${count(sources.length, 'source')}. ` +
      'Each package is listed with the License tag of its RPM and the license files it installs.',
    '',
    '## Licenses',
    '',
    '| License | Packages |',
    '| --- | ---: |',
    ...licenseSummary(input.packages).map(([license, n]) => `| ${text(license)} | ${n} |`),
  ]

  for (const source of sources) {
    const packages = [...(bySource.get(source) ?? [])].sort(comparePackages)
    lines.push('', `## ${sourceTitle(source)}`, '', `${count(packages.length, 'package')}.`, '')
    for (const pkg of packages) lines.push(...packageEntry(pkg))
  }
  return lines.join('\n') + '\n'
}

export async function writeAttribution(file: string, input: AttributionInput): Promise<void> {
  await writeFileAtomic(file, renderAttribution(input))
}

/** Packages per License tag, most used first; ties in name order. */
function licenseSummary(packages: InstalledPackage[]): Array<[string, number]> {
  const counts = new Map<string, number>()
  for (const pkg of packages) {
    const license = licenseOf(pkg)
    counts.set(license, (counts.get(license) ?? 0) + 1)
  }
  return [...counts].sort(([a, m], [b, n]) => n - m || compare(a, b))
}

function packageEntry(pkg: InstalledPackage): string[] {
  const lines = [`- **${text(pkg.name)}** ${text(evr(pkg))} (${text(pkg.arch)})`, `  - License: ${text(licenseOf(pkg))}`]
  if (pkg.url?.trim()) lines.push(`  - Homepage: <${pkg.url.trim().replaceAll(/[<>\s]/g, encodeURIComponent)}>`)
  const files = [...new Set(pkg.licenseFiles)].sort(compare)
  if (files.length === 0) {
    lines.push('  - License files: none')
  } else {
    lines.push('  - License files:', ...files.map((file) => `    - ${code(file)}`))
  }
  return lines
}

function sourceTitle(source: string): string {
  if (source === 'local') return 'Project packages (local)'
  if (source === 'metadata') return 'Variant metadata (metadata)'
  return `Kit ${code(source)}`
}

function licenseOf(pkg: InstalledPackage): string {
  return pkg.license.replaceAll(/\s+/g, ' ').trim() || NO_LICENSE
}

function evr(pkg: InstalledPackage): string {
  const epoch = pkg.epoch && pkg.epoch !== '0' ? `${pkg.epoch}:` : ''
  return `${epoch}${pkg.version}-${pkg.release}`
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}

/** Free text with the characters Markdown would act on escaped; `_` is left alone as it is mostly intraword. */
function text(value: string): string {
  return value.replaceAll(/\s+/g, ' ').trim().replaceAll(/[\\`*[\]<>|#]/g, (c) => `\\${c}`)
}

/** An inline code span that holds any text, backticks included. */
function code(value: string): string {
  const longestRun = Math.max(0, ...(value.match(/`+/g) ?? []).map((run) => run.length))
  const fence = '`'.repeat(longestRun + 1)
  const pad = value.startsWith('`') || value.endsWith('`') ? ' ' : ''
  return `${fence}${pad}${value}${pad}${fence}`
}

function comparePackages(a: InstalledPackage, b: InstalledPackage): number {
  return compare(a.name, b.name) || compare(a.arch, b.arch) || compare(evr(a), evr(b)) || compare(a.rpm, b.rpm)
}

/** Code-unit order, so output does not depend on the locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
