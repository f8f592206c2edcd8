/**
 * "Why is X in my image?" answered from what the image holds rather than from Cargo.toml: the package
 * audit `twoliter build variant` writes next to the images (build/images/<arch>-<variant>/latest/
 * package-audit.json) says which RPMs were installed, from which kit, and which requested packages'
 * Requires pulled each one in. This finds packages no Cargo link leads to: RPMs named unlike any member
 * (bottlerocket-motd), packages of kits built elsewhere, and whatever a Requires: line brings along.
 */

import {readFile, readdir} from 'node:fs/promises'
import path from 'node:path'

import {hostArch} from '../build/arch.js'
import {BuildLayout} from '../build/layout.js'
import type {PackageAudit} from '../build/variant-builds.js'
import {TwoliterError, UsageError, errorMessage} from '../errors.js'
import type {Member} from '../manifest/types.js'
import type {InstalledPackage} from '../variant/types.js'
import type {DependencyGraph} from './dependency-graph.js'
import {closeNames} from './names.js'

/**
 * The audit's file name, as variant-builds.ts writes it (PACKAGE_AUDIT_FILE there; not imported so that
 * `twoliter graph` does not load the build machinery).
 */
export const AUDIT_FILE_NAME = 'package-audit.json'

/** The prefix of every Bottlerocket RPM name; included-packages and package names are written without it. */
export const RPM_PREFIX = 'bottlerocket-'

/** The RPM twoliter generates for every variant; it is always requested. */
const METADATA_PACKAGE = `${RPM_PREFIX}metadata`

export interface LoadedAudit {
  /** The audit file's path (through the `latest` link). */
  file: string
  audit: PackageAudit
}

/** Which audit answered: what `--json` prints as `why.audit`. */
export interface AuditInfo {
  file: string
  variant: string
  arch: string
  version: string
  buildId: string
}

/** An installed package and how it got into the image: what `--json` prints as `why.installed`. */
export interface InstalledWhy {
  /** The audit file that says so. */
  audit: string
  /** The RPM's name, e.g. bottlerocket-motd. */
  name: string
  epoch?: string
  version: string
  release: string
  /** The kit it came from, `local` for the project's own packages, `metadata` for the metadata RPM. */
  source: string
  /** The dnf repository it came from. */
  repo: string
  /** True when it was requested itself (in included-packages, or the metadata RPM). */
  requested: boolean
  /** The requested packages whose Requires lead to it (itself when requested), as the audit says. */
  requestedBy: string[]
  /**
   * One chain per entry of requestedBy: the shortest run of Requires from that requested package to this
   * one, both ends included; `[name]` when it was requested itself.
   */
  chains: string[][]
  /**
   * False when the audit does not record each package's Requires (written by an older twoliter), so a
   * chain only holds its two ends.
   */
  chainsComplete: boolean
}

/** What the audit of one variant says about the package asked for. */
export interface VariantImageWhy {
  variant: string
  arch: string
  /** Undefined when the variant has no audit for this arch. */
  audit?: AuditInfo
  /** Undefined when there is no audit or it does not list the package. */
  installed?: InstalledWhy
  /** The names looked for in the audit, most likely first. */
  lookedFor: string[]
  /** The variant's supported-arches when they exclude `arch`: no image, hence no audit, can exist. */
  unsupportedArch?: string[]
  /** Set when the name is a kit or a variant of the workspace, which are not RPMs. */
  memberKind?: 'kit' | 'variant'
  /** For a kit: the installed RPMs that came from it. */
  fromKit?: string[]
  /**
   * For a package that is not installed: installed RPMs named like the ones its build produced
   * (build/rpms/<package>/), which another kit or package supplied instead.
   */
  instead?: Array<{name: string; version: string; release: string; source: string}>
  /** For a package: the RPM files of its last build, which were looked for too. */
  builtRpms?: string[]
}

/** The package asked about: the name as typed, and the workspace member it names, if any. */
export interface AuditQuery {
  name: string
  member?: Member
  /**
   * The RPM file names the member's build produced (build/rpms/<package>/), which find its RPMs when they
   * are named unlike the member (the package motd-core builds bottlerocket-motd).
   */
  rpmFiles?: readonly string[]
}

export function packageAuditFile(projectRoot: string, arch: string, variant: string): string {
  return path.join(new BuildLayout(projectRoot, arch).variantImageDir(variant, 'latest'), AUDIT_FILE_NAME)
}

/**
 * The variant's latest package audit for `arch`, or undefined when it was never built for it. An audit
 * that cannot be read or is not one twoliter wrote is an error that says to rebuild the variant.
 */
