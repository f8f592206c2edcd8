import type {SourceLocation} from '../errors.js'
import {locate, readTomlFileIfExists} from '../toml/document.js'

/**
 * Where key `key` of the `index`th external file is written in the package's Cargo.toml, so an error can
 * point at the line to fix. Only looked up when something failed; an unreadable manifest just yields the file.
 */
export async function locateExternalFileKey(manifestPath: string, index: number, key: 'url' | 'sha512'): Promise<SourceLocation> {
  try {
    const document = await readTomlFileIfExists(manifestPath)
    if (document === undefined) return {file: manifestPath}
    return locate(document, ['package', 'metadata', 'build-package', 'external-files', index, key])
  } catch {
    return {file: manifestPath}
  }
}
