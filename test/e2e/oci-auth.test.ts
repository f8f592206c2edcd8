import {expect} from 'chai'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {networkInterfaces, tmpdir} from 'node:os'
import path from 'node:path'

import {blobFromBytes} from '../../src/lib/oci/blob-source.js'
import {RegistryClient, type RegistryClientOptions} from '../../src/lib/oci/client.js'
import {pullImage, pushImageLayout} from '../../src/lib/oci/image-transfer.js'
import {linuxPlatform} from '../../src/lib/oci/platform.js'
import {
  selfSignedCertificate,
  startRecordingProxy,
  startTestRegistry,
  startTokenServer,
  TEST_USER,
  type TestRegistry,
  type TokenServer,
  useTestRegistry,
} from '../helpers/registry.js'
import {randomContent, writeCredentialHelper, writeTestImage} from '../unit/oci/helpers.js'
import {expectTwoliterError, recordingLogger, temporaryDirectories} from '../unit/project/helpers.js'

const amd64 = linuxPlatform('x86_64')
const basicAuth = (username: string, password: string): string => Buffer.from(`${username}:${password}`).toString('base64')

/** An IPv4 address of this machine that is not loopback: a registry there is neither loopback nor insecure by default. */
function nonLoopbackAddress(): string | undefined {
  return Object.values(networkInterfaces())
    .flat()
    .find((address) => address !== undefined && address.family === 'IPv4' && !address.internal)?.address
}