export async function readPackageAudit(projectRoot: string, arch: string, variant: string): Promise<LoadedAudit | undefined> {
  const file = packageAuditFile(projectRoot, arch, variant)
  const rebuild = `Rebuild the variant with \`${buildCommand(variant, arch)}\` to write it again, or delete ${path.dirname(file)} to ignore it.`
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
    throw new TwoliterError(`the package audit ${file} of the variant ${variant} cannot be read: ${errorMessage(error)}.`, {
      hint: rebuild,
      code: 'graph.audit-unreadable',
      cause: error,
    })
  }

  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new TwoliterError(`the package audit ${file} of the variant ${variant} is not valid JSON (${errorMessage(error)}).`, {
      hint: rebuild,
      code: 'graph.audit-corrupt',
    })
  }

  const problem = auditProblem(value, variant, arch)
  if (problem !== undefined) {
    throw new TwoliterError(`the package audit ${file} of the variant ${variant} is not one twoliter can use: ${problem}.`, {
      hint: rebuild,
      code: 'graph.audit-corrupt',
    })
  }

  return {file, audit: value as PackageAudit}
}

/** The names of the RPM files in build/rpms/<package>/; none when the package was never built. */
export async function builtRpmFiles(projectRoot: string, arch: string, packageName: string): Promise<string[]> {
  try {
    const entries = await readdir(new BuildLayout(projectRoot, arch).rpmsDir(packageName))
    return entries.filter((name) => name.endsWith('.rpm')).sort()
  } catch {
    return []
  }
}

/**
 * The RPM names a query can mean, most likely first: the name as typed, then the member's name and Cargo
 * name, each as given, with the bottlerocket- prefix, and without it.
 */
export function candidateRpmNames(query: AuditQuery): string[] {
  const given = [query.name]
  if (query.member !== undefined) given.push(query.member.name, query.member.cargoName)
  const names: string[] = []
  const add = (name: string) => {
    if (name !== '' && !names.includes(name)) names.push(name)
  }

  for (const name of given) add(name)
  for (const name of given) if (!name.startsWith(RPM_PREFIX)) add(`${RPM_PREFIX}${name}`)
  for (const name of given) if (name.startsWith(RPM_PREFIX)) add(name.slice(RPM_PREFIX.length))
  return names
}

/**
 * The installed package a query means: the first candidate name the audit lists; failing that, for a
 * package member, the installed RPM built as one of its files (the main package before subpackages).
 * Kits and variants are not RPMs, so they are never found.
 */
