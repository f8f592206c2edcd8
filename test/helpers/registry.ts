/**
 * A real OCI registry for tests: Debian's docker-registry (distribution v2) on a free port, with temporary
 * storage, optionally behind basic auth (htpasswd), token auth (with a small token service here) or TLS.
 * Plus a recording, fault-injecting HTTP proxy to see and break what the client sends.
 */

import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {createSign, randomUUID, X509Certificate} from 'node:crypto'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {createServer as createHttpServer, type IncomingMessage, request as httpRequest, type Server, type ServerResponse} from 'node:http'
import {request as httpsRequest} from 'node:https'
import {createServer as createNetServer} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

export const REGISTRY_BINARY = process.env.TWOLITER_TEST_REGISTRY_BINARY ?? '/usr/bin/docker-registry'

/**
 * A user for registries with htpasswd auth. The bcrypt hash was made once with
 * `python3 -c "import crypt; print(crypt.crypt('correct horse battery', crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))"`
 * (cost 4, so that the registry checks it quickly); fixed here so tests need no bcrypt tool.
 */
export const TEST_USER = {
  username: 'twoliter-test',
  password: 'correct horse battery',
  htpasswd: 'twoliter-test:$2b$04$cY72biCaPi8n5huXMq92CuDTCvrj8ZrKwpAa7GKi9ofrQwoD.n6dW\n',
} as const

export interface TokenAuthSettings {
  realm: string
  service: string
  issuer: string
  /** PEM certificate(s) the registry trusts token signatures of. */
  rootCertBundle: string
}

export interface TestRegistryOptions {
  /** The address to listen on; 127.0.0.1 by default. */
  address?: string
  /** htpasswd file content: basic auth. */
  htpasswd?: string
  token?: TokenAuthSettings
  /** PEM files: serve HTTPS. */
  tls?: {certificate: string; key: string}
}

export interface TestRegistry {
  /** `address:port`, as it appears in image references. */
  host: string
  /** The registry's storage root. */
  storage: string
  /** The file in which the registry keeps a blob's content. */
  blobDataFile(digest: string): string
  stop(): Promise<void>
}

export async function startTestRegistry(options: TestRegistryOptions = {}): Promise<TestRegistry> {
  const address = options.address ?? '127.0.0.1'
  const port = await freePort(address)
  const workDir = await mkdtemp(path.join(tmpdir(), 'twoliter-registry-'))
  const storage = path.join(workDir, 'storage')
  const lines = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${storage}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${address}:${port}`,
    `  secret: ${randomUUID()}`,
  ]
  if (options.tls) lines.push('  tls:', `    certificate: ${options.tls.certificate}`, `    key: ${options.tls.key}`)
  if (options.htpasswd !== undefined) {
    await writeFile(path.join(workDir, 'htpasswd'), options.htpasswd)
    lines.push('auth:', '  htpasswd:', '    realm: twoliter-test', `    path: ${path.join(workDir, 'htpasswd')}`)
  } else if (options.token) {
    await writeFile(path.join(workDir, 'token-ca.pem'), options.token.rootCertBundle)
    const {realm, service, issuer} = options.token
    lines.push('auth:', '  token:', `    realm: ${realm}`, `    service: ${service}`, `    issuer: ${issuer}`, `    rootcertbundle: ${path.join(workDir, 'token-ca.pem')}`)
  }

  const config = path.join(workDir, 'config.yml')
  await writeFile(config, lines.join('\n') + '\n')
  const child = spawn(REGISTRY_BINARY, ['serve', config], {stdio: ['ignore', 'pipe', 'pipe']})
  let output = ''
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-4000)
  }

  child.stdout?.on('data', keep)
  child.stderr?.on('data', keep)
  // Should the test run die without its after() hooks, the registry goes with it.
  const killOnExit = (): void => void child.kill('SIGKILL')
  process.once('exit', killOnExit)
  child.once('exit', () => process.off('exit', killOnExit))
  const host = `${address.includes(':') ? `[${address}]` : address}:${port}`
  const stop = async (): Promise<void> => {
    await stopProcess(child)
    await rm(workDir, {recursive: true, force: true})
  }

  try {
    await waitForRegistry(`${options.tls ? 'https' : 'http'}://${host}/v2/`, child, () => output)
  } catch (error) {
    await stop()
    throw error
  }

  return {
    host,
    storage,
    blobDataFile(digest) {
      const [algorithm, hex] = digest.split(':')
      return path.join(storage, 'docker/registry/v2/blobs', algorithm, hex.slice(0, 2), hex, 'data')
    },
    stop,
  }
}

/** A registry for the enclosing mocha `describe`: started before its tests, stopped after them. */
export function useTestRegistry(options: TestRegistryOptions | (() => Promise<TestRegistryOptions>) = {}): () => TestRegistry {
  let registry: TestRegistry | undefined
  before(async function () {
    this.timeout(30_000)
    registry = await startTestRegistry(typeof options === 'function' ? await options() : options)
  })
  after(async () => {
    await registry?.stop()
    registry = undefined
  })
  return () => {
    if (registry === undefined) throw new Error('the test registry is not running')
    return registry
  }
}

