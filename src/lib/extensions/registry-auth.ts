/**
 * Registry credentials from plugins (`twoliter:registry-auth`), as a RegistryClient `credentialProvider`:
 * the providers of all plugins are asked in turn, bundled plugins first; the first answer wins. A provider
 * that fails, hangs or answers nonsense is skipped with a warning, and the client goes on to docker's
 * config.json.
 */

import type {RegistryCredentials} from '@twoliter/plugin-api'

import type {Engine} from '../engine/index.js'
import type {CredentialProvider, ProvidedCredentials} from '../oci/index.js'
import type {Logger} from '../ui/logger.js'
import {type ProvidedCapability, callCapability} from './capabilities.js'
import {hookContext} from './hook-context.js'
import {type HookRunner, callPluginFunction} from './hook-runner.js'
import {hookTimeoutMs} from './hook-timeouts.js'

export interface RegistryAuthOptions {
  logger: Logger
  /** The engine the command uses, lent to the plugins. */
  engine?: Engine
  projectRoot?: string
  timeoutMs?: number
}

/**
 * The plugins' hooks run once, when the client first needs credentials; each host is asked about once per
 * command, so a broken provider costs one warning, not one per request.
 */
export function registryCredentialProvider(config: HookRunner, options: RegistryAuthOptions): CredentialProvider {
  const {logger} = options
  const timeoutMs = options.timeoutMs ?? hookTimeoutMs('capability')
  let providers: Promise<Array<ProvidedCapability<'twoliter:registry-auth'>>> | undefined
  const answers = new Map<string, Promise<ProvidedCredentials | undefined>>()

  async function ask(host: string): Promise<ProvidedCredentials | undefined> {
    // No credential provider in the plugins' own registry client: a provider that looks something up in a
    // registry must not end up asking itself.
    providers ??= callCapability(config, 'twoliter:registry-auth', {twoliter: hookContext({logger, engine: options.engine, projectRoot: options.projectRoot})}, {timeoutMs, logger})
    for (const {plugin, descriptor} of await providers) {
      const answer = await callPluginFunction(plugin, `its registry-auth provider, asked about ${host},`, () => descriptor.provide(host), {timeoutMs, logger})
      if (answer === undefined || answer.value === undefined) continue
      const credentials = asCredentials(answer.value)
      if (credentials === undefined) {
        logger.warn(`plugin ${plugin}: its registry-auth provider answered for ${host} with neither {username, password} nor {token}; ignoring the answer`)
        continue
      }

      logger.debug(`credentials for ${host} from plugin ${plugin}`)
      return credentials
    }

    return undefined
  }

  return (host) => {
    let answer = answers.get(host)
    if (answer === undefined) {
      answer = ask(host)
      answers.set(host, answer)
    }

    return answer
  }
}

/** Exactly the credentials in a provider's answer (nothing else it may carry), or undefined when it has none. */
function asCredentials(value: unknown): RegistryCredentials | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const {token, username, password} = value as Record<string, unknown>
  if (typeof token === 'string' && token !== '') return {token}
  if (typeof username === 'string' && typeof password === 'string') return {username, password}
  return undefined
}
