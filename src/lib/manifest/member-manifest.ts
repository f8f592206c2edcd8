/**
 * One workspace member's Cargo.toml, read without cargo: its name and version, what kind of artifact it
 * builds (detected as buildsys does), its metadata, and its dependencies as written (not yet resolved to
 * other members).
 */

import path from 'node:path'
import type {TomlTable} from 'smol-toml'

import type {SourceLocation} from '../errors.js'
import {type TomlDocument, isTable, locate, readTomlFile} from '../toml/document.js'
import type {TableReader} from '../toml/table-reader.js'
import type {Logger} from '../ui/logger.js'
import {parseKitMetadata, parsePackageMetadata, parseVariantMetadata} from './metadata.js'
import {
  DEPENDENCY_SECTIONS,
  type DependencySection,
  type KitMetadata,
  type MemberKind,
  type PackageMetadata,
  type VariantMetadata,
} from './types.js'
import {manifestReader} from './wording.js'

/** What a member's Cargo.toml may inherit from the root `[workspace]` table. */
export interface WorkspaceInheritance {
  root: string
  /** `[workspace.package] version` */
  version?: string
  /** `[workspace.dependencies]` */
  dependencies?: TableReader
}

/** A dependency as written in a Cargo.toml, before it is matched with a workspace member. */
export interface DeclaredDependency {
  key: string
  section: DependencySection
  /** The Cargo name the dependency must have: `package = "..."` when renamed, else the key. */
  cargoName: string
  /** Absolute directory the `path` points at. */
  dir: string
  location: SourceLocation
}

interface ManifestBase {
  cargoName: string
  name: string
  /** Where the name is written: the package-name/kit-name override, else `[package] name`. */
  nameLocation: SourceLocation
  version: string
  dir: string
  manifestPath: string
  declaredDependencies: DeclaredDependency[]
}

export type MemberManifest =
  | (ManifestBase & {kind: 'package'; metadata: PackageMetadata})
  | (ManifestBase & {kind: 'kit'; metadata: KitMetadata})
  | (ManifestBase & {kind: 'variant'; metadata: VariantMetadata})

const METADATA_TABLES = {
  package: 'build-package',
  kit: 'build-kit',
  variant: 'build-variant',
} as const satisfies Record<MemberKind, string>

export async function readMemberManifest(
  manifestPath: string,
  inheritance: WorkspaceInheritance,
  logger: Logger,
): Promise<MemberManifest> {
  const document = await readTomlFile(manifestPath, 'Every workspace member needs a Cargo.toml.')
  const root = manifestReader(document)
  const packageTable = root.subTable('package')
  if (!packageTable) {
    throw root.error('package', 'this Cargo.toml has no [package] table, so it is not a package, kit or variant.', {
      hint: 'Add a [package] table with name and version, or remove this directory from [workspace] members.',
      code: 'manifest.missing-key',
    })
  }

  const cargoName = packageTable.requiredString('name', {ifMissing: 'Add name = "NAME" to the [package] table.'})
  const version = readVersion(packageTable, inheritance)
  const dir = path.dirname(manifestPath)
  const base = {cargoName, version, dir, manifestPath, declaredDependencies: readDependencies(document, dir, inheritance, logger)}

  const metadata = packageTable.subTable('metadata')
  const tables = {
    package: metadata?.subTable(METADATA_TABLES.package),
    kit: metadata?.subTable(METADATA_TABLES.kit),
    variant: metadata?.subTable(METADATA_TABLES.variant),
  }
  // buildsys deserializes every table that is present, so a mistake in one it then ignores still fails.
  const parsed = {
    package: tables.package && parsePackageMetadata(tables.package, logger),
    kit: tables.kit && parseKitMetadata(tables.kit, logger),
    variant: tables.variant && parseVariantMetadata(tables.variant, logger),
  }
  const present = (Object.keys(METADATA_TABLES) as MemberKind[]).filter((kind) => tables[kind] !== undefined)
  if (present.length > 1) {
    const ignored = present.slice(1).map((kind) => `[package.metadata.${METADATA_TABLES[kind]}]`).join(' and ')
    logger.warn(`${manifestPath}: it is built as a ${present[0]}, so ${ignored} is ignored. Keep only one build-* table.`)
  }

  // Where the name is written, for errors about duplicate names.
  const nameLocation = (table: string, key: string, override: string | undefined) =>
    locate(document, override === undefined ? ['package', 'name'] : ['package', 'metadata', table, key])
  if (parsed.package) {
    const {packageName} = parsed.package
    const where = nameLocation(METADATA_TABLES.package, 'package-name', packageName)
    return {...base, kind: 'package', name: packageName ?? cargoName, nameLocation: where, metadata: parsed.package}
  }

  if (parsed.kit) {
    const where = nameLocation(METADATA_TABLES.kit, 'kit-name', parsed.kit.kitName)
    return {...base, kind: 'kit', name: parsed.kit.kitName ?? cargoName, nameLocation: where, metadata: parsed.kit}
  }

  const cargoNameLocation = locate(document, ['package', 'name'])
  if (parsed.variant) return {...base, kind: 'variant', name: cargoName, nameLocation: cargoNameLocation, metadata: parsed.variant}

  logger.warn(
    `${manifestPath}: no [package.metadata.build-package], [package.metadata.build-kit] or [package.metadata.build-variant] table; treating it as a package. Add the table that says what it builds.`,
  )
  return {...base, kind: 'package', name: cargoName, nameLocation: cargoNameLocation, metadata: {sourceGroups: [], externalFiles: []}}
}

