import {basename} from 'node:path'

import type {TomlTable} from 'smol-toml'

import {type KeyPath, type TomlDocument, findLikelyTypos, readTomlFile} from '../toml/document.js'
import type {Logger} from '../ui/logger.js'
import type {ProjectLocation} from './discovery.js'
import {FieldReader, describeKey} from './fields.js'
import {loadOverrides} from './override.js'
import type {ImageRef, Project, Vendor} from './project.js'
import {checkReleaseToml} from './release-toml.js'

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
  await checkReleaseToml(location.root, fields.releaseVersion, logger)
  const override = await loadOverrides(location.root, Object.keys(fields.vendors), logger)

  return {
    file: location.file,
    root: location.root,
    schemaVersion: SUPPORTED_SCHEMA_VERSION,
    ...fields,
    override,
    document,
    raw: document.data,
  }
}

type ProjectFields = Pick<Project, 'releaseVersion' | 'sdk' | 'vendors' | 'kits'>

function parseProjectFields(document: TomlDocument, logger: Logger): ProjectFields {
  const reader = new FieldReader(document)
  const root = document.data
  warnAboutTypos(document, root, [], TOP_LEVEL_KEYS, logger)

  checkSchemaVersion(reader, root)
  const releaseVersion = reader.string(root, ['release-version'], 'release-version = "1.0.0"')

  const sdkTable = reader.optionalTable(root, ['sdk'], '[sdk] name = "bottlerocket-sdk"')
  const sdk = sdkTable === undefined ? undefined : readImage(reader, sdkTable, ['sdk'], logger)

  const vendors: Record<string, Vendor> = Object.create(null) as Record<string, Vendor>
  const vendorTable = reader.optionalTable(root, ['vendor'], '[vendor.bottlerocket] registry = "public.ecr.aws/bottlerocket"')
  if (vendorTable) {
    for (const name of Object.keys(vendorTable)) {
      const vendorPath = ['vendor', name]
      reader.checkIdentifier(name, vendorPath)
      const table = reader.table(vendorTable, vendorPath, `[vendor.${name}] registry = "public.ecr.aws/${name}"`)
      warnAboutTypos(document, table, vendorPath, VENDOR_KEYS, logger)
      vendors[name] = {registry: reader.string(table, [...vendorPath, 'registry'], `registry = "public.ecr.aws/${name}"`)}
    }
  }

  const kits = reader
    .arrayOfTables(root, ['kit'], '[[kit]] name = "bottlerocket-core-kit"')
    .map((table, index) => readImage(reader, table, ['kit', index], logger))

  return {releaseVersion, sdk, vendors, kits}
}

function checkSchemaVersion(reader: FieldReader, root: TomlTable): void {
  const path = ['schema-version']
  const version = reader.integer(root, path, `schema-version = ${SUPPORTED_SCHEMA_VERSION}`)
  if (version === SUPPORTED_SCHEMA_VERSION) return
  throw reader.error(
    path,
    `Incorrect project schema-version: got '${version}', expected '${SUPPORTED_SCHEMA_VERSION}'.`,
    {
      hint: `This twoliter reads projects of schema-version ${SUPPORTED_SCHEMA_VERSION} (the format of twoliter 0.5); write \`schema-version = ${SUPPORTED_SCHEMA_VERSION}\` if the project follows it.`,
      code: 'project.schema-version',
    },
  )
}

function readImage(reader: FieldReader, table: TomlTable, path: KeyPath, logger: Logger): ImageRef {
  warnAboutTypos(reader.document, table, path, IMAGE_KEYS, logger)
  return {
    name: reader.identifier(table, [...path, 'name'], 'name = "bottlerocket-core-kit"'),
    version: reader.version(table, [...path, 'version']),
    vendor: reader.identifier(table, [...path, 'vendor'], 'vendor = "bottlerocket"'),
  }
}

function checkVendorAvailability(document: TomlDocument, fields: ProjectFields): void {
  const images: Array<{image: ImageRef; path: KeyPath}> = fields.kits.map((image, index) => ({image, path: ['kit', index]}))
  if (fields.sdk) images.push({image: fields.sdk, path: ['sdk']})

  const declared = Object.keys(fields.vendors)
  const file = basename(document.file)
  const known = declared.length === 0 ? `${file} declares no vendors` : `${file} declares only ${declared.map((name) => `'${name}'`).join(', ')}`
  for (const {image, path: imagePath} of images) {
    if (Object.hasOwn(fields.vendors, image.vendor)) continue
    const vendorPath = [...imagePath, 'vendor']
    throw new FieldReader(document).error(
      vendorPath,
      `cannot define a dependency on a vendor that is not specified in ${file}: ${describeKey(vendorPath)} is '${image.vendor}', and ${known}.`,
      {
        hint: `Add a [vendor.${image.vendor}] table with the registry that publishes ${image.name}, e.g. \`[vendor.${image.vendor}] registry = "public.ecr.aws/${image.vendor}"\`, or correct the vendor name.`,
        code: 'project.unknown-vendor',
      },
    )
  }
}

function warnAboutTypos(
  document: TomlDocument,
  table: TomlTable,
  path: KeyPath,
  known: readonly string[],
  logger: Logger,
): void {
  for (const message of findLikelyTypos(document, table, path, known)) logger.warn(message)
}
