/**
 * One HTTP exchange with a registry, on node:http(s) rather than fetch so that we control the TLS trust
 * (SSL_CERT_FILE as an extra CA, as krane honours it), stream request bodies from files, and keep
 * connections alive. Redirects of GET and HEAD are followed (blob storage often lives elsewhere), without
 * the registry's Authorization header when they leave its origin.
 */

import {Agent as HttpAgent, type IncomingHttpHeaders, type IncomingMessage, request as httpRequest} from 'node:http'
import {Agent as HttpsAgent, request as httpsRequest} from 'node:https'
import {type Readable, pipeline} from 'node:stream'
import {finished} from 'node:stream/promises'
import tls from 'node:tls'

export type HttpMethod = 'DELETE' | 'GET' | 'HEAD' | 'PATCH' | 'POST' | 'PUT'

/** A body that can be sent again when the request is retried. */
export type RequestBody = Buffer | {readonly length: number; open(): Readable}

export interface HttpRequest {
  method: HttpMethod
  url: URL
  headers?: Record<string, string>
  body?: RequestBody
}

export interface HttpResponse {
  status: number
  headers: IncomingHttpHeaders
  /** The URL that answered, after redirects. */
  url: URL
  body: IncomingMessage
}

/** The exchange failed below HTTP: connection refused or reset, DNS, TLS, timeout. */
export class NetworkError extends Error {
  constructor(
    readonly code: string,
    readonly url: URL,
    cause: Error,
  ) {
    super(`${code}: ${cause.message}`, {cause})
    this.name = 'NetworkError'
  }
}

export interface HttpTransportOptions {
  /** PEM certificates trusted in addition to Node's. */
  extraCertificates?: string
  userAgent?: string
  /** A connection idle this long is given up (and the request retried). */
  idleTimeoutMs?: number
}

const MAX_REDIRECTS = 5
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])

export class HttpTransport {
  private readonly httpAgent = new HttpAgent({keepAlive: true, maxSockets: 16})
  private readonly httpsAgent: HttpsAgent
  private readonly userAgent: string
  private readonly idleTimeoutMs: number

  constructor(options: HttpTransportOptions = {}) {
    const ca = options.extraCertificates === undefined ? undefined : [...defaultCertificates(), options.extraCertificates]
    this.httpsAgent = new HttpsAgent({keepAlive: true, maxSockets: 16, ca})
    this.userAgent = options.userAgent ?? 'twoliter'
    this.idleTimeoutMs = options.idleTimeoutMs ?? 60_000
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    let current = request
    for (let redirects = 0; ; redirects++) {
      const response = await this.exchange(current)
      const location = response.headers.location
      const followable = (current.method === 'GET' || current.method === 'HEAD') && REDIRECT_STATUSES.has(response.status)
      if (!followable || location === undefined || redirects === MAX_REDIRECTS) return response
      await discardBody(response)
      const next = new URL(location, current.url)
      const headers = {...current.headers}
      if (next.origin !== current.url.origin) delete headers.Authorization
      current = {...current, url: next, headers}
    }
  }

  close(): void {
    this.httpAgent.destroy()
    this.httpsAgent.destroy()
  }

  private exchange(request: HttpRequest): Promise<HttpResponse> {
    const {method, url, body} = request
    const headers: Record<string, string> = {'User-Agent': this.userAgent, ...request.headers}
    if (body !== undefined) headers['Content-Length'] = String(body.length)
    const secure = url.protocol === 'https:'
    const send = secure ? httpsRequest : httpRequest
    return new Promise((resolve, reject) => {
      let answered = false
      const outgoing = send(url, {method, headers, agent: secure ? this.httpsAgent : this.httpAgent}, (incoming) => {
        answered = true
        resolve({status: incoming.statusCode ?? 0, headers: incoming.headers, url, body: incoming})
      })
      outgoing.setTimeout(this.idleTimeoutMs, () => outgoing.destroy(Object.assign(new Error('the connection was idle too long'), {code: 'ETIMEDOUT'})))
      outgoing.on('error', (error: NodeJS.ErrnoException) => {
        if (!answered) reject(new NetworkError(error.code ?? 'ERR_NETWORK', url, error))
      })
      if (body === undefined) {
        outgoing.end()
      } else if (Buffer.isBuffer(body)) {
        outgoing.end(body)
      } else {
        // A registry may answer (say 401) before it has read the body; the rest of the upload then fails,
        // which the answer already explains.
        pipeline(body.open(), outgoing, (error) => {
          if (error && !answered) outgoing.destroy(error)
        })
      }
    })
  }
}

/** Reads the whole body, refusing more than `limit` bytes. */
export async function readBody(response: HttpResponse, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = []
  let length = 0
  for await (const chunk of response.body as AsyncIterable<Buffer>) {
    length += chunk.length
    if (length > limit) {
      response.body.destroy()
      throw new Error(`the response from ${response.url.origin}${response.url.pathname} is larger than ${limit} bytes`)
    }

    chunks.push(chunk)
  }

  return Buffer.concat(chunks)
}

/** Reads and drops the body so that the connection can be reused. */
export async function discardBody(response: HttpResponse): Promise<void> {
  try {
    response.body.resume()
    await finished(response.body)
  } catch {
    // The connection broke; there was nothing we wanted in it.
  }
}

export function headerValue(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name.toLowerCase()]
  return Array.isArray(value) ? value.join(', ') : value
}

/** The URL without query or fragment: query strings may carry signatures (presigned blob URLs). */
export function describeUrl(url: URL): string {
  return `${url.origin}${url.pathname}`
}

function defaultCertificates(): string[] {
  // getCACertificates('default') includes NODE_EXTRA_CA_CERTS and --use-system-ca, rootCertificates does not.
  return typeof tls.getCACertificates === 'function' ? tls.getCACertificates('default') : [...tls.rootCertificates]
}
