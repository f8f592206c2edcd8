import path from 'node:path'

import type {SourceLocation} from '../errors.js'
import {locate, readTomlFileIfExists} from '../toml/document.js'
import {TableReader} from '../toml/table-reader.js'
import {PROJECT_WORDING} from './fields.js'

export const INFRA_FILE = 'Infra.toml'

/** Infra.toml's `[vendor.NAME] registry = "..."` tables: where pubsys publishes kits. The rest of the file belongs to publishing plugins. */
export interface InfraVendors {
  file: string
  registries: Record<string, {registry: string; location: SourceLocation}>
  /** `[vendor.NAME] cosign-key = "FILE"`: the private key `publish kit` signs the vendor's kits with (path made absolute). */
  cosignKeys: Record<string, {file: string; location: SourceLocation}>
}

/** The vendors of Infra.toml (`file`, or Infra.toml in the project root); undefined when there is no such file. */
export async function readInfraVendors(projectRoot: string, file?: string): Promise<InfraVendors | undefined> {
  const infraFile = file ?? path.join(projectRoot, INFRA_FILE)
  const document = await readTomlFileIfExists(infraFile)
  if (document === undefined) return undefined
  const vendors = TableReader.root(document, PROJECT_WORDING).subTable('vendor', {example: '[vendor.my-vendor] registry = "registry.example.com/kits"'})
  const registries: InfraVendors['registries'] = {}
  const cosignKeys: InfraVendors['cosignKeys'] = {}
  for (const name of Object.keys(vendors?.table ?? {})) {
    const vendor = vendors!.requiredSubTable(name, {example: `[vendor.${name}] registry = "registry.example.com/kits"`})
    registries[name] = {
      registry: vendor.requiredString('registry', {example: 'registry = "registry.example.com/kits"'}),
      location: locate(document, ['vendor', name, 'registry']),
    }
    const cosignKey = vendor.string('cosign-key')
    if (cosignKey !== undefined) cosignKeys[name] = {file: path.resolve(path.dirname(infraFile), cosignKey), location: locate(document, ['vendor', name, 'cosign-key'])}
  }

  return {file: infraFile, registries, cosignKeys}
}
