/**
 * The `TwoliterContext` handed to plugins' hooks: twoliter's engine, registry client and logger behind the
 * small plain interfaces of @twoliter/plugin-api, so that plugins use them without reaching into twoliter's
 * classes.
 */

import type {BlobContent, ContainerEngine, PluginLogger, RegistryAccess, TwoliterContext} from '@twoliter/plugin-api'

import {Engine} from '../engine/index.js'
import {type BlobSource, type CredentialProvider, RegistryClient, blobFromBytes, blobFromFile} from '../oci/index.js'
import type {Logger} from '../ui/logger.js'
import {API_VERSIONS} from './api-versions.js'

export interface HookContextSources {
  logger: Logger
  projectRoot?: string
  /** The engine the command uses; without one, the context connects when a plugin first runs a container. */
  engine?: Engine
  /** Consulted by the context's registry client before docker's config.json. */
  credentialProvider?: CredentialProvider
}

export function hookContext(sources: HookContextSources): TwoliterContext {
  const {logger} = sources
  let engine: Promise<Engine> | undefined = sources.engine === undefined ? undefined : Promise.resolve(sources.engine)
  let client: RegistryClient | undefined
  const registry = () => (client ??= new RegistryClient({logger, credentialProvider: sources.credentialProvider}))
  const containerEngine: ContainerEngine = {
    run: async (spec, options) => (await (engine ??= Engine.connect(logger))).run(spec, options),
  }
  const context: TwoliterContext = {
    apiVersion: API_VERSIONS.context,
    engine: containerEngine,
    registry: registryAccess(registry),
    logger: pluginLogger(logger),
  }
  if (sources.projectRoot !== undefined) context.projectRoot = sources.projectRoot
  return context
}

function registryAccess(client: () => RegistryClient): RegistryAccess {
  return {
    async getManifest(reference) {
      const manifest = await client().getManifest(reference)
      return {reference: manifest.reference.toString(), bytes: manifest.bytes, mediaType: manifest.mediaType, digest: manifest.digest}
    },
    headManifest: (reference) => client().headManifest(reference),
    blobExists: (repository, digest) => client().blobExists(repository, digest),
    getBlob: (repository, digest) => client().getBlob(repository, digest),
    getBlobToFile: (repository, digest, file) => client().getBlobToFile(repository, digest, file),
    async pushBlob(repository, content) {
      const blob = await blobSource(content)
      await client().pushBlob(repository, blob)
      return blob.digest
    },
    pushManifest: (reference, bytes, mediaType) => client().pushManifest(reference, bytes, mediaType),
    listTags: (repository) => client().listTags(repository),
  }
}

async function blobSource(content: BlobContent): Promise<BlobSource> {
  return content instanceof Uint8Array ? blobFromBytes(content) : blobFromFile(content.file)
}

// Bound functions only: a plugin gets no handle on the logger's sink or its collected warnings.
function pluginLogger(logger: Logger): PluginLogger {
  return {
    error: (message) => logger.error(message),
    warn: (message) => logger.warn(message),
    info: (message) => logger.info(message),
    debug: (message) => logger.debug(message),
  }
}