export function findInstalled(audit: PackageAudit, query: AuditQuery): InstalledPackage | undefined {
  if (query.member !== undefined && query.member.kind !== 'package') return undefined
  const byName = new Map(audit.packages.map((pkg) => [pkg.name, pkg]))
  for (const name of candidateRpmNames(query)) {
    const pkg = byName.get(name)
    if (pkg !== undefined) return pkg
  }

  const files = new Set(query.rpmFiles ?? [])
  const built = audit.packages.filter((pkg) => files.has(pkg.rpm))
  built.sort((a, b) => a.name.length - b.name.length || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  return built[0]
}

/** How the package got into the image, as the audit tells it. */
export function explainInstalled(loaded: LoadedAudit, pkg: InstalledPackage): InstalledWhy {
  const {packages} = loaded.audit
  let chainsComplete = packages.every((candidate) => candidate.requires !== undefined)
  const requires = new Map(packages.map((candidate) => [candidate.name, candidate.requires ?? []]))
  const chains: string[][] = []
  for (const root of pkg.requestedBy) {
    if (root === pkg.name) {
      chains.push([pkg.name])
      continue
    }

    const chain = chainsComplete ? shortestChain(requires, root, pkg.name) : undefined
    if (chain === undefined) chainsComplete = false
    chains.push(chain ?? [root, pkg.name])
  }

  return {
    audit: loaded.file,
    name: pkg.name,
    ...(pkg.epoch === undefined ? {} : {epoch: pkg.epoch}),
    version: pkg.version,
    release: pkg.release,
    source: pkg.source,
    repo: pkg.repo,
    requested: pkg.requestedBy.includes(pkg.name),
    requestedBy: [...pkg.requestedBy],
    chains,
    chainsComplete,
  }
}

/**
 * For each variant among the targets, what its audit for `arch` says about the package `name`. When
 * neither the workspace nor any of these audits knows the name, the error lists close names from both.
 */
export async function imageWhy(
  graph: DependencyGraph,
  options: {projectRoot: string; arch: string; targets: readonly Member[]; name: string},
): Promise<VariantImageWhy[]> {
  const {projectRoot, arch, name} = options
  const member = graph.find(name)
  const rpmFiles = member?.kind === 'package' ? await builtRpmFiles(projectRoot, arch, member.name) : undefined
  const query: AuditQuery = {name, member, rpmFiles}
  const answers: VariantImageWhy[] = []
  const installedNames: string[] = []
  for (const target of options.targets) {
    if (target.kind !== 'variant') continue
    const answer: VariantImageWhy = {variant: target.name, arch, lookedFor: candidateRpmNames(query)}
    if (member !== undefined && member.kind !== 'package') answer.memberKind = member.kind
    if (rpmFiles !== undefined && rpmFiles.length > 0) answer.builtRpms = [...rpmFiles]
    const supported = target.metadata.supportedArches
    if (supported !== undefined && !supported.includes(arch as never)) answer.unsupportedArch = [...supported]
    const loaded = await readPackageAudit(projectRoot, arch, target.name)
    if (loaded !== undefined) {
      const {variant, version, buildId} = loaded.audit
      answer.audit = {file: loaded.file, variant, arch: loaded.audit.arch, version, buildId}
      for (const pkg of loaded.audit.packages) installedNames.push(pkg.name)
      const pkg = findInstalled(loaded.audit, query)
      if (pkg !== undefined) answer.installed = explainInstalled(loaded, pkg)
      else if (member?.kind === 'kit') answer.fromKit = loaded.audit.packages.filter((candidate) => candidate.source === member.name).map((candidate) => candidate.name)
      else if (rpmFiles !== undefined && rpmFiles.length > 0) {
        const names = new Set(rpmFiles.map(rpmNameOfFile))
        const instead = loaded.audit.packages.filter((candidate) => names.has(candidate.name))
        if (instead.length > 0) answer.instead = instead.map(({name, version, release, source}) => ({name, version, release, source}))
      }
    }

    answers.push(answer)
  }

  if (member === undefined && !answers.some((answer) => answer.installed !== undefined)) {
    throw unknownPackage(graph, name, answers, installedNames)
  }

  return answers
}

/** The `--why` error when neither the workspace nor the variants' audits know the name. */
function unknownPackage(graph: DependencyGraph, name: string, answers: VariantImageWhy[], installedNames: string[]): UsageError {
  const members = graph.members.map((member) => member.name)
  const audited = answers.filter((answer) => answer.audit !== undefined)

  const unprefixed = installedNames.filter((installed) => installed.startsWith(RPM_PREFIX)).map((installed) => installed.slice(RPM_PREFIX.length))
  const candidates = [...members, ...graph.members.map((member) => member.cargoName), ...installedNames, ...unprefixed]
  const close = closeNames(name, candidates)
  const suggestion = close.length > 0 ? ` Did you mean ${close.join(', ')}?` : ''
  const images = audited.map((answer) => answer.variant)
  const nor = images.length > 0 ? `, nor a package installed in the image of ${listOf(images)}` : ''
  const workspace = `The workspace in ${graph.workspace.manifestPath} has: ${members.join(', ') || 'no members'}.`
  const missing = answers.filter((answer) => answer.audit === undefined && answer.unsupportedArch === undefined).map((answer) => answer.variant)
  const audits =
    audited.length > 0
      ? ` The installed RPMs are listed in ${audited.map((answer) => answer.audit!.file).join(', ')}.`
      : ''
  const build =
    missing.length > 0
      ? ` ${listOf(missing)} ${missing.length === 1 ? 'has' : 'have'} no package audit for ${answers[0]!.arch} yet; \`${buildCommand(missing[0]!, answers[0]!.arch)}\` would let --why find the RPMs installed through Requires too.`
      : ''
  return new UsageError(`--why "${name}" is not a package, kit or variant of this project${nor}.${suggestion}`, {
    hint: `${workspace}${audits}${build}`,
    code: 'graph.unknown-member',
  })
}

/** The "installed in the image" section `twoliter graph --why` prints after the Cargo paths. */
export function renderImageWhy(answer: VariantImageWhy): string {
  const {audit, installed} = answer
  if (audit === undefined) {
    if (answer.unsupportedArch !== undefined) {
      return `In the image: ${answer.variant} does not support ${answer.arch} (supported-arches: ${answer.unsupportedArch.join(', ')}), so no image of it records what is installed.`
    }

    return `In the image: ${answer.variant} has no package audit for ${answer.arch} yet; \`${buildCommand(answer.variant, answer.arch)}\` would let this answer through RPM Requires too.`
  }

  const where = `${audit.arch}, version ${audit.version}, build ${audit.buildId}; ${audit.file}`
  if (answer.memberKind === 'variant') return `In the image (${where}): a variant is not an RPM.`
  if (answer.memberKind === 'kit') {
    const list = answer.fromKit ?? []
    const packages = list.length === 0 ? 'none of its packages is installed' : `the packages installed from it are ${list.join(', ')}`
    return `In the image (${where}): a kit is not an RPM; ${packages}.`
  }

  if (installed === undefined) {
    const lines = [`Not installed in the image (${where}): its package audit lists no ${listOf(answer.lookedFor, 'or')}${answer.builtRpms === undefined ? '' : `, nor ${listOf(answer.builtRpms, 'or')} (from the package's last build)`}.`]
    for (const other of answer.instead ?? []) {
      lines.push(`  An RPM of the same name is installed instead: ${other.name} ${other.version}-${other.release}, from ${describeSource(other.source)}.`)
    }

    return lines.join('\n')
  }

  const lines = [`Installed in the image (${where}):`]
  const what = `${installed.name} ${versionOf(installed)}, from ${describeSource(installed.source)}`
  if (installed.chains.length === 0) {
    lines.push(`  ${what}; no requested package leads to it through the Requires the audit records (dnf installed it for a file or another capability).`)
    return lines.join('\n')
  }

  lines.push(`  ${what}, is there because of:`)
  for (const chain of installed.chains) {
    if (chain.length === 1) {
      const reason = chain[0] === METADATA_PACKAGE ? 'the variant\'s metadata, in every image' : 'requested directly, in included-packages'
      lines.push(`    ${chain[0]} (${reason})`)
    } else {
      lines.push(`    ${chain.join(installed.chainsComplete ? ' → ' : ' → … → ')}`)
    }
  }

  if (!installed.chainsComplete) {
    lines.push('  (This audit does not record each package\'s Requires, so the packages in between are not shown; rebuild the variant to see them.)')
  }

  return lines.join('\n')
}

/** `bottlerocket-motd-2.0-1.x86_64.rpm` → `bottlerocket-motd`: the name is all but the last two dashes' parts. */
export function rpmNameOfFile(file: string): string {
  const withoutArch = file.replace(/\.rpm$/, '').replace(/\.[^.]+$/, '')
  return withoutArch.split('-').slice(0, -2).join('-')
}

/** The command that writes the variant's audit for `arch`. */
export function buildCommand(variant: string, arch: string): string {
  return `twoliter build variant ${variant}${arch === hostArch() ? '' : ` --arch ${arch}`}`
}

function versionOf(pkg: {epoch?: string; version: string; release: string}): string {
  return `${pkg.epoch === undefined ? '' : `${pkg.epoch}:`}${pkg.version}-${pkg.release}`
}

function describeSource(source: string): string {
  if (source === 'local') return 'the project\'s own packages'
  if (source === 'metadata') return 'the metadata twoliter generates'
  return `the kit ${source}`
}

function listOf(names: readonly string[], conjunction = 'and'): string {
  if (names.length <= 1) return names.join('')
  return `${names.slice(0, -1).join(', ')} ${conjunction} ${names.at(-1)}`
}

/** Breadth first along Requires, so the chain is a shortest one; undefined when `to` cannot be reached. */
function shortestChain(requires: ReadonlyMap<string, readonly string[]>, from: string, to: string): string[] | undefined {
  const previous = new Map<string, string>()
  const seen = new Set([from])
  const queue = [from]
  while (queue.length > 0) {
    const current = queue.shift()!
    if (current === to) {
      const chain = [to]
      while (chain[0] !== from) chain.unshift(previous.get(chain[0]!)!)
      return chain
    }

    for (const next of requires.get(current) ?? []) {
      if (seen.has(next)) continue
      seen.add(next)
      previous.set(next, current)
      queue.push(next)
    }
  }

  return undefined
}

/** What is wrong with a parsed audit, or undefined when it has every field `graph --why` reads. */
function auditProblem(value: unknown, variant: string, arch: string): string | undefined {
  if (!isObject(value)) return 'it is not a JSON object'
  for (const key of ['variant', 'arch', 'version', 'buildId'] as const) {
    if (typeof value[key] !== 'string') return `"${key}" is not a string`
  }

  if (value.variant !== variant) return `it describes the variant "${String(value.variant)}"`
  if (value.arch !== arch) return `it describes the architecture "${String(value.arch)}"`
  if (!Array.isArray(value.packages)) return '"packages" is not a list'
  for (const [index, pkg] of value.packages.entries()) {
    const where = `packages[${index}]`
    if (!isObject(pkg)) return `${where} is not an object`
    for (const key of ['name', 'version', 'release', 'source', 'repo', 'rpm'] as const) {
      if (typeof pkg[key] !== 'string') return `${where}.${key} is not a string`
    }

    if (pkg.epoch !== undefined && typeof pkg.epoch !== 'string') return `${where}.epoch is not a string`
    if (!isStringList(pkg.requestedBy)) return `${where}.requestedBy is not a list of names`
    if (pkg.requires !== undefined && !isStringList(pkg.requires)) return `${where}.requires is not a list of names`
  }

  return undefined
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string')
}
