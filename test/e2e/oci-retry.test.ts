import {expect} from 'chai'
import {readdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {blobFromBytes, blobFromFile} from '../../src/lib/oci/blob-source.js'
import {RegistryClient, type RegistryClientOptions} from '../../src/lib/oci/client.js'
import {pushImageLayout} from '../../src/lib/oci/image-transfer.js'
import {linuxPlatform} from '../../src/lib/oci/platform.js'
import {type RecordingProxy, startRecordingProxy, useTestRegistry} from '../helpers/registry.js'
import {randomContent, writeTestImage} from '../unit/oci/helpers.js'
import {expectTwoliterError, recordingLogger, temporaryDirectories} from '../unit/project/helpers.js'

const MANIFEST = /\/manifests\//
const BLOB = /\/blobs\/sha256:/

describe('OCI registry client retries (fault-injecting proxy in front of a real docker-registry)', function () {
  this.timeout(60_000)
  const registry = useTestRegistry()
  const directories = temporaryDirectories()
  let proxy: RecordingProxy
  let image: string
  const clients: RegistryClient[] = []
  const client = (options: RegistryClientOptions = {}): RegistryClient => {
    const created = new RegistryClient({env: {}, retry: {maxAttempts: 4, baseDelayMs: 10, maxDelayMs: 40, maxTotalMs: 10_000}, ...options})
    clients.push(created)
    return created
  }

  const count = (method: string, pattern: RegExp): number => proxy.requests.filter((request) => request.method === method && pattern.test(request.path)).length

  before(async () => {
    const dir = await directories.create()
    await writeTestImage(dir, linuxPlatform('x86_64'), [randomContent(50_000)])
    image = `${registry().host}/retry/image:v1`
    await pushImageLayout(new RegistryClient({env: {}}), dir, image)
  })
  beforeEach(async () => {
    proxy = await startRecordingProxy(registry().host)
    image = `${proxy.host}/retry/image:v1`
  })
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((created) => created.close()))
    await proxy.close()
  })

  it('retries server errors and succeeds when the registry recovers', async () => {
    proxy.inject({method: 'GET', path: MANIFEST, fault: {status: 503}, times: 2})
    const {logger, lines} = recordingLogger()
    await client({logger}).getManifest(image)
    expect(proxy.requests.map(({method, status}) => `${method} ${status}`)).to.deep.equal(['GET 503', 'GET 503', 'GET 200'])
    expect(lines.filter((line) => line.includes('answered 503; trying again'))).to.have.length(2)
  })

  it('waits as long as Retry-After says on 429', async () => {
    proxy.inject({method: 'GET', path: MANIFEST, fault: {status: 429, retryAfter: '1'}, times: 1})
    const started = Date.now()
    await client().getManifest(image)
    expect(Date.now() - started).to.be.at.least(1000)
    expect(count('GET', MANIFEST)).to.equal(2)
  })

  it('gives up at once when Retry-After asks for longer than the time it may spend', async () => {
    proxy.inject({method: 'GET', path: MANIFEST, fault: {status: 429, retryAfter: '120'}, times: 1})
    const error = await expectTwoliterError(client().getManifest(image), 'oci.rate-limited')
    expect(error.message).to.include('TOOMANYREQUESTS').and.include('longer than 10 s')
    expect(count('GET', MANIFEST)).to.equal(1)
  })

  it('stops after the attempts allowed, saying so', async () => {
    proxy.inject({method: 'GET', path: MANIFEST, fault: {status: 500}, times: 100})
    const error = await expectTwoliterError(client().getManifest(image), 'oci.server-error')
    expect(error.message).to.include('4 attempts failed')
    expect(count('GET', MANIFEST)).to.equal(4)
  })

  it('does not retry what will not change: a 404, a 501', async () => {
    await expectTwoliterError(client().getManifest(`${proxy.host}/retry/image:v404`), 'oci.manifest-unknown')
    expect(count('GET', MANIFEST)).to.equal(1)
    proxy.inject({method: 'GET', path: MANIFEST, fault: {status: 501}, times: 1})
    await expectTwoliterError(client().getManifest(image), 'oci.server-error')
    expect(count('GET', MANIFEST)).to.equal(2)
  })

  it('retries a reset connection, for reads and for every step of an upload', async () => {
    proxy.inject({method: 'GET', path: MANIFEST, fault: {reset: true}, times: 1})
    await client().getManifest(image)
    expect(count('GET', MANIFEST)).to.equal(2)

    const dir = await directories.create()
    const content = randomContent(2.5 * 1024 * 1024)
    await writeFile(path.join(dir, 'blob'), content)
    const blob = await blobFromFile(path.join(dir, 'blob'))
    proxy.inject({method: 'HEAD', path: BLOB, fault: {reset: true}, times: 1})
    proxy.inject({method: 'POST', path: /uploads/, fault: {status: 502}, times: 1})
    proxy.inject({method: 'PATCH', path: /uploads/, fault: {reset: true}, times: 2})
    proxy.inject({method: 'PUT', path: /uploads/, fault: {status: 503}, times: 1})
    const chunked = client({monolithicUploadLimit: 1024 * 1024, uploadChunkSize: 1024 * 1024})
    expect(await chunked.pushBlob(`${proxy.host}/retry/upload`, blob)).to.equal('uploaded')
    const upload = proxy.requests.filter((request) => request.path.startsWith('/v2/retry/upload/'))
    expect(upload.map(({method, status}) => `${method} ${status}`)).to.deep.equal([
      'HEAD 0', 'HEAD 404', 'POST 502', 'POST 202', 'PATCH 0', 'PATCH 0', 'PATCH 202', 'PATCH 202', 'PATCH 202', 'PUT 503', 'PUT 201',
    ])
    expect((await client().getBlob(`${proxy.host}/retry/upload`, blob.digest)).equals(content)).to.equal(true)
  })

  it('starts a blob download again when the connection breaks off in the middle', async () => {
    const content = randomContent(300_000)
    const blob = blobFromBytes(content)
    await client().pushBlob(`${proxy.host}/retry/download`, blob)
    proxy.inject({method: 'GET', path: BLOB, fault: {cutAfterBytes: 100_000}, times: 2})
    const file = path.join(await directories.create(), 'blob')
    expect(await client().getBlobToFile(`${proxy.host}/retry/download`, blob.digest, file)).to.equal(content.length)
    expect((await readFile(file)).equals(content)).to.equal(true)
    expect(count('GET', BLOB)).to.equal(3)
  })

  it('gives up on a download that keeps breaking off, keeping nothing', async () => {
    const blob = blobFromBytes(randomContent(300_000))
    await client().pushBlob(`${proxy.host}/retry/download`, blob)
    proxy.inject({method: 'GET', path: BLOB, fault: {cutAfterBytes: 1000}, times: 100})
    const dir = await directories.create()
    const error = await expectTwoliterError(client().getBlobToFile(`${proxy.host}/retry/download`, blob.digest, path.join(dir, 'blob')), 'oci.network')
    expect(error.message).to.include(blob.digest).and.include('4 attempts failed')
    expect(count('GET', BLOB)).to.equal(4)
    expect(await readdir(dir)).to.deep.equal([])
  })
})