export interface RecordedRequest {
  method: string
  /** Path and query, as sent. */
  path: string
  status: number
  authorization?: string
}

/** Answer with an error status; drop the connection before answering; or pass on only the first bytes of the answer's body. */
export type Fault = {status: number; retryAfter?: string} | {reset: true} | {cutAfterBytes: number}

export interface FaultRule {
  method?: string
  path?: RegExp
  fault: Fault
  /** How many matching requests get the fault. */
  times: number
}

export interface RecordingProxy {
  host: string
  requests: RecordedRequest[]
  /** Makes the next `times` matching requests fail instead of reaching the registry. */
  inject(rule: FaultRule): void
  close(): Promise<void>
}

/** An HTTP proxy on loopback in front of `target` (`host:port`) that records every request. */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const [targetHost, targetPort] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))]
  const requests: RecordedRequest[] = []
  const rules: FaultRule[] = []
  const server = createHttpServer((incoming, outgoing) => {
    const record: RecordedRequest = {method: incoming.method ?? '', path: incoming.url ?? '', status: 0, authorization: incoming.headers.authorization}
    requests.push(record)
    const rule = rules.find((candidate) => candidate.times > 0 && (candidate.method ?? record.method) === record.method && (candidate.path?.test(record.path) ?? true))
    if (rule !== undefined) rule.times--
    if (rule !== undefined && !('cutAfterBytes' in rule.fault)) {
      injectFault(rule.fault, incoming, outgoing, record)
      return
    }

    const cutAfterBytes = rule !== undefined && 'cutAfterBytes' in rule.fault ? rule.fault.cutAfterBytes : undefined
    const forwarded = httpRequest({host: targetHost, port: targetPort, method: incoming.method, path: incoming.url, headers: incoming.headers}, (answer) => {
      record.status = answer.statusCode ?? 0
      outgoing.writeHead(record.status, answer.headers)
      if (cutAfterBytes === undefined) {
        answer.pipe(outgoing)
        return
      }

      let passed = 0
      answer.on('data', (chunk: Buffer) => {
        const room = cutAfterBytes - passed
        passed += chunk.length
        if (room > 0) outgoing.write(chunk.subarray(0, room))
        if (passed >= cutAfterBytes) {
          answer.destroy()
          outgoing.socket?.destroy()
        }
      })
    })
    forwarded.on('error', () => outgoing.destroy())
    incoming.pipe(forwarded)
  })
  const port = await listen(server, '127.0.0.1')
  return {
    host: `127.0.0.1:${port}`,
    requests,
    inject: (rule) => rules.push({...rule}),
    close: () => closeServer(server),
  }
}

function injectFault(fault: {status: number; retryAfter?: string} | {reset: true}, incoming: IncomingMessage, outgoing: ServerResponse, record: RecordedRequest): void {
  if ('reset' in fault) {
    incoming.socket.destroy()
    return
  }

  record.status = fault.status
  incoming.resume()
  const headers: Record<string, string> = {'Content-Type': 'application/json', Connection: 'close'}
  if (fault.retryAfter !== undefined) headers['Retry-After'] = fault.retryAfter
  outgoing.writeHead(fault.status, headers)
  outgoing.end(JSON.stringify({errors: [{code: fault.status === 429 ? 'TOOMANYREQUESTS' : 'UNAVAILABLE', message: 'injected by the test proxy'}]}))
}

export interface TokenServer {
  realm: string
  service: string
  issuer: string
  /** PEM certificate the registry must trust. */
  certificate: string
  /** Every token request, with what it asked for and how it authenticated. */
  requests: Array<{method: string; scopes: string[]; authorization?: string; grantType?: string}>
  close(): Promise<void>
}

export interface TokenServerOptions {
  /** Basic credentials it accepts. */
  user: {username: string; password: string}
  /** A refresh token it accepts (docker's identity token). */
  refreshToken?: string
  /** Whether anonymous users get pull access. */
  anonymousPull: boolean
}

/**
 * A token service as in the distribution token-auth spec: JWTs signed with a fresh RSA key, whose
 * self-signed certificate (made with openssl) rides in the `x5c` header. Authenticated users get the
 * actions they ask for; anonymous users get pull, or nothing.
 */
