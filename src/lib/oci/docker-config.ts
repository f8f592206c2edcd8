/**
 * Credentials from docker's config.json (`$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`),
 * looked up as docker does: `credHelpers.<host>`, else `credsStore`, else the `auths.<host>` entry.
 */

import {readFile} from 'node:fs/promises'
import {homedir} from 'node:os'
import path from 'node:path'

import {TwoliterError} from '../errors.js'
import {getFromCredentialHelper} from './credential-helper.js'
import type {RegistryCredentials, ResolvedCredentials} from './credentials.js'
import {DOCKER_HUB} from './reference.js'

interface AuthEntry {
  auth?: string
  username?: string
  password?: string
  identitytoken?: string
  registrytoken?: string
}

export interface DockerConfig {
  auths: Record<string, AuthEntry>
  credHelpers: Record<string, string>
  credsStore?: string
}

// Docker keeps Docker Hub's credentials under the URL of its v1 index.
const DOCKER_HUB_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io']

export function dockerConfigPath(env: NodeJS.ProcessEnv): string {
  const directory = env.DOCKER_CONFIG ?? path.join(env.HOME ?? homedir(), '.docker')
  return path.join(directory, 'config.json')
}

/** The parsed config file; undefined when there is none. */
export async function readDockerConfig(file: string): Promise<DockerConfig | undefined> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new TwoliterError(`cannot read docker's configuration ${file}: ${(error as Error).message}.`, {code: 'oci.docker-config'})
  }

  let document: unknown
  try {
    document = JSON.parse(text)
  } catch (error) {
    throw new TwoliterError(`docker's configuration is not valid JSON: ${(error as Error).message}.`, {
      hint: 'Fix or remove the file; `docker login` writes it again.',
      location: {file},
      code: 'oci.docker-config',
    })
  }

  const object = isRecord(document) ? document : {}
  return {
    auths: isRecord(object.auths) ? (object.auths as Record<string, AuthEntry>) : {},
    credHelpers: isRecord(object.credHelpers) ? (object.credHelpers as Record<string, string>) : {},
    credsStore: typeof object.credsStore === 'string' && object.credsStore !== '' ? object.credsStore : undefined,
  }
}

export async function dockerConfigCredentials(registry: string, env: NodeJS.ProcessEnv): Promise<ResolvedCredentials | undefined> {
  const file = dockerConfigPath(env)
  const config = await readDockerConfig(file)
  if (config === undefined) return undefined
  const keys = registry === DOCKER_HUB ? DOCKER_HUB_KEYS : [registry]
  const serverUrl = keys[0]

  const helper = keys.map((key) => config.credHelpers[key]).find((name) => typeof name === 'string' && name !== '') ?? config.credsStore
  if (helper !== undefined) {
    const credentials = await getFromCredentialHelper(helper, serverUrl, env)
    if (credentials !== undefined) return {credentials, source: `docker-credential-${helper} (named in ${file})`}
  }

  const entry = findAuthEntry(config.auths, keys)
  const credentials = entry === undefined ? undefined : authEntryCredentials(entry, file, registry)
  return credentials === undefined ? undefined : {credentials, source: file}
}

function findAuthEntry(auths: Record<string, AuthEntry>, keys: string[]): AuthEntry | undefined {
  for (const key of keys) {
    if (isRecord(auths[key])) return auths[key]
  }

  // `docker login` of old wrote URLs (`https://host/v1/`); match on the host.
  for (const [key, entry] of Object.entries(auths)) {
    const host = key.replace(/^[a-z]+:\/\//i, '').replace(/\/.*$/, '')
    if (keys.includes(host) && isRecord(entry)) return entry
  }

  return undefined
}

function authEntryCredentials(entry: AuthEntry, file: string, registry: string): RegistryCredentials | undefined {
  if (typeof entry.registrytoken === 'string' && entry.registrytoken !== '') return {token: entry.registrytoken}
  if (typeof entry.identitytoken === 'string' && entry.identitytoken !== '') return {identityToken: entry.identitytoken}
  if (typeof entry.auth === 'string' && entry.auth !== '') {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon === -1) {
      throw new TwoliterError(`the credentials for ${registry} in docker's configuration are not base64 of user:password.`, {
        hint: `Run \`docker login ${registry}\` again.`,
        location: {file},
        code: 'oci.docker-config',
      })
    }

    return {username: decoded.slice(0, colon), password: decoded.slice(colon + 1)}
  }

  if (typeof entry.username === 'string' && typeof entry.password === 'string') return {username: entry.username, password: entry.password}
  return undefined
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}
