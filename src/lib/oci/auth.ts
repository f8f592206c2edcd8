/**
 * Registry authentication, as docker and krane do it: requests go out anonymously until a registry
 * answers 401; its challenge then says how to authenticate. `Bearer` means: get a token for the
 * repository scopes from the realm (with basic credentials, or an identity token, when we have them);
 * `Basic` means: send the credentials with every request. The challenge and the tokens are remembered per
 * registry, so later requests authenticate up front.
 */

import {TwoliterError} from '../errors.js'
import type {Logger} from '../ui/logger.js'
import {type AuthChallenge, challengeScopes, parseChallenges} from './challenge.js'
import {basicAuthorization, type ResolvedCredentials} from './credentials.js'
import {describeUrl, discardBody, type HttpRequest, type HttpResponse, readBody} from './http.js'

export type RepositoryAction = 'pull' | 'push'

/** `repository:<name>:pull[,push]`, the scope registries' token services grant. */
export function repositoryScope(repository: string, actions: readonly RepositoryAction[]): string {
  return `repository:${repository}:${actions.join(',')}`
}

interface CachedToken {
  token: string
  expiresAt: number
}

// The distribution token spec's default lifetime; we refresh a little early.
const DEFAULT_TOKEN_LIFETIME_S = 60
const TOKEN_REFRESH_MARGIN_MS = 10_000
const MAX_TOKEN_RESPONSE_BYTES = 1024 * 1024

export interface AuthenticatorOptions {
  /** Sends one request (with retries); used for token requests. */
  send(request: HttpRequest): Promise<HttpResponse>
  /** Credentials for a registry; asked at most once per registry. */
  credentials(registry: string): Promise<ResolvedCredentials | undefined>
  logger: Logger
  now?: () => number
}

export class RegistryAuthenticator {
  private readonly challenges = new Map<string, AuthChallenge>()
  // Promises, so that concurrent requests needing the same token wait for one token request.
  private readonly tokens = new Map<string, Promise<CachedToken>>()
  private readonly credentialsByRegistry = new Map<string, Promise<ResolvedCredentials | undefined>>()
  private readonly now: () => number

  constructor(private readonly options: AuthenticatorOptions) {
    this.now = options.now ?? Date.now
  }

  /** The Authorization header to send up front: none until the registry has challenged us once. */
  async authorization(registry: string, scopes: readonly string[]): Promise<string | undefined> {
    const challenge = this.challenges.get(registry)
    return challenge === undefined ? undefined : this.authorizationFor(registry, challenge, scopes, false)
  }

  /**
   * After a 401 with `wwwAuthenticate`: the Authorization header to try again with, or undefined when
   * there is nothing better to send than `previous`.
   */
  async answerChallenge(registry: string, wwwAuthenticate: string | undefined, scopes: readonly string[], previous: string | undefined): Promise<string | undefined> {
    const challenges = parseChallenges(wwwAuthenticate ?? '')
    const challenge = challenges.find((candidate) => candidate.scheme === 'bearer') ?? challenges.find((candidate) => candidate.scheme === 'basic')
    if (challenge === undefined) return undefined
    this.challenges.set(registry, challenge)
    const wanted = [...new Set([...scopes, ...challengeScopes(challenge)])]
    const authorization = await this.authorizationFor(registry, challenge, wanted, previous !== undefined)
    return authorization === previous ? undefined : authorization
  }

  /** Where this registry's credentials come from, for error messages; undefined when anonymous. */
  async credentialSource(registry: string): Promise<string | undefined> {
    return (await this.credentials(registry))?.source
  }

  private credentials(registry: string): Promise<ResolvedCredentials | undefined> {
    let resolved = this.credentialsByRegistry.get(registry)
    if (resolved === undefined) {
      resolved = this.options.credentials(registry)
      this.credentialsByRegistry.set(registry, resolved)
    }

    return resolved
  }

