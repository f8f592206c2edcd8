/**
 * The `[package.metadata.build-package|build-kit|build-variant]` tables, with the keys, defaults and
 * removed keys of the Rust buildsys. Unknown keys are ignored as buildsys ignores them (likely typos get a
 * warning); a known key with a wrong value is an error that points at its line.
 */

import {suggestKey} from '../toml/document.js'
import {type TableReader, quoteList} from '../toml/table-reader.js'
import type {Logger} from '../ui/logger.js'
import {parseCustomLayout} from '../variant/custom-layout.js'
import {
  ARCHES,
  BUNDLE_MODULES,
  type ExternalFile,
  IMAGE_FEATURE_DEFAULTS,
  IMAGE_FEATURES,
  IMAGE_FORMATS,
  type ImageFeature,
  type ImageFeatures,
  type ImageLayout,
  type KitMetadata,
  PARTITION_PLANS,
  type PackageMetadata,
  type VariantMetadata,
} from './types.js'

const IDENTIFIER = {pattern: /^[A-Za-z0-9_-]+$/, patternText: 'made only of letters, digits, "_" and "-"'}
const PACKAGE_NAME = {
  pattern: /^[A-Za-z0-9][A-Za-z0-9._+-]*$/,
  patternText: 'a package name made of letters, digits, ".", "_", "+" and "-" (it names the spec file and the output directory)',
}
const SHA512 = {pattern: /^[0-9a-fA-F]{128}$/, patternText: 'the 128 hexadecimal characters of a SHA-512 digest'}
const U16_MAX = 65_535

const PACKAGE_KEYS = ['package-name', 'source-groups', 'external-files', 'releases-url'] as const
const EXTERNAL_FILE_KEYS = [
  'url',
  'sha512',
  'path',
  'force-upstream',
  'bundle-modules',
  'bundle-root-path',
  'bundle-output-path',
] as const
const KIT_KEYS = ['vendor', 'kit-name', 'included-packages'] as const
const VARIANT_KEYS = [
  'included-packages',
  'image-format',
  'image-layout',
  'supported-arches',
  'kernel-parameters',
  'image-features',
  'kit-priority',
  'partition-layout',
] as const
const IMAGE_LAYOUT_KEYS = ['os-image-size-gib', 'data-image-size-gib', 'publish-image-size-hint-gib', 'partition-plan'] as const

export const DEFAULT_IMAGE_LAYOUT: Readonly<ImageLayout> = {
  osImageSizeGib: 2,
  dataImageSizeGib: 1,
  publishImageSizeHintGib: 22,
  partitionPlan: 'split',
}

export function parsePackageMetadata(table: TableReader, logger: Logger): PackageMetadata {
  rejectRemoved(
    table,
    'variant-sensitive',
    'a package is built once and shared through kits by every variant, so it cannot be rebuilt per variant.',
    'Remove the key; if a package must differ between variants, make a separate package for each, or decide at runtime.',
  )
  rejectRemoved(
    table,
    'package-features',
    'a package is built once and shared through kits by every variant, so it cannot depend on image features.',
    'Remove the key; choose image features in the variant\'s [package.metadata.build-variant.image-features] table.',
  )
  table.warnAboutTypos(PACKAGE_KEYS, logger)
  // releases-url is a hint for maintainers; buildsys never reads it, and neither do we.
  table.string('releases-url')

  return {
    packageName: table.string('package-name', PACKAGE_NAME),
    sourceGroups: table.stringArray('source-groups') ?? [],
    externalFiles: table.arrayOfTables('external-files').map((file) => parseExternalFile(file, logger)),
  }
}

/** Rejects a key the Rust twoliter once knew and now refuses. */
function rejectRemoved(table: TableReader, key: string, why: string, hint: string): void {
  if (table.has(key)) {
    throw table.error(key, `${table.keyName(key)} is no longer supported: ${why}`, {hint, code: 'manifest.removed-key'})
  }
}

function parseExternalFile(file: TableReader, logger: Logger): ExternalFile {
  file.warnAboutTypos(EXTERNAL_FILE_KEYS, logger)
  const fix = 'Add it and run the command again.'
  const url = file.requiredString('url', {ifMissing: `${fix} It is where the file is downloaded from when no lookaside cache has it.`})
  const sha512 = file.requiredString('sha512', {...SHA512, ifMissing: `${fix} Compute it with \`sha512sum FILE\`.`}).toLowerCase()
  const path = file.string('path')
  checkUrl(file, url, path)
  if (path !== undefined && !isSinglePathComponent(path)) {
    throw file.error(
      'path',
      `${file.keyName('path')} = ${JSON.stringify(path)} must be a plain file name: the file is saved in the package's own directory.`,
      {hint: 'Use a name without "/" (and not "." or "..").'},
    )
  }

  return {
    url,
    sha512,
    path,
    forceUpstream: file.boolean('force-upstream') ?? false,
    bundleModules: file.oneOfArray('bundle-modules', BUNDLE_MODULES) ?? [],
    bundleRootPath: file.string('bundle-root-path'),
    bundleOutputPath: file.string('bundle-output-path'),
  }
}

