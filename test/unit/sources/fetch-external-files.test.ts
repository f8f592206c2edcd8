import {expect} from 'chai'
import {mkdir, readFile, readdir, stat, utimes, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {formatError} from '../../../src/lib/errors.js'
import type {ExternalFile} from '../../../src/lib/manifest/types.js'
import type {SourcesConfig} from '../../../src/lib/project/sources-config.js'
import {
  ExternalFileError,
  type FetchProgress,
  type HttpPolicy,
  fetchExternalFiles,
  lookasideUrl,
} from '../../../src/lib/sources/index.js'
import {expectTwoliterError, lineOf, recordingLogger, temporaryDirectories} from '../project/helpers.js'
import {hang, inTurn, loopbackServers, notFound, redirect, serve, sha512Hex, stallAfter, status, trickle} from '../../helpers/loopback-server.js'

const NAME = 'hello-1.0.tar.gz'
/** Several hundred KiB, so the body arrives in many chunks. */
const CONTENT = Buffer.from('hello, world: the source of hello 1.0\n'.repeat(20_000))
const SHA512 = sha512Hex(CONTENT)
const OTHER_CONTENT = Buffer.from('not the file Cargo.toml describes\n')

/** Short timeouts and waits, so the failure paths run in milliseconds. */
const FAST_HTTP: HttpPolicy = {responseTimeoutMs: 2000, stallTimeoutMs: 2000, maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 50}

describe('fetchExternalFiles', function () {
  this.timeout(10_000)
  const directories = temporaryDirectories()
  const servers = loopbackServers()

  /** The path of `name` under a lookaside cache whose base path is `base`. */
  function lookasidePath(base: string, name = NAME, sha512 = SHA512): string {
    return new URL(lookasideUrl(`http://host${base}`, name, sha512)).pathname
  }

  function externalFile(url: string, overrides: Partial<ExternalFile> = {}): ExternalFile {
    return {url, sha512: SHA512, forceUpstream: false, bundleModules: [], ...overrides}
  }

  /** A package directory whose Cargo.toml declares `files`, and a cache directory. */
  async function setUp(files: ExternalFile[]) {
    const cargoToml = [
      '[package]',
      'name = "hello"',
      'version = "0.1.0"',
      ...files.flatMap((file) => [
        '',
        '[[package.metadata.build-package.external-files]]',
        `url = ${JSON.stringify(file.url)}`,
        `sha512 = ${JSON.stringify(file.sha512)}`,
        ...(file.path === undefined ? [] : [`path = ${JSON.stringify(file.path)}`]),
        ...(file.forceUpstream ? ['force-upstream = true'] : []),
      ]),
      '',
    ].join('\n')
    const root = await directories.create({'packages/hello/Cargo.toml': cargoToml})
    const dir = path.join(root, 'packages/hello')
    const {logger, lines} = recordingLogger()
    return {
      pkg: {name: 'hello', dir, externalFiles: files},
      manifestPath: path.join(dir, 'Cargo.toml'),
      cargoToml,
      cacheDir: path.join(root, 'cache'),
      logger,
      lines,
    }
  }

  type Setup = Awaited<ReturnType<typeof setUp>>

  function fetchWith(setup: Setup, config: SourcesConfig, extra: {http?: Partial<HttpPolicy>; signal?: AbortSignal; onProgress?: (event: FetchProgress) => void} = {}) {
    const {http, ...rest} = extra
    return fetchExternalFiles(setup.pkg, config, {cacheDir: setup.cacheDir, logger: setup.logger, http: {...FAST_HTTP, ...http}, ...rest})
  }

  async function filesUnder(dir: string): Promise<string[]> {
    const entries = await readdir(dir, {recursive: true, withFileTypes: true}).catch(() => [])
    return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
  }

  async function expectCachedCopy(setup: Setup, fetched: Record<string, string>, name = NAME) {
    const expectedPath = path.join(setup.cacheDir, SHA512, name)
    expect(fetched).to.deep.equal({[name]: expectedPath})
    expect((await readFile(expectedPath)).equals(CONTENT)).to.equal(true)
    expect(await filesUnder(setup.cacheDir)).to.deep.equal([path.join(SHA512, name)])
  }

  describe('from lookaside caches', () => {
    it('takes a file from the lookaside cache and keeps it at <cacheDir>/<sha512>/<name>', async () => {
      const server = await servers.start({[lookasidePath('/cache')]: serve(CONTENT)})
      const upstream = await servers.start({'/hello-1.0.tar.gz': serve(CONTENT)})
      const setup = await setUp([externalFile(upstream.url('/hello-1.0.tar.gz'))])

      const fetched = await fetchWith(setup, {lookasideCaches: [server.url('/cache')], upstreamFallback: true})

      await expectCachedCopy(setup, fetched)
      expect(server.requests).to.deep.equal([lookasidePath('/cache')])
      expect(upstream.requests).to.deep.equal([])
    })

    it('asks the lookaside caches in order and stops at the first that has the file', async () => {
      const server = await servers.start({[lookasidePath('/second')]: serve(CONTENT), [lookasidePath('/third')]: serve(CONTENT)})
      const setup = await setUp([externalFile('http://127.0.0.1:9/hello-1.0.tar.gz')])

      const fetched = await fetchWith(setup, {
        lookasideCaches: [server.url('/first'), server.url('/second'), server.url('/third')],
        upstreamFallback: false,
      })

      await expectCachedCopy(setup, fetched)
      expect(server.requests).to.deep.equal([lookasidePath('/first'), lookasidePath('/second')])
    })

    it('names the file after `path` when the entry has one', async () => {
      const server = await servers.start({[lookasidePath('/cache', 'renamed.tgz')]: serve(CONTENT)})
      const setup = await setUp([externalFile('http://127.0.0.1:9/download?id=7', {path: 'renamed.tgz'})])

      const fetched = await fetchWith(setup, {lookasideCaches: [server.url('/cache')], upstreamFallback: false})

      await expectCachedCopy(setup, fetched, 'renamed.tgz')
    })

    it('follows redirects', async () => {
      const server = await servers.start({[lookasidePath('/cache')]: redirect('/blobs/1'), '/blobs/1': serve(CONTENT)})
      const setup = await setUp([externalFile('http://127.0.0.1:9/hello-1.0.tar.gz')])

      const fetched = await fetchWith(setup, {lookasideCaches: [server.url('/cache')], upstreamFallback: false})

      await expectCachedCopy(setup, fetched)
      expect(server.requests).to.deep.equal([lookasidePath('/cache'), '/blobs/1'])
    })

    it('fails, listing every URL tried and why, and says how to allow upstream when no lookaside has the file', async () => {
      const server = await servers.start({[lookasidePath('/b')]: status(403)})
      const upstream = await servers.start({'/hello-1.0.tar.gz': serve(CONTENT)})
      const setup = await setUp([externalFile(upstream.url('/hello-1.0.tar.gz'))])

      const error = await expectTwoliterError(
        fetchWith(setup, {lookasideCaches: [server.url('/a'), server.url('/b')], upstreamFallback: false}),
        'sources.fetch-failed',
      )

      expect(error).to.be.instanceOf(ExternalFileError)
      expect(error.message).to.include(NAME).and.include('hello')
      expect(error.message).to.include(`${server.url(lookasidePath('/a'))} (HTTP 404 Not Found)`)
      expect(error.message).to.include(`${server.url(lookasidePath('/b'))} (HTTP 403 Forbidden)`)
      expect(error.hint).to.include('upstream-source-fallback = true').and.include('--upstream-source-fallback')
      expect(error.location).to.deep.equal({file: setup.manifestPath, line: lineOf(setup.cargoToml, 'url ='), column: 1})
      expect((error as ExternalFileError).failures.map((failure) => failure.kind)).to.deep.equal(['lookaside', 'lookaside'])
      expect(upstream.requests).to.deep.equal([])
      expect(await filesUnder(setup.cacheDir)).to.deep.equal([])
    })

    it('says there is nowhere to look when there are no lookaside caches and no upstream fallback', async () => {
      const setup = await setUp([externalFile('http://127.0.0.1:9/hello-1.0.tar.gz')])

      const error = await expectTwoliterError(fetchWith(setup, {lookasideCaches: [], upstreamFallback: false}), 'sources.no-source')

      expect(error.hint).to.include('lookaside-caches').and.include('upstream-source-fallback')
    })
  })

  describe('from upstream', () => {
    it('falls back to the upstream url after the lookaside caches when upstream fallback is on', async () => {
      const server = await servers.start({})
      const upstream = await servers.start({'/dl/hello-1.0.tar.gz': serve(CONTENT)})
      const setup = await setUp([externalFile(upstream.url('/dl/hello-1.0.tar.gz'))])
      const events: FetchProgress[] = []

      const fetched = await fetchWith(setup, {lookasideCaches: [server.url('/cache')], upstreamFallback: true}, {onProgress: (event) => events.push(event)})

      await expectCachedCopy(setup, fetched)
      expect(server.requests).to.deep.equal([lookasidePath('/cache')])
      expect(upstream.requests).to.deep.equal(['/dl/hello-1.0.tar.gz'])
      expect(events.map((event) => event.kind).filter((kind) => kind !== 'received')).to.deep.equal([
        'downloading',
        'source-failed',
        'downloading',
        'fetched',
      ])
      const received = events.filter((event) => event.kind === 'received')
      expect(received.at(-1)).to.include({receivedBytes: CONTENT.length, totalBytes: CONTENT.length})
      expect(setup.lines.some((line) => line.includes(`fetched ${NAME}`) && line.includes(upstream.url('/dl/hello-1.0.tar.gz')))).to.equal(true)
    })

    it('goes straight upstream for a force-upstream file, even with upstream fallback off', async () => {
      const server = await servers.start({[lookasidePath('/cache')]: serve(CONTENT)})
      const upstream = await servers.start({'/hello-1.0.tar.gz': serve(CONTENT)})
      const setup = await setUp([externalFile(upstream.url('/hello-1.0.tar.gz'), {forceUpstream: true})])

      const fetched = await fetchWith(setup, {lookasideCaches: [server.url('/cache')], upstreamFallback: false})

      await expectCachedCopy(setup, fetched)
      expect(server.requests).to.deep.equal([])
      expect(upstream.requests).to.deep.equal(['/hello-1.0.tar.gz'])
    })
  })

  describe('verification', () => {
    it('discards a file with the wrong SHA-512 and names both digests, the URL and the line to fix', async () => {
      const upstream = await servers.start({'/hello-1.0.tar.gz': serve(OTHER_CONTENT)})
      const setup = await setUp([externalFile(upstream.url('/hello-1.0.tar.gz'))])

      const error = await expectTwoliterError(fetchWith(setup, {lookasideCaches: [], upstreamFallback: true}), 'sources.sha512-mismatch')

      expect(error.message).to.include(NAME).and.include(upstream.url('/hello-1.0.tar.gz'))
      expect(error.message).to.include(SHA512).and.include(sha512Hex(OTHER_CONTENT))
      const sha512Line = lineOf(setup.cargoToml, 'sha512 =')
      expect(error.location).to.deep.equal({file: setup.manifestPath, line: sha512Line, column: 1})
      expect(error.hint).to.include(`sha512 = "${sha512Hex(OTHER_CONTENT)}"`).and.include(`${setup.manifestPath}:${sha512Line}`)
      expect(error.hint).to.include('has changed since the digest was recorded')
      expect(formatError(error)).to.match(new RegExp(`^${escapeRegExp(setup.manifestPath)}:${sha512Line}:1: `))
      expect(await filesUnder(setup.cacheDir), 'neither a cached nor a temporary file is left').to.deep.equal([])
    })

    it('passes over a lookaside cache serving the wrong file, with a warning, when upstream has the right one', async () => {
      const server = await servers.start({[lookasidePath('/cache')]: serve(OTHER_CONTENT)})
      const upstream = await servers.start({'/hello-1.0.tar.gz': serve(CONTENT)})
      const setup = await setUp([externalFile(upstream.url('/hello-1.0.tar.gz'))])

      const fetched = await fetchWith(setup, {lookasideCaches: [server.url('/cache')], upstreamFallback: true})

      await expectCachedCopy(setup, fetched)
      expect(setup.logger.warnings.join('\n')).to.include(server.url(lookasidePath('/cache'))).and.include(sha512Hex(OTHER_CONTENT))
    })

    it('makes no request at all for a file already in the cache', async () => {
      const server = await servers.start({[lookasidePath('/cache')]: serve(CONTENT)})
      const setup = await setUp([externalFile('http://127.0.0.1:9/hello-1.0.tar.gz')])
      const config = {lookasideCaches: [server.url('/cache')], upstreamFallback: false}
      await fetchWith(setup, config)
      const events: FetchProgress[] = []

      const fetched = await fetchWith(setup, config, {onProgress: (event) => events.push(event)})

      await expectCachedCopy(setup, fetched)
      expect(server.requests).to.have.length(1)
      expect(events).to.deep.equal([{packageName: 'hello', fileName: NAME, kind: 'cached', path: fetched[NAME], size: CONTENT.length}])
    })

    it('shares the cache between packages and projects: another package with the same file makes no request', async () => {
      const server = await servers.start({[lookasidePath('/cache')]: serve(CONTENT)})
      const first = await setUp([externalFile('http://127.0.0.1:9/hello-1.0.tar.gz')])
      const second = {...(await setUp([externalFile('http://127.0.0.1:9/hello-1.0.tar.gz')])), cacheDir: first.cacheDir}
      const config = {lookasideCaches: [server.url('/cache')], upstreamFallback: false}

      await fetchWith(first, config)
      const fetched = await fetchWith(second, config)

      expect(fetched[NAME]).to.equal(path.join(first.cacheDir, SHA512, NAME))
      expect(server.requests).to.have.length(1)
    })

    it('fetches again, with a warning, a cached file that was changed on disk', async () => {
      const server = await servers.start({[lookasidePath('/cache')]: serve(CONTENT)})
      const setup = await setUp([externalFile('http://127.0.0.1:9/hello-1.0.tar.gz')])
      const config = {lookasideCaches: [server.url('/cache')], upstreamFallback: false}
      const {[NAME]: cached} = await fetchWith(setup, config)
      await writeFile(cached, OTHER_CONTENT)

      const fetched = await fetchWith(setup, config)

      await expectCachedCopy(setup, fetched)
      expect(server.requests).to.have.length(2)
      expect(setup.logger.warnings.join('\n')).to.include('damaged').and.include(cached)
    })

    it('notices a change that keeps the size and the modification time', async () => {
      const server = await servers.start({[lookasidePath('/cache')]: serve(CONTENT)})
      const setup = await setUp([externalFile('http://127.0.0.1:9/hello-1.0.tar.gz')])
      const config = {lookasideCaches: [server.url('/cache')], upstreamFallback: false}
      const {[NAME]: cached} = await fetchWith(setup, config)
      const before = await stat(cached)
      const flipped = Buffer.from(CONTENT)
      flipped[1000] ^= 1
      await writeFile(cached, flipped)
      await utimes(cached, before.atime, before.mtime)

      const fetched = await fetchWith(setup, config)

      await expectCachedCopy(setup, fetched)
      expect(server.requests).to.have.length(2)
    })

    it('lets two fetches of the same file run at once without damaging the cache', async () => {
      const server = await servers.start({[lookasidePath('/cache')]: serve(CONTENT)})
      const setup = await setUp([externalFile('http://127.0.0.1:9/hello-1.0.tar.gz')])
      const config = {lookasideCaches: [server.url('/cache')], upstreamFallback: false}

      const results = await Promise.all([fetchWith(setup, config), fetchWith(setup, config), fetchWith(setup, config)])

      for (const fetched of results) await expectCachedCopy(setup, fetched)
    })

    it('refuses two different files with the same name before fetching anything', async () => {
      const server = await servers.start({})
      const setup = await setUp([
        externalFile(server.url('/a/hello-1.0.tar.gz')),
        externalFile(server.url('/b/hello-1.0.tar.gz'), {sha512: sha512Hex(OTHER_CONTENT)}),
      ])

      const error = await expectTwoliterError(fetchWith(setup, {lookasideCaches: [], upstreamFallback: true}), 'sources.duplicate-name')

      expect(error.message).to.include(NAME)
      expect(server.requests).to.deep.equal([])
    })
  })

  describe('transient failures and timeouts', () => {
    it('retries a 503 and takes the file when the next attempt succeeds', async () => {
      const server = await servers.start({[lookasidePath('/cache')]: inTurn(status(503), serve(CONTENT))})
      const setup = await setUp([externalFile('http://127.0.0.1:9/hello-1.0.tar.gz')])

      const fetched = await fetchWith(setup, {lookasideCaches: [server.url('/cache')], upstreamFallback: false})

      await expectCachedCopy(setup, fetched)
      expect(server.requests).to.have.length(2)
    })

    it('gives up on a source after maxAttempts transient failures and moves on to the next', async () => {
      const server = await servers.start({[lookasidePath('/flaky')]: status(502), [lookasidePath('/good')]: serve(CONTENT)})
      const setup = await setUp([externalFile('http://127.0.0.1:9/hello-1.0.tar.gz')])

      const fetched = await fetchWith(setup, {lookasideCaches: [server.url('/flaky'), server.url('/good')], upstreamFallback: false})

      await expectCachedCopy(setup, fetched)
      expect(server.countOf(lookasidePath('/flaky'))).to.equal(FAST_HTTP.maxAttempts)
      expect(server.countOf(lookasidePath('/good'))).to.equal(1)
    })

    for (const [code, handler] of [
      [404, notFound],
      [501, status(501)],
    ] as const) {
      it(`does not retry a ${code}`, async () => {
        const server = await servers.start({[lookasidePath('/cache')]: handler})
        const setup = await setUp([externalFile('http://127.0.0.1:9/hello-1.0.tar.gz')])

        const error = await expectTwoliterError(fetchWith(setup, {lookasideCaches: [server.url('/cache')], upstreamFallback: false}), 'sources.fetch-failed')

        expect(error.message).to.include(`(HTTP ${code} `)
        expect(server.requests).to.have.length(1)
      })
    }

    it('honours a short Retry-After on 429', async () => {
      const server = await servers.start({[lookasidePath('/cache')]: inTurn(status(429, {'retry-after': '0'}), serve(CONTENT))})
      const setup = await setUp([externalFile('http://127.0.0.1:9/hello-1.0.tar.gz')])

      const fetched = await fetchWith(setup, {lookasideCaches: [server.url('/cache')], upstreamFallback: false}, {http: {initialDelayMs: 5000, maxDelayMs: 5000}})

      await expectCachedCopy(setup, fetched)
      expect(server.requests).to.have.length(2)
    })

    it('times out a server that never answers, within the configured bound', async () => {
      const server = await servers.start({[lookasidePath('/cache')]: hang})
      const setup = await setUp([externalFile('http://127.0.0.1:9/hello-1.0.tar.gz')])
      const started = Date.now()

      const error = await expectTwoliterError(
        fetchWith(setup, {lookasideCaches: [server.url('/cache')], upstreamFallback: false}, {http: {responseTimeoutMs: 150, maxAttempts: 2}}),
        'sources.fetch-failed',
      )

      const elapsed = Date.now() - started
      expect(elapsed).to.be.at.least(2 * 150).and.below(1000)
      expect(error.message).to.include('no response within 150 ms')
      expect(server.requests).to.have.length(2)
      expect(await filesUnder(setup.cacheDir)).to.deep.equal([])
    })

    it('times out a download that stops sending data halfway', async () => {
      const server = await servers.start({[lookasidePath('/cache')]: stallAfter(CONTENT, 1000)})
      const setup = await setUp([externalFile('http://127.0.0.1:9/hello-1.0.tar.gz')])

      const error = await expectTwoliterError(
        fetchWith(setup, {lookasideCaches: [server.url('/cache')], upstreamFallback: false}, {http: {stallTimeoutMs: 150, maxAttempts: 1}}),
        'sources.fetch-failed',
      )

      expect(error.message).to.include('no data received for')
      expect(await filesUnder(setup.cacheDir)).to.deep.equal([])
    })

    it('does not cut short a slow download that keeps sending data', async () => {
      const server = await servers.start({[lookasidePath('/cache')]: trickle(CONTENT, 8, 40)})
      const setup = await setUp([externalFile('http://127.0.0.1:9/hello-1.0.tar.gz')])
      const started = Date.now()

      const fetched = await fetchWith(setup, {lookasideCaches: [server.url('/cache')], upstreamFallback: false}, {http: {stallTimeoutMs: 150, maxAttempts: 1}})

      expect(Date.now() - started, 'the whole download takes longer than the stall timeout').to.be.above(150)
      await expectCachedCopy(setup, fetched)
    })

    it('reports a refused connection as a network error and tries the next source', async () => {
      const closed = await servers.start({})
      const refusedUrl = closed.url('/cache')
      await closed.close()
      const upstream = await servers.start({'/hello-1.0.tar.gz': serve(CONTENT)})
      const setup = await setUp([externalFile(upstream.url('/hello-1.0.tar.gz'))])
      const events: FetchProgress[] = []

      const fetched = await fetchWith(setup, {lookasideCaches: [refusedUrl], upstreamFallback: true}, {onProgress: (event) => events.push(event)})

      await expectCachedCopy(setup, fetched)
      const failure = events.find((event) => event.kind === 'source-failed')
      expect(failure).to.include({url: `${refusedUrl}${lookasidePath('')}`})
      expect(failure && 'reason' in failure ? failure.reason : '').to.match(/^network error: .*ECONNREFUSED/)
    })

    it('stops at once, leaving no temporary file, when the caller aborts', async () => {
      const server = await servers.start({[lookasidePath('/cache')]: hang})
      const setup = await setUp([externalFile('http://127.0.0.1:9/hello-1.0.tar.gz')])
      const controller = new AbortController()
      const reason = new Error('interrupted by the user')
      setTimeout(() => controller.abort(reason), 50)
      const started = Date.now()

      let outcome: unknown
      try {
        await fetchWith(setup, {lookasideCaches: [server.url('/cache')], upstreamFallback: false}, {signal: controller.signal})
      } catch (error) {
        outcome = error
      }

      expect(outcome).to.equal(reason)
      expect(Date.now() - started).to.be.below(FAST_HTTP.responseTimeoutMs)
      expect(await filesUnder(setup.cacheDir)).to.deep.equal([])
    })
  })

  it('removes temporary files left behind by a killed process a day ago, and keeps recent ones', async () => {
    const server = await servers.start({[lookasidePath('/cache')]: serve(CONTENT)})
    const setup = await setUp([externalFile('http://127.0.0.1:9/hello-1.0.tar.gz')])
    const temporaryDir = path.join(setup.cacheDir, '.tmp')
    await mkdir(temporaryDir, {recursive: true})
    await writeFile(path.join(temporaryDir, 'old.part'), 'half a download')
    await writeFile(path.join(temporaryDir, 'recent.part'), 'a download in progress')
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 60 * 60 * 1000)
    await utimes(path.join(temporaryDir, 'old.part'), twoDaysAgo, twoDaysAgo)

    await fetchWith(setup, {lookasideCaches: [server.url('/cache')], upstreamFallback: false})

    expect(await readdir(temporaryDir)).to.deep.equal(['recent.part'])
  })
})

function escapeRegExp(text: string): string {
  return text.replaceAll(/[.*+?^${}()|[\]\\]/g, String.raw`\$&`)
}
