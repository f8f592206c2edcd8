import {basename} from 'node:path'

import {type KeyPath, type TomlDocument, readTomlFile} from '../toml/document.js'
import {TableReader} from '../toml/table-reader.js'
import type {Logger} from '../ui/logger.js'
import type {ProjectLocation} from './discovery.js'
import {PROJECT_WORDING, checkIdentifier, requiredIdentifier, requiredInteger, requiredVersion} from './fields.js'
import {loadOverrides} from './override.js'
import type {ImageRef, Project, Vendor} from './project.js'
import {checkReleaseToml} from './release-toml.js'
import {readTrustSettings} from './signing-keys.js'

export const SUPPORTED_SCHEMA_VERSION = 1

/**
 * Top-level keys of Twoliter.toml: those of twoliter 0.5 and our own extensions, which twoliter 0.5
 * ignores. Any other key is ignored too, with a warning when it looks like a misspelling of one of these.
 */
export const TOP_LEVEL_KEYS = [
  'schema-version',
  'release-version',
  'sdk',
  'vendor',
  'kit',
  'hooks',
  'lookaside-caches',
  'upstream-source-fallback',
  'require-signatures',
] as const
export const IMAGE_KEYS = ['name', 'version', 'vendor'] as const
export const VENDOR_KEYS = ['registry', 'signing-keys'] as const

/**
 * Loads Twoliter.toml in the order twoliter 0.5 checks it: parse and validate the fields, check that every
 * vendor used is declared, check the deprecated Release.toml, then load Twoliter.override.
 */
export async function loadProject(location: ProjectLocation, logger: Logger): Promise<Project> {
  const document = await readTomlFile(
    location.file,
    'Run the command inside a twoliter project or pass --project-path PATH/Twoliter.toml.',
  )
  const fields = parseProjectFields(document, logger)
  checkVendorAvailability(document, fields)
  const trust = await readTrustSettings(document, location.root, Object.keys(fields.vendors))
  await checkReleaseToml(location.root, fields.releaseVersion, logger)
  const override = await loadOverrides(location.root, Object.keys(fields.vendors), logger)

  return {
    file: location.file,
    root: location.root,
    schemaVersion: SUPPORTED_SCHEMA_VERSION,
    ...fields,
    trust,
    override,
    document,
    raw: document.data,
  }
}

type ProjectFields = Pick<Project, 'releaseVersion' | 'sdk' | 'vendors' | 'kits'>

function parseProjectFields(document: TomlDocument, logger: Logger): ProjectFields {
  const root = TableReader.root(document, PROJECT_WORDING)
  root.warnAboutTypos(TOP_LEVEL_KEYS, logger)

  checkSchemaVersion(root)
  const releaseVersion = root.requiredString('release-version', {example: 'release-version = "1.0.0"'})

  const sdkTable = root.subTable('sdk', {example: '[sdk] name = "bottlerocket-sdk"'})
  const sdk = sdkTable === undefined ? undefined : readImage(sdkTable, logger)

  const vendors = readVendors(root, logger)

  const kits = root
    .arrayOfTables('kit', {example: '[[kit]] name = "bottlerocket-core-kit"'})
    .map((table) => readImage(table, logger))

  return {releaseVersion, sdk, vendors, kits}
}

function checkSchemaVersion(root: TableReader): void {
  const version = requiredInteger(root, 'schema-version', {example: `schema-version = ${SUPPORTED_SCHEMA_VERSION}`})
  if (version === BigInt(SUPPORTED_SCHEMA_VERSION)) return
  throw root.error(
    'schema-version',
    `Incorrect project schema-version: got '${version}', expected '${SUPPORTED_SCHEMA_VERSION}'.`,
    {
      hint: `This twoliter reads projects of schema-version ${SUPPORTED_SCHEMA_VERSION} (the format of twoliter 0.5); write \`schema-version = ${SUPPORTED_SCHEMA_VERSION}\` if the project follows it.`,
      code: 'project.schema-version',
    },
  )
}

function readVendors(root: TableReader, logger: Logger): Record<string, Vendor> {
  const vendors: Record<string, Vendor> = Object.create(null) as Record<string, Vendor>
  const vendorTables = root.subTable('vendor', {example: '[vendor.bottlerocket] registry = "public.ecr.aws/bottlerocket"'})
  if (vendorTables === undefined) return vendors
  for (const name of Object.keys(vendorTables.table)) {
    checkIdentifier(vendorTables, name, name)
    const vendor = vendorTables.requiredSubTable(name, {example: `[vendor.${name}] registry = "public.ecr.aws/${name}"`})
    vendor.warnAboutTypos(VENDOR_KEYS, logger)
    vendors[name] = {registry: vendor.requiredString('registry', {example: `registry = "public.ecr.aws/${name}"`})}
  }

  return vendors
}

function readImage(table: TableReader, logger: Logger): ImageRef {
  table.warnAboutTypos(IMAGE_KEYS, logger)
  return {
    name: requiredIdentifier(table, 'name', 'name = "bottlerocket-core-kit"'),
    version: requiredVersion(table, 'version'),
    vendor: requiredIdentifier(table, 'vendor', 'vendor = "bottlerocket"'),
  }
}

function checkVendorAvailability(document: TomlDocument, fields: ProjectFields): void {
  const images: Array<{image: ImageRef; path: KeyPath}> = fields.kits.map((image, index) => ({image, path: ['kit', index]}))
  if (fields.sdk) images.push({image: fields.sdk, path: ['sdk']})

  const declared = Object.keys(fields.vendors)
  const file = basename(document.file)
  const known = declared.length === 0 ? `${file} declares no vendors` : `${file} declares only ${declared.map((name) => `'${name}'`).join(', ')}`
  const root = TableReader.root(document, PROJECT_WORDING)
  for (const {image, path: imagePath} of images) {
    if (Object.hasOwn(fields.vendors, image.vendor)) continue
    const vendorPath = [...imagePath, 'vendor']
    throw root.error(
      vendorPath,
      `cannot define a dependency on a vendor that is not specified in ${file}: ${root.keyName(vendorPath)} is '${image.vendor}', and ${known}.`,
      {
        hint: `Add a [vendor.${image.vendor}] table with the registry that publishes ${image.name}, e.g. \`[vendor.${image.vendor}] registry = "public.ecr.aws/${image.vendor}"\`, or correct the vendor name.`,
        code: 'project.unknown-vendor',
      },
    )
  }
}