function checkUrl(file: TableReader, url: string, path: string | undefined): void {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw file.error('url', `${file.keyName('url')} = ${JSON.stringify(url)} is not a valid URL.`, {
      hint: 'Give the full URL, e.g. "https://example.com/src/foo-1.0.tar.gz".',
    })
  }

  const lastSegment = parsed.pathname.split('/').at(-1) ?? ''
  if (path === undefined && lastSegment === '') {
    throw file.error(
      'url',
      `${file.keyName('url')} = ${JSON.stringify(url)} does not end in a file name, and there is no path to name the file.`,
      {hint: 'Add path = "FILE-NAME" to this external file.'},
    )
  }
}

function isSinglePathComponent(path: string): boolean {
  return path !== '' && path !== '.' && path !== '..' && !path.includes('/') && !path.includes('\\')
}

export function parseKitMetadata(table: TableReader, logger: Logger): KitMetadata {
  table.warnAboutTypos(KIT_KEYS, logger)
  const vendor = table.requiredString('vendor', {
    ...IDENTIFIER,
    ifMissing: 'Add vendor = "NAME", naming the vendor in Twoliter.toml whose registry the kit is published to (e.g. vendor = "bottlerocket").',
  })
  return {vendor, kitName: table.string('kit-name', IDENTIFIER)}
}

export function parseVariantMetadata(table: TableReader, logger: Logger): VariantMetadata {
  table.warnAboutTypos(VARIANT_KEYS, logger)
  const partitionLayout = table.subTable('partition-layout')
  return {
    includedPackages: table.stringArray('included-packages') ?? [],
    imageFormat: table.oneOf('image-format', IMAGE_FORMATS) ?? 'raw',
    imageLayout: parseImageLayout(table.subTable('image-layout'), logger),
    supportedArches: unique(table.oneOfArray('supported-arches', ARCHES)),
    kernelParameters: table.stringArray('kernel-parameters') ?? [],
    imageFeatures: parseImageFeatures(table.subTable('image-features')),
    kitPriority: table.stringArray('kit-priority'),
    // Left out when absent, so that variants without it compare equal to what they always were.
    ...(partitionLayout === undefined ? {} : {partitionLayout: parseCustomLayout(partitionLayout, logger)}),
  }
}

function parseImageLayout(layout: TableReader | undefined, logger: Logger): ImageLayout {
  if (!layout) return {...DEFAULT_IMAGE_LAYOUT}
  layout.warnAboutTypos(IMAGE_LAYOUT_KEYS, logger)
  return {
    osImageSizeGib: layout.integer('os-image-size-gib', 0, U16_MAX) ?? DEFAULT_IMAGE_LAYOUT.osImageSizeGib,
    dataImageSizeGib: layout.integer('data-image-size-gib', 0, U16_MAX) ?? DEFAULT_IMAGE_LAYOUT.dataImageSizeGib,
    publishImageSizeHintGib:
      layout.integer('publish-image-size-hint-gib', 0, U16_MAX) ?? DEFAULT_IMAGE_LAYOUT.publishImageSizeHintGib,
    partitionPlan: layout.oneOf('partition-plan', PARTITION_PLANS) ?? DEFAULT_IMAGE_LAYOUT.partitionPlan,
  }
}

function parseImageFeatures(features: TableReader | undefined): ImageFeatures {
  const result: ImageFeatures = {...IMAGE_FEATURE_DEFAULTS}
  if (!features) return result
  for (const name of Object.keys(features.table)) {
    if (!isImageFeature(name)) {
      const suggestion = suggestKey(name, IMAGE_FEATURES)
      const didYouMean = suggestion ? ` Did you mean ${suggestion}?` : ''
      throw features.error(name, `${features.keyName()} has an unknown feature "${name}".${didYouMean}`, {
        hint: `The features are ${quoteList(IMAGE_FEATURES)}; remove or rename this one.`,
        code: 'manifest.unknown-feature',
      })
    }

    result[name] = features.boolean(name) ?? result[name]
  }

  return result
}

function isImageFeature(name: string): name is ImageFeature {
  return (IMAGE_FEATURES as string[]).includes(name)
}

function unique<T>(values: T[] | undefined): T[] | undefined {
  return values === undefined ? undefined : [...new Set(values)]
}
