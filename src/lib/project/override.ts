import path from 'node:path'

import {type SourceLocation, formatLocation} from '../errors.js'
import {type TomlDocument, isTable, locate, readTomlFileIfExists} from '../toml/document.js'
import {TableReader} from '../toml/table-reader.js'
import type {Logger} from '../ui/logger.js'
import {PROJECT_WORDING} from './fields.js'

export const OVERRIDE_FILE = 'Twoliter.override'

/** Where to pull one vendor's artifact from instead of `<vendor registry>/<name>`. */
export interface ImageOverride {
  /** Repository name to pull instead of the artifact's name. */
  name?: string
  /** Registry to pull from instead of the vendor's. */
  registry?: string
  /**
   * twoliter extension: the absolute directory of a local project whose built kit is used instead of
   * any registry (for quick iteration). Never changes Twoliter.lock.
   */
  path?: string
}

/** The project's Twoliter.override: `[<vendor>.<artifact>]` tables. Usually git-ignored, local to one machine. */
export interface Overrides {
  /** The override file, when there is one. */
  file?: string
  /** Vendor name → artifact name → override. */
  images: Record<string, Record<string, ImageOverride>>
}

const OVERRIDE_KEYS = ['name', 'registry', 'path'] as const

export function noOverrides(): Overrides {
  return {images: Object.create(null) as Overrides['images']}
}

/**
 * Loads Twoliter.override next to Twoliter.toml. Overrides may apply to kits that the project's kits
 * depend on, so an artifact name is not checked; an override for a vendor that Twoliter.toml does not
 * declare can never apply and is warned about.
 */
export async function loadOverrides(root: string, declaredVendors: readonly string[], logger: Logger): Promise<Overrides> {
  const file = path.join(root, OVERRIDE_FILE)
  const document = await readTomlFileIfExists(file)
  if (document === undefined) return noOverrides()
  logger.info(`Detected override file ${file}, loading override information.`)

  const vendorTables = TableReader.root(document, PROJECT_WORDING)
  const overrides: Overrides = {file, images: noOverrides().images}
  for (const vendor of Object.keys(vendorTables.table)) {
    const vendorTable = vendorTables.requiredSubTable(vendor, {example: `[${vendor}.ARTIFACT] registry = "REGISTRY"`})
    if (!declaredVendors.includes(vendor)) {
      const declared = declaredVendors.length === 0 ? 'none' : declaredVendors.join(', ')
      logger.warn(
        `${formatLocation(locateVendor(document, vendor))}: the overrides for vendor '${vendor}' are ignored because Twoliter.toml declares no [vendor.${vendor}] (declared: ${declared}).`,
      )
    }

    const artifacts: Record<string, ImageOverride> = Object.create(null) as Record<string, ImageOverride>
    for (const artifact of Object.keys(vendorTable.table)) {
      const table = vendorTable.requiredSubTable(artifact, {example: `[${vendor}.${artifact}] registry = "REGISTRY"`})
      table.warnAboutTypos(OVERRIDE_KEYS, logger)
      const override: ImageOverride = {}
      const name = table.string('name', {example: `name = "${artifact}"`})
      const registry = table.string('registry', {example: 'registry = "localhost:5000"'})
      const localPath = table.string('path', {example: 'path = "../my-kit-project"'})
      if (localPath !== undefined && (name !== undefined || registry !== undefined)) {
        throw table.error('path', `[${vendor}.${artifact}] gives both \`path\` and \`${name === undefined ? 'registry' : 'name'}\`: a kit comes either from a local project or from a registry.`, {
          code: 'override.path-and-registry',
        })
      }

      if (name !== undefined) override.name = name
      if (registry !== undefined) override.registry = registry
      if (localPath !== undefined) override.path = path.resolve(root, localPath)
      artifacts[artifact] = override
    }

    overrides.images[vendor] = artifacts
  }

  return overrides
}

/** `[vendor.artifact]` headers define the vendor table implicitly; then point at the first of them. */
function locateVendor(document: TomlDocument, vendor: string): SourceLocation {
  const location = locate(document, [vendor])
  const vendorTable = document.data[vendor]
  const firstArtifact = isTable(vendorTable) ? Object.keys(vendorTable)[0] : undefined
  return location.line === undefined && firstArtifact !== undefined ? locate(document, [vendor, firstArtifact]) : location
}

export function findImageOverride(overrides: Overrides, vendor: string, name: string): ImageOverride | undefined {
  const vendorOverrides = Object.hasOwn(overrides.images, vendor) ? overrides.images[vendor] : undefined
  return vendorOverrides !== undefined && Object.hasOwn(vendorOverrides, name) ? vendorOverrides[name] : undefined
}
