/**
 * The license documents of a variant image: the human-readable attribution (grouped by kit) and the
 * SPDX 2.3 SBOM, written side by side from the same list of installed packages.
 */

import path from 'node:path'

import {writeAttribution} from './attribution.js'
import {writeSpdxDocument} from './spdx.js'
import type {InstalledPackage, VariantImageOptions} from './types.js'

export const ATTRIBUTION_FILE = 'license-attribution.md'
export const SPDX_FILE = 'sbom.spdx.json'

export interface LicenseDocumentsInput {
  options: VariantImageOptions
  packages: InstalledPackage[]
  /** Sources in priority order (`local`, then kits), so the attribution lists them that way. */
  sourceOrder: string[]
  /** The build's commit time, so the same commit gives the same documents. */
  created: Date
  toolVersion: string
  imageFiles?: Array<{name: string; sha256: string}>
}

export async function writeLicenseDocuments(dir: string, input: LicenseDocumentsInput): Promise<string[]> {
  const {options, packages} = input
  await writeAttribution(path.join(dir, ATTRIBUTION_FILE), {variant: options.variant, version: options.version, arch: options.arch, packages, sourceOrder: input.sourceOrder})
  await writeSpdxDocument(path.join(dir, SPDX_FILE), {
    variant: options.variant,
    version: options.version,
    buildId: options.buildId,
    arch: options.arch,
    toolVersion: input.toolVersion,
    created: input.created,
    packages,
    imageFiles: input.imageFiles,
  })
  return [ATTRIBUTION_FILE, SPDX_FILE]
}
