import type {Engine} from '../lib/engine/index.js'
import {type HookRunner, registryCredentialProvider} from '../lib/extensions/index.js'
import {RegistryClient} from '../lib/oci/index.js'
import type {Logger} from '../lib/ui/logger.js'

/** A registry client for a command: credentials from plugins (`twoliter:registry-auth`), then docker's config. */
export function commandRegistryClient(config: HookRunner, options: {logger: Logger; projectRoot?: string; engine?: Engine}): RegistryClient {
  return new RegistryClient({logger: options.logger, credentialProvider: registryCredentialProvider(config, options)})
}