export async function startTokenServer(options: TokenServerOptions): Promise<TokenServer> {
  const workDir = await mkdtemp(path.join(tmpdir(), 'twoliter-token-'))
  const {certificate, key} = await selfSignedCertificate(workDir, 'twoliter test token signer')
  const certificateDer = new X509Certificate(certificate).raw.toString('base64')
  const service = 'twoliter-test-registry'
  const issuer = 'twoliter-test-issuer'
  const requests: TokenServer['requests'] = []
  const server = createHttpServer(async (incoming, outgoing) => {
    const url = new URL(incoming.url ?? '/', 'http://localhost')
    let scopes = url.searchParams.getAll('scope')
    let authenticated = false
    let grantType: string | undefined
    if (incoming.method === 'POST') {
      const form = new URLSearchParams(await readText(incoming))
      grantType = form.get('grant_type') ?? undefined
      scopes = (form.get('scope') ?? '').split(' ').filter((scope) => scope !== '')
      authenticated = grantType === 'refresh_token' && form.get('refresh_token') === options.refreshToken && options.refreshToken !== undefined
    } else {
      const expected = `Basic ${Buffer.from(`${options.user.username}:${options.user.password}`).toString('base64')}`
      if (incoming.headers.authorization !== undefined && incoming.headers.authorization !== expected) {
        requests.push({method: incoming.method ?? '', scopes, authorization: incoming.headers.authorization})
        outgoing.writeHead(401, {'Content-Type': 'application/json'}).end('{"details":"wrong credentials"}')
        return
      }

      authenticated = incoming.headers.authorization === expected
    }

    requests.push({method: incoming.method ?? '', scopes, authorization: incoming.headers.authorization, grantType})
    if (incoming.method === 'POST' && !authenticated) {
      outgoing.writeHead(401, {'Content-Type': 'application/json'}).end('{"error":"invalid_grant"}')
      return
    }

    const access = scopes.flatMap((scope) => {
      const [type, name, actions] = scope.split(':')
      const granted = actions.split(',').filter((action) => authenticated || (options.anonymousPull && action === 'pull'))
      return type === 'repository' ? [{type, name, actions: granted}] : []
    })
    const now = Math.floor(Date.now() / 1000)
    const token = signJwt(
      {typ: 'JWT', alg: 'RS256', x5c: [certificateDer]},
      {iss: issuer, sub: authenticated ? options.user.username : '', aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomUUID(), access},
      key,
    )
    const body = incoming.method === 'POST' ? {access_token: token, expires_in: 300} : {token, expires_in: 300}
    outgoing.writeHead(200, {'Content-Type': 'application/json'}).end(JSON.stringify(body))
  })
  const port = await listen(server, '127.0.0.1')
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certificate,
    requests,
    async close() {
      await closeServer(server)
      await rm(workDir, {recursive: true, force: true})
    },
  }
}

/** A self-signed certificate (PEM) and its key, from openssl; `ipAddress` goes into subjectAltName. */
export async function selfSignedCertificate(dir: string, commonName: string, ipAddress?: string): Promise<{certificate: string; key: string; certificateFile: string; keyFile: string}> {
  const keyFile = path.join(dir, `${commonName.replaceAll(/\W/g, '-')}.key`)
  const certificateFile = path.join(dir, `${commonName.replaceAll(/\W/g, '-')}.crt`)
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${commonName}`, '-keyout', keyFile, '-out', certificateFile]
  if (ipAddress !== undefined) args.push('-addext', `subjectAltName=IP:${ipAddress}`)
  execFileSync('openssl', args, {stdio: 'ignore'})
  return {certificate: await readFile(certificateFile, 'utf8'), key: await readFile(keyFile, 'utf8'), certificateFile, keyFile}
}

function signJwt(header: object, claims: object, privateKeyPem: string): string {
  const encode = (part: object): string => Buffer.from(JSON.stringify(part)).toString('base64url')
  const signingInput = `${encode(header)}.${encode(claims)}`
  const signature = createSign('RSA-SHA256').update(signingInput).sign(privateKeyPem).toString('base64url')
  return `${signingInput}.${signature}`
}

async function waitForRegistry(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${output()}`)
    const status = await probe(url).catch(() => 0)
    if (status === 200 || status === 401) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }

  throw new Error(`docker-registry did not answer at ${url} within 20 s: ${output()}`)
}

function probe(url: string): Promise<number> {
  // The registry's own certificate is what the TLS tests check; here we only wait for it to answer.
  const request = url.startsWith('https:') ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const outgoing = request(url, {rejectUnauthorized: false}, (answer: IncomingMessage) => {
      answer.resume()
      resolve(answer.statusCode ?? 0)
    })
    outgoing.on('error', reject)
    outgoing.end()
  })
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.once('exit', resolve))
  child.kill('SIGTERM')
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
  await exited
  clearTimeout(timer)
}

async function freePort(address: string): Promise<number> {
  const server = createNetServer()
  const port = await listen(server, address)
  await closeServer(server)
  return port
}

function listen(server: Server | ReturnType<typeof createNetServer>, address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, address, () => {
      const bound = server.address()
      resolve(typeof bound === 'object' && bound !== null ? bound.port : 0)
    })
  })
}

function closeServer(server: Server | ReturnType<typeof createNetServer>): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}

async function readText(incoming: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of incoming as AsyncIterable<Buffer>) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}