function readVersion(packageTable: TableReader, inheritance: WorkspaceInheritance): string {
  const value = packageTable.table.version
  if (isTable(value) && value.workspace === true) {
    if (inheritance.version === undefined) {
      throw packageTable.error(
        ['version', 'workspace'],
        `${packageTable.keyName('version')} is inherited from the workspace, but the root Cargo.toml has no [workspace.package] version.`,
        {hint: 'Add version = "X.Y.Z" under [workspace.package] in the root Cargo.toml, or give the version here.'},
      )
    }

    return inheritance.version
  }

  // Cargo's default when the version is left out.
  return packageTable.string('version') ?? '0.0.0'
}

function readDependencies(
  document: TomlDocument,
  dir: string,
  inheritance: WorkspaceInheritance,
  logger: Logger,
): DeclaredDependency[] {
  const root = manifestReader(document)
  const declared: DeclaredDependency[] = []
  for (const section of DEPENDENCY_SECTIONS) {
    const table = root.subTable(section)
    if (!table) continue
    for (const [key, spec] of Object.entries(table.table)) {
      const location = locate(document, [section, key])
      const resolved = resolveSpec(table, key, spec, dir, inheritance)
      if (resolved) declared.push({key, section, ...resolved, location})
      else logger.debug(`${document.file}: ${section}.${key} has no path; it is not a workspace member and is ignored.`)
    }
  }

  return declared
}

/** Where a dependency points, or undefined for registry/git dependencies, which can never be members. */
function resolveSpec(
  table: TableReader,
  key: string,
  spec: TomlTable[string],
  dir: string,
  inheritance: WorkspaceInheritance,
): {cargoName: string; dir: string} | undefined {
  if (typeof spec === 'string') return undefined
  if (!isTable(spec)) {
    throw table.error(key, `${table.keyName(key)} must be a version string or a table such as { path = "../x" }.`, {
      hint: 'Fix the dependency and run the command again.',
    })
  }

  if (spec.workspace === true) {
    const inherited = inheritance.dependencies?.subTable(key)
    if (!inherited) {
      throw table.error(
        key,
        `${table.keyName(key)} is inherited from the workspace, but the root Cargo.toml has no [workspace.dependencies] entry "${key}".`,
        {hint: `Add ${key} = { path = "..." } under [workspace.dependencies] in the root Cargo.toml, or give the path here.`},
      )
    }

    const inheritedPath = inherited.string('path')
    if (inheritedPath === undefined) return undefined
    return {cargoName: inherited.string('package') ?? key, dir: path.resolve(inheritance.root, inheritedPath)}
  }

  const entry = table.requiredSubTable(key)
  const dependencyPath = entry.string('path')
  if (dependencyPath === undefined) return undefined
  return {cargoName: entry.string('package') ?? key, dir: path.resolve(dir, dependencyPath)}
}