describe('OCI registry authentication and transport security (real docker-registry)', function () {
  this.timeout(60_000)
  const directories = temporaryDirectories()
  const clients: RegistryClient[] = []
  const client = (options: RegistryClientOptions = {}): RegistryClient => {
    const created = new RegistryClient({env: {}, ...options})
    clients.push(created)
    return created
  }

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((created) => created.close()))
  })

  async function dockerConfig(config: object): Promise<string> {
    const dir = await directories.create()
    await writeFile(path.join(dir, 'config.json'), JSON.stringify(config))
    return dir
  }

  /** Pushes a small image and pulls it back: the round trip every authenticated client must manage. */
  async function roundTrip(authenticated: RegistryClient, reference: string): Promise<void> {
    const dir = await directories.create()
    const image = await writeTestImage(dir, amd64, [randomContent(2000)])
    await pushImageLayout(authenticated, dir, reference)
    const pulled = await pullImage(authenticated, reference, amd64, await directories.create())
    expect(pulled.manifest.digest).to.equal(image.manifest.digest)
  }

  describe('basic auth (htpasswd)', () => {
    const registry = useTestRegistry({htpasswd: TEST_USER.htpasswd})

    it('says how to log in when the registry wants credentials and has none', async () => {
      const error = await expectTwoliterError(client().getManifest(`${registry().host}/basic/image:v1`), 'oci.unauthorized')
      expect(error.message).to.include('needs credentials')
      expect(error.hint).to.include(`docker login ${registry().host}`)
    })

    it('uses the auths entry of docker config.json, answering the challenge, then authenticating up front', async () => {
      const proxy = await startRecordingProxy(registry().host)
      try {
        const configDir = await dockerConfig({auths: {[proxy.host]: {auth: basicAuth(TEST_USER.username, TEST_USER.password)}}})
        const {logger, lines} = recordingLogger()
        await roundTrip(client({env: {DOCKER_CONFIG: configDir}, logger}), `${proxy.host}/basic/image:v1`)
        const authorization = `Basic ${basicAuth(TEST_USER.username, TEST_USER.password)}`
        const challenged = proxy.requests.filter((request) => request.status === 401)
        // The image's two blobs are pushed concurrently: both may go out before the challenge is known.
        expect(challenged.length).to.be.within(1, 2)
        expect(challenged.every((request) => request.authorization === undefined)).to.equal(true)
        expect(proxy.requests.filter((request) => request.status !== 401).every((request) => request.authorization === authorization)).to.equal(true)
        const manifestPushed = proxy.requests.findIndex((request) => request.method === 'PUT' && request.path.includes('/manifests/'))
        expect(proxy.requests.slice(manifestPushed).every((request) => request.authorization === authorization && request.status !== 401)).to.equal(true)
        expect(lines.join('\n')).to.include(`from ${path.join(configDir, 'config.json')}`).and.not.include(TEST_USER.password).and.not.include(basicAuth(TEST_USER.username, TEST_USER.password))
      } finally {
        await proxy.close()
      }
    })

    it('asks the credential provider before docker config.json', async () => {
      const configDir = await dockerConfig({auths: {[registry().host]: {auth: basicAuth(TEST_USER.username, 'wrong')}}})
      const asked: string[] = []
      const credentialProvider = async (host: string) => {
        asked.push(host)
        return {username: TEST_USER.username, password: TEST_USER.password}
      }

      await roundTrip(client({env: {DOCKER_CONFIG: configDir}, credentialProvider}), `${registry().host}/basic/provided:v1`)
      expect(asked).to.deep.equal([registry().host])
    })

    it('names where rejected credentials came from, never the secret', async () => {
      const configDir = await dockerConfig({auths: {[registry().host]: {auth: basicAuth(TEST_USER.username, 'not-the-password')}}})
      const error = await expectTwoliterError(client({env: {DOCKER_CONFIG: configDir}}).getManifest(`${registry().host}/basic/image:v1`), 'oci.unauthorized')
      expect(error.message).to.include(`did not accept the credentials from ${path.join(configDir, 'config.json')}`).and.not.include('not-the-password')
    })
  })

  describe('token auth (Bearer challenge and a token service)', () => {
    let tokens: TokenServer
    const registry = useTestRegistry(async () => {
      tokens = await startTokenServer({user: TEST_USER, refreshToken: 'twoliter-refresh-token', anonymousPull: true})
      return {token: {realm: tokens.realm, service: tokens.service, issuer: tokens.issuer, rootCertBundle: tokens.certificate}}
    })
    after(async () => tokens?.close())
    beforeEach(() => {
      tokens.requests.length = 0
    })

    it('gets tokens with credentials from a docker credential helper, once per scope', async () => {
      const bin = await directories.create()
      await writeCredentialHelper(bin, 'twoliter-test', {[registry().host]: {Username: TEST_USER.username, Secret: TEST_USER.password}})
      const configDir = await dockerConfig({credHelpers: {[registry().host]: 'twoliter-test'}})
      const authenticated = client({env: {DOCKER_CONFIG: configDir, PATH: `${bin}:${process.env.PATH}`}})
      await roundTrip(authenticated, `${registry().host}/token/image:v1`)
      await authenticated.getManifest(`${registry().host}/token/image:v1`)
      await authenticated.getManifest(`${registry().host}/token/image:v1`)

      expect(tokens.requests.length).to.be.greaterThan(0)
      expect(tokens.requests.every((request) => request.authorization === `Basic ${basicAuth(TEST_USER.username, TEST_USER.password)}`)).to.equal(true)
      expect(tokens.requests.flatMap((request) => request.scopes)).to.include('repository:token/image:pull,push').and.include('repository:token/image:pull')
      const distinctScopes = new Set(tokens.requests.map((request) => request.scopes.join(' ')))
      expect(tokens.requests).to.have.length(distinctScopes.size)
      expect((await readFile(path.join(bin, 'twoliter-test.log'), 'utf8')).trim().split('\n')).to.deep.equal([registry().host])
    })

    it('pulls anonymously where the token service allows it, and refuses anonymous pushes', async () => {
      const bin = await directories.create()
      await writeCredentialHelper(bin, 'twoliter-test', {[registry().host]: {Username: TEST_USER.username, Secret: TEST_USER.password}})
      const configDir = await dockerConfig({credsStore: 'twoliter-test'})
      const dir = await directories.create()
      const image = await writeTestImage(dir, amd64, [randomContent(1000)])
      await pushImageLayout(client({env: {DOCKER_CONFIG: configDir, PATH: `${bin}:${process.env.PATH}`}}), dir, `${registry().host}/token/public:v1`)

      expect((await client().getManifest(`${registry().host}/token/public:v1`)).digest).to.equal(image.manifest.digest)
      const error = await expectTwoliterError(client().pushBlob(`${registry().host}/token/public`, blobFromBytes(randomContent(10))), 'oci.unauthorized')
      expect(error.hint).to.include('docker login')
    })

    it('mounts across repositories with a token scoped to both', async () => {
      const credentialProvider = async () => ({username: TEST_USER.username, password: TEST_USER.password})
      const authenticated = client({credentialProvider})
      const blob = blobFromBytes(randomContent(3000))
      await authenticated.pushBlob(`${registry().host}/token/mount-source`, blob)
      expect(await authenticated.pushBlob(`${registry().host}/token/mount-target`, blob, {mountFrom: 'token/mount-source'})).to.equal('mounted')
      expect(tokens.requests.some((request) => request.scopes.includes('repository:token/mount-source:pull') && request.scopes.includes('repository:token/mount-target:pull,push'))).to.equal(true)
    })

    it('exchanges an identity token from docker config.json with the refresh-token grant', async () => {
      const configDir = await dockerConfig({auths: {[registry().host]: {identitytoken: 'twoliter-refresh-token'}}})
      await roundTrip(client({env: {DOCKER_CONFIG: configDir}}), `${registry().host}/token/identity:v1`)
      expect(tokens.requests.length).to.be.greaterThan(0)
      expect(tokens.requests.every((request) => request.method === 'POST' && request.grantType === 'refresh_token')).to.equal(true)
    })

    it('explains credentials the token service refuses', async () => {
      const credentialProvider = async () => ({username: TEST_USER.username, password: 'wrong'})
      const error = await expectTwoliterError(client({credentialProvider}).getManifest(`${registry().host}/token/image:v1`), 'oci.unauthorized')
      expect(error.message).to.include('the token service').and.include('the registry-auth provider').and.not.include('wrong')
    })
  })

  describe('TLS', () => {
    const address = nonLoopbackAddress()
    let registry: TestRegistry | undefined
    let certificateFile: string

    let certificateDir: string | undefined

    before(async function () {
      if (address === undefined) this.skip()
      certificateDir = await mkdtemp(path.join(tmpdir(), 'twoliter-tls-'))
      const certificate = await selfSignedCertificate(certificateDir, 'twoliter test registry', address)
      certificateFile = path.join(certificateDir, 'ca.pem')
      await writeFile(certificateFile, certificate.certificate)
      registry = await startTestRegistry({address, tls: {certificate: certificate.certificateFile, key: certificate.keyFile}})
    })
    after(async () => {
      await registry?.stop()
      if (certificateDir !== undefined) await rm(certificateDir, {recursive: true, force: true})
    })

    it('speaks HTTPS to a registry off loopback and refuses a certificate it does not trust', async () => {
      const error = await expectTwoliterError(client().getManifest(`${registry!.host}/tls/image:v1`), 'oci.tls')
      expect(error.message).to.include(`https://${registry!.host}`)
      expect(error.hint).to.include('SSL_CERT_FILE')
    })

    it('trusts the extra CA certificate SSL_CERT_FILE names', async () => {
      await roundTrip(client({env: {SSL_CERT_FILE: certificateFile}}), `${registry!.host}/tls/image:v1`)
    })

    it('says so when SSL_CERT_FILE cannot be read', async () => {
      const error = await expectTwoliterError(client({env: {SSL_CERT_FILE: '/nonexistent/ca.pem'}}).getManifest(`${registry!.host}/tls/image:v1`), 'oci.tls')
      expect(error.message).to.include('/nonexistent/ca.pem')
    })
  })

  describe('plain HTTP off loopback', () => {
    const address = nonLoopbackAddress()
    let registry: TestRegistry | undefined

    before(async function () {
      if (address === undefined) this.skip()
      registry = await startTestRegistry({address})
    })
    after(async () => registry?.stop())

    it('uses HTTPS unless the registry is declared insecure, and says how to declare it', async () => {
      const error = await expectTwoliterError(client().getManifest(`${registry!.host}/plain/image:v1`), 'oci.tls')
      expect(error.hint).to.include('TWOLITER_INSECURE_REGISTRIES')
    })

    it('speaks plain HTTP to registries in TWOLITER_INSECURE_REGISTRIES or the insecureRegistries option', async () => {
      await roundTrip(client({env: {TWOLITER_INSECURE_REGISTRIES: `other.example:5000, ${registry!.host}`}}), `${registry!.host}/plain/image:v1`)
      await roundTrip(client({insecureRegistries: [address!]}), `${registry!.host}/plain/image:v2`)
    })
  })
})
