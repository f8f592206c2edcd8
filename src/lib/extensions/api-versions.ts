/**
 * The versions of the plugin interfaces this twoliter implements, and the semver check of a version a
 * plugin declares. @twoliter/plugin-api holds the same versions as literal types; `satisfies` below makes
 * the build fail when the two drift apart.
 */

import type {ContextApiVersion, LifecycleApiVersion, RegistryAuthApiVersion, SignerApiVersion} from '@twoliter/plugin-api'
import semver from 'semver'

export const API_VERSIONS = {
  registryAuth: '1.0.0',
  signer: '1.0.0',
  lifecycle: '1.0.0',
  context: '1.0.0',
} as const satisfies {registryAuth: RegistryAuthApiVersion; signer: SignerApiVersion; lifecycle: LifecycleApiVersion; context: ContextApiVersion}

/**
 * Whether a plugin that implements `declared` works with twoliter's `supported` version of the interface:
 * same major version (minor versions only add optional members). Undefined when it does, else why not.
 */
export function apiVersionProblem(declared: unknown, supported: string): string | undefined {
  if (typeof declared !== 'string') return 'it has no apiVersion'
  if (semver.valid(declared) === null) return `its apiVersion ${JSON.stringify(declared)} is not a semantic version`
  const major = semver.major(supported)
  if (semver.major(declared) === major) return undefined
  return `it implements version ${declared} of the interface and this twoliter supports ${major}.x`
}
