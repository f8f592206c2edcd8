/**
 * Real HTTP servers on 127.0.0.1 for the fetch tests. Each records the paths it was asked for, in order, and
 * refuses to serve more than a fixed number of requests, so that a retry loop gone wrong fails the test
 * instead of spinning. Servers are closed, with every open connection, after each test.
 */

import {createHash} from 'node:crypto'
import {type IncomingMessage, type Server, type ServerResponse, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'

export type Handler = (request: IncomingMessage, response: ServerResponse) => void

const MAX_REQUESTS = 20

export class LoopbackServer {
  private constructor(
    private readonly server: Server,
    readonly origin: string,
    /** Paths requested, in arrival order. */
    readonly requests: readonly string[],
  ) {}

  /** Starts a server; `routes` maps a path to how it is answered, and any other path gets a 404. */
  static async start(routes: Record<string, Handler>): Promise<LoopbackServer> {
    const requests: string[] = []
    const server = createServer((request, response) => {
      const requestPath = request.url ?? '/'
      requests.push(requestPath)
      if (requests.length > MAX_REQUESTS) {
        response.writeHead(500).end('too many requests for one test')
        return
      }

      const handler = Object.hasOwn(routes, requestPath) ? routes[requestPath] : notFound
      handler(request, response)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const {port} = server.address() as AddressInfo
    return new LoopbackServer(server, `http://127.0.0.1:${port}`, requests)
  }

  url(requestPath: string): string {
    return `${this.origin}${requestPath}`
  }

  countOf(requestPath: string): number {
    return this.requests.filter((requested) => requested === requestPath).length
  }

  async close(): Promise<void> {
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}

/** Servers started through `start` are closed after each test of the file that calls this. */
export function loopbackServers(): {start(routes: Record<string, Handler>): Promise<LoopbackServer>} {
  const started: LoopbackServer[] = []
  afterEach(async () => {
    await Promise.all(started.splice(0).map((server) => server.close()))
  })
  return {
    async start(routes) {
      const server = await LoopbackServer.start(routes)
      started.push(server)
      return server
    },
  }
}

export const notFound: Handler = (_request, response) => {
  response.writeHead(404, {'content-type': 'text/plain'}).end('not found')
}

export function serve(content: Uint8Array): Handler {
  return (_request, response) => {
    response.writeHead(200, {'content-type': 'application/octet-stream', 'content-length': content.length}).end(content)
  }
}

export function status(code: number, headers: Record<string, string> = {}): Handler {
  return (_request, response) => {
    response.writeHead(code, headers).end(`status ${code}`)
  }
}

export function redirect(location: string): Handler {
  return (_request, response) => {
    response.writeHead(302, {location}).end()
  }
}

/** Never answers: the connection stays open until the server is closed. */
export const hang: Handler = () => {}

/** Sends the headers and the first `sentBytes` of `content`, then goes silent. */
export function stallAfter(content: Uint8Array, sentBytes: number): Handler {
  return (_request, response) => {
    response.writeHead(200, {'content-length': content.length})
    response.write(content.subarray(0, sentBytes))
  }
}

/** Sends `content` in `pieces` parts, one every `intervalMs`: slow, but never silent for longer than that. */
export function trickle(content: Uint8Array, pieces: number, intervalMs: number): Handler {
  return (_request, response) => {
    response.writeHead(200, {'content-length': content.length})
    const size = Math.ceil(content.length / pieces)
    let sent = 0
    const timer = setInterval(() => {
      response.write(content.subarray(sent, sent + size))
      sent += size
      if (sent >= content.length) {
        clearInterval(timer)
        response.end()
      }
    }, intervalMs)
    response.on('close', () => clearInterval(timer))
  }
}

/** Answers the n-th request with the n-th handler, and the requests after the last with the last. */
export function inTurn(...handlers: Handler[]): Handler {
  let calls = 0
  return (request, response) => {
    const handler = handlers[Math.min(calls, handlers.length - 1)]
    calls++
    handler(request, response)
  }
}

export function sha512Hex(content: Uint8Array): string {
  return createHash('sha512').update(content).digest('hex')
}
