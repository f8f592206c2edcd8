/**
 * The `twoliter:registry-auth` capability: credentials for a registry host, for registries whose
 * credentials do not come from docker's config.json (a cloud's token service, a vault).
 *
 * @packageDocumentation
 */

import type {RegistryAuthApiVersion} from './versions.js'

/**
 * A source of registry credentials. twoliter asks the providers of every plugin in turn (bundled plugins
 * first) before it reads docker's config.json; the first that answers wins, once per host and command.
 *
 * @example
 * ```ts
 * const hook: TwoliterHook<'twoliter:registry-auth'> = async () => ({
 *   apiVersion: '1.0.0',
 *   async provide(host) {
 *     return host.endsWith('.example.com') ? {token: await fetchToken(host)} : undefined
 *   },
 * })
 * ```
 */
export interface RegistryAuthProvider {
  /** The version of this interface the provider implements. */
  apiVersion: RegistryAuthApiVersion
  /**
   * Credentials for `host` (`host[:port]` as in image references, e.g. `registry.example.com`,
   * `127.0.0.1:5000`), or undefined when the provider has none for it. A provider that throws, or does not
   * answer within the hook timeout, is skipped with a warning.
   */
  provide(host: string): Promise<RegistryCredentials | undefined>
}

/**
 * A user name and password (sent to the registry as basic auth, or exchanged at its token service), or a
 * bearer token the registry accepts as it is.
 */
export type RegistryCredentials = {username: string; password: string} | {token: string}