  private async authorizationFor(registry: string, challenge: AuthChallenge, scopes: readonly string[], renew: boolean): Promise<string | undefined> {
    const resolved = await this.credentials(registry)
    const credentials = resolved?.credentials
    if (challenge.scheme === 'basic') return credentials !== undefined && 'username' in credentials ? basicAuthorization(credentials) : undefined
    if (credentials !== undefined && 'token' in credentials) return `Bearer ${credentials.token}`

    const key = `${registry} ${[...scopes].sort().join(' ')}`
    const cached = this.tokens.get(key)
    if (!renew && cached !== undefined) {
      const token = await cached.catch(() => undefined)
      if (token !== undefined && token.expiresAt - TOKEN_REFRESH_MARGIN_MS > this.now()) return `Bearer ${token.token}`
    }

    const fetching = this.fetchToken(registry, challenge, scopes, resolved)
    this.tokens.set(key, fetching)
    return `Bearer ${(await fetching).token}`
  }

  private async fetchToken(registry: string, challenge: AuthChallenge, scopes: readonly string[], resolved: ResolvedCredentials | undefined): Promise<CachedToken> {
    const {realm, service} = challenge.params
    if (realm === undefined) {
      throw new TwoliterError(`${registry} asks for a bearer token but names no realm to get one from.`, {
        hint: 'The registry is misconfigured; tell whoever runs it.',
        code: 'oci.auth-challenge',
      })
    }

    const url = new URL(realm)
    const credentials = resolved?.credentials
    let request: HttpRequest
    if (credentials !== undefined && 'identityToken' in credentials) {
      // OAuth2 refresh-token grant, as docker uses identity tokens.
      const form = new URLSearchParams({grant_type: 'refresh_token', refresh_token: credentials.identityToken, client_id: 'twoliter'})
      if (service !== undefined) form.set('service', service)
      if (scopes.length > 0) form.set('scope', scopes.join(' '))
      request = {method: 'POST', url, headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: Buffer.from(form.toString())}
    } else {
      if (service !== undefined) url.searchParams.set('service', service)
      for (const scope of scopes) url.searchParams.append('scope', scope)
      const headers: Record<string, string> = {}
      if (credentials !== undefined && 'username' in credentials) {
        url.searchParams.set('account', credentials.username)
        headers.Authorization = basicAuthorization(credentials)
      }

      request = {method: 'GET', url, headers}
    }

    const scopeText = scopes.length === 0 ? 'access' : scopes.join(' ')
    this.options.logger.debug(`getting a token for ${scopeText} on ${registry} from ${describeUrl(url)}${resolved ? ` with the credentials from ${resolved.source}` : ' anonymously'}`)
    const response = await this.options.send(request)
    if (response.status !== 200) {
      await discardBody(response)
      const refused = response.status === 401 || response.status === 403
      throw new TwoliterError(
        `the token service of ${registry} (${describeUrl(url)}) answered ${response.status} to a request for ${scopeText}` +
          (resolved ? ` with the credentials from ${resolved.source}.` : ' without credentials.'),
        {
          hint: refused
            ? resolved
              ? `Log in again (\`docker login ${registry}\`) or fix the credentials.`
              : `Log in with \`docker login ${registry}\`, configure a credential helper for it in your docker config.json, or install a registry-auth plugin.`
            : 'Try again later.',
          code: refused ? 'oci.unauthorized' : 'oci.token-service',
        },
      )
    }

    const answer = JSON.parse((await readBody(response, MAX_TOKEN_RESPONSE_BYTES)).toString('utf8')) as {token?: unknown; access_token?: unknown; expires_in?: unknown}
    const token = typeof answer.token === 'string' && answer.token !== '' ? answer.token : answer.access_token
    if (typeof token !== 'string' || token === '') {
      throw new TwoliterError(`the token service of ${registry} (${describeUrl(url)}) answered without a token.`, {hint: 'Tell whoever runs the registry.', code: 'oci.token-service'})
    }

    const lifetime = typeof answer.expires_in === 'number' && answer.expires_in > 0 ? answer.expires_in : DEFAULT_TOKEN_LIFETIME_S
    return {token, expiresAt: this.now() + lifetime * 1000}
  }
}
