/**
 * Registry failures as one-paragraph TwoliterErrors: what we were doing, what the registry said (its
 * error JSON, `{"errors": [{"code", "message"}]}`), and what the user can do about it.
 */

import {TwoliterError} from '../errors.js'
import type {NetworkError} from './http.js'

export interface RegistryErrorDetail {
  code: string
  message: string
}

export interface FailedOperation {
  /** What we tried, as it reads after "cannot": `fetch the manifest of 127.0.0.1:5000/kits/a:v1`. */
  action: string
  registry: string
  /** Where credentials came from, when some were sent. */
  credentialSource?: string
  /** What a 404 means here, e.g. `the tag or the repository does not exist`. */
  notFound?: string
}

export function parseRegistryErrors(body: Uint8Array): RegistryErrorDetail[] {
  try {
    const document = JSON.parse(Buffer.from(body).toString('utf8')) as {errors?: unknown}
    if (!Array.isArray(document.errors)) return []
    return document.errors
      .filter((item): item is {code?: unknown; message?: unknown} => typeof item === 'object' && item !== null)
      .map((item) => ({code: String(item.code ?? 'UNKNOWN'), message: String(item.message ?? '')}))
  } catch {
    return []
  }
}

/** The error for a registry's non-success answer. `retries` says why we stopped retrying, if we did. */
export function registryResponseError(status: number, details: RegistryErrorDetail[], operation: FailedOperation, retries?: string): TwoliterError {
  const {action, registry, credentialSource} = operation
  const codes = new Set(details.map((detail) => detail.code))
  const said = details.length === 0 ? `${status}` : `${status} ${details.map((detail) => `${detail.code}: ${detail.message}`).join('; ')}`
  const fail = (explanation: string, hint: string, code: string): TwoliterError =>
    new TwoliterError(`cannot ${action}: ${explanation} (${said})${retries === undefined ? '' : `; ${retries}`}.`, {hint, code})

  if (status === 401) {
    return credentialSource === undefined
      ? fail(`${registry} needs credentials`, loginHint(registry), 'oci.unauthorized')
      : fail(`${registry} did not accept the credentials from ${credentialSource}`, `Log in again (\`docker login ${registry}\`) or fix the credentials.`, 'oci.unauthorized')
  }

  if (status === 403 || codes.has('DENIED')) {
    return fail(
      `${registry} denied it${credentialSource === undefined ? ' to anonymous users' : ` to the credentials from ${credentialSource}`}`,
      credentialSource === undefined ? loginHint(registry) : 'Ask the owner of the repository for access, or use other credentials.',
      'oci.denied',
    )
  }

  if (codes.has('NAME_UNKNOWN')) return fail('the repository does not exist', 'Check the registry and repository names (and Twoliter.override).', 'oci.name-unknown')
  if (codes.has('MANIFEST_UNKNOWN') || (status === 404 && action.includes('manifest'))) {
    return fail(operation.notFound ?? 'the manifest does not exist', 'Check the name and the version; kits and SDKs are tagged v<version>.', 'oci.manifest-unknown')
  }

  if (codes.has('BLOB_UNKNOWN') || (status === 404 && action.includes('blob'))) {
    return fail('the registry does not have this blob', 'The image is incomplete in the registry; push it again.', 'oci.blob-unknown')
  }

  if (codes.has('MANIFEST_BLOB_UNKNOWN')) return fail('the manifest refers to content the repository does not have', 'Push the blobs (or the per-architecture images) first.', 'oci.manifest-blob-unknown')
  if (status === 404) return fail('the registry does not know it', 'Check the reference.', 'oci.not-found')
  if (status === 429 || codes.has('TOOMANYREQUESTS')) return fail(`${registry} is limiting the rate of requests`, 'Wait a while and try again.', 'oci.rate-limited')
  if (status >= 500) return fail(`${registry} failed`, 'Try again later; if it persists, tell whoever runs the registry.', 'oci.server-error')
  return fail(`${registry} refused it`, 'The registry may not support this; check its documentation and the message above.', 'oci.request-refused')
}

/** The error for an exchange that failed below HTTP. */
export function networkFailureError(error: NetworkError, operation: FailedOperation, retries?: string): TwoliterError {
  const {action, registry} = operation
  const origin = error.url.origin
  const fail = (explanation: string, hint: string, code: string): TwoliterError =>
    new TwoliterError(`cannot ${action}: ${explanation} (${error.code})${retries === undefined ? '' : `; ${retries}`}.`, {hint, code, cause: error})

  if (error.code === 'ECONNREFUSED') return fail(`nothing answers at ${origin}`, `Check the registry name and that ${registry} is running.`, 'oci.unreachable')
  if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') return fail(`the host name of ${origin} does not resolve`, 'Check the registry name and your DNS.', 'oci.unreachable')
  if (error.code === 'ERR_SSL_WRONG_VERSION_NUMBER' || error.code === 'EPROTO') {
    return fail(`${origin} does not answer TLS`, `If ${registry} serves plain HTTP, add it to TWOLITER_INSECURE_REGISTRIES.`, 'oci.tls')
  }

  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(error.code)) {
    return fail(
      `the TLS certificate of ${origin} is not trusted or does not match its name: ${error.message}`,
      'If the registry uses a private certificate authority, point SSL_CERT_FILE at that CA certificate (PEM).',
      'oci.tls',
    )
  }

  return fail(`the connection to ${origin} failed`, 'Check the network; twoliter retries transient failures a few times.', 'oci.network')
}

function loginHint(registry: string): string {
  return `Log in with \`docker login ${registry}\`, configure a credential helper for ${registry} in your docker config.json, or install a registry-auth plugin.`
}
