/**
 * Where a registry's API answers: HTTPS by default, plain HTTP for loopback registries and for those the
 * user declared insecure (option or `TWOLITER_INSECURE_REGISTRIES`, as krane's `--insecure`).
 */

import {isIP} from 'node:net'

import {DOCKER_HUB, splitRegistry} from './reference.js'

export const INSECURE_REGISTRIES_ENV = 'TWOLITER_INSECURE_REGISTRIES'

// docker.io is the name in references; the API lives elsewhere.
const DOCKER_HUB_API_HOST = 'registry-1.docker.io'

export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true
  if (isIP(bare) === 4) return bare.startsWith('127.')
  if (isIP(bare) === 6) return bare === '::1' || /^::ffff:127\./i.test(bare)
  return false
}

/** `TWOLITER_INSECURE_REGISTRIES`: registries separated by commas or spaces. */
export function insecureRegistriesFromEnv(env: NodeJS.ProcessEnv): string[] {
  return (env[INSECURE_REGISTRIES_ENV] ?? '').split(/[\s,]+/).filter((entry) => entry !== '')
}

/**
 * Whether to talk plain HTTP to `registry` (`host[:port]`). An entry naming a host without a port covers
 * every port of that host.
 */
export function usesPlainHttp(registry: string, insecureRegistries: readonly string[]): boolean {
  const {host} = splitRegistry(registry)
  if (isLoopbackHost(host)) return true
  return insecureRegistries.some((entry) => {
    const declared = splitRegistry(entry)
    return entry === registry || (declared.port === undefined && declared.host === host)
  })
}

/** The base URL of a registry's API, e.g. `http://127.0.0.1:5000`. */
export function registryBaseUrl(registry: string, insecureRegistries: readonly string[]): URL {
  const authority = registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : registry
  return new URL(`${usesPlainHttp(registry, insecureRegistries) ? 'http' : 'https'}://${authority}`)
}
