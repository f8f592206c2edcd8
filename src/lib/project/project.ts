import type {TomlTable} from 'smol-toml'

import type {TomlDocument} from '../toml/document.js'
import type {Logger} from '../ui/logger.js'
import {findProject} from './discovery.js'
import type {Overrides} from './override.js'
import type {TrustSettings} from './signing-keys.js'
import {loadProject} from './twoliter-toml.js'

/** An SDK or kit image as Twoliter.toml (or a kit's metadata) names it. */
export interface ImageRef {
  name: string
  /** Strict semver, without the 'v' of the image tag. */
  version: string
  vendor: string
}

export interface Vendor {
  /** Registry host with an optional path prefix; images are `<registry>/<name>:v<version>`. */
  registry: string
}

/** A loaded and validated Twoliter.toml (schema-version 1) with its Twoliter.override. */
export interface Project {
  /** The Twoliter.toml file (any file name when given with --project-path). */
  file: string
  /** The project root: the directory holding `file`. */
  root: string
  schemaVersion: 1
  /** Not validated as semver when loading, like twoliter 0.5; kits parse it later. */
  releaseVersion: string
  sdk?: ImageRef
  /** Keyed by vendor name, in file order. */
  vendors: Record<string, Vendor>
  kits: ImageRef[]
  /** `[vendor.NAME] signing-keys` and `require-signatures`: which signatures external kits must carry. */
  trust: TrustSettings
  override: Overrides
  /** The parsed file, for `locate()` in later validation errors. */
  document: TomlDocument
  /** The whole parsed table, including the extension tables that later features read. */
  raw: TomlTable
}

/** Finds the project (upward from `cwd`, or `projectPath` naming Twoliter.toml) and loads it. */
export async function openProject(options: {cwd?: string; projectPath?: string; logger: Logger}): Promise<Project> {
  const location = await findProject({cwd: options.cwd, projectPath: options.projectPath})
  options.logger.debug(`project file: ${location.file}`)
  return loadProject(location, options.logger)
}
