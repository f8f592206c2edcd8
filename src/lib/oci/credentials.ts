/**
 * Registry credentials and where they come from: first the pluggable provider (the CLI wires the
 * `twoliter:registry-auth` plugin capability into it), then docker's config.json with its credential
 * helpers, as krane does. Secrets never reach a log line or an error message; their source does.
 */

import type {Logger} from '../ui/logger.js'
import {dockerConfigCredentials} from './docker-config.js'

export type RegistryCredentials =
  | {username: string; password: string}
  /** An OAuth2 refresh token for the registry's token service (docker's `identitytoken`). */
  | {identityToken: string}
  /** A bearer token the registry accepts as it is (docker's `registrytoken`). */
  | {token: string}

/** What the pluggable provider may answer for a registry host (`host[:port]`). */
export type ProvidedCredentials = {username: string; password: string} | {token: string}

export type CredentialProvider = (registry: string) => Promise<ProvidedCredentials | undefined>

export interface ResolvedCredentials {
  credentials: RegistryCredentials
  /** Where they came from, for messages: never the secret itself. */
  source: string
}

export interface CredentialLookup {
  provider?: CredentialProvider
  /** Environment for DOCKER_CONFIG, HOME and the PATH the credential helpers are found on. */
  env: NodeJS.ProcessEnv
  logger: Logger
}

export async function resolveCredentials(registry: string, lookup: CredentialLookup): Promise<ResolvedCredentials | undefined> {
  if (lookup.provider !== undefined) {
    const provided = await lookup.provider(registry)
    if (provided !== undefined) {
      lookup.logger.debug(`using credentials for ${registry} from the registry-auth provider`)
      return {credentials: provided, source: 'the registry-auth provider'}
    }
  }

  const fromDocker = await dockerConfigCredentials(registry, lookup.env)
  if (fromDocker !== undefined) lookup.logger.debug(`using credentials for ${registry} from ${fromDocker.source}`)
  else lookup.logger.debug(`no credentials for ${registry}: trying anonymously`)
  return fromDocker
}

export function basicAuthorization(credentials: {username: string; password: string}): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`, 'utf8').toString('base64')}`
}
