import {expect} from 'chai'
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {getFromCredentialHelper} from '../../../src/lib/oci/credential-helper.js'
import {resolveCredentials} from '../../../src/lib/oci/credentials.js'
import {dockerConfigCredentials, dockerConfigPath} from '../../../src/lib/oci/docker-config.js'
import {expectTwoliterError, recordingLogger, temporaryDirectories} from '../project/helpers.js'
import {writeCredentialHelper} from './helpers.js'

const base64 = (text: string): string => Buffer.from(text).toString('base64')
const HOST = 'registry.example:5000'

describe('registry credentials', () => {
  const directories = temporaryDirectories()

  /** An environment whose docker config.json holds `config` and whose PATH starts with a directory for helpers. */
  async function environment(config: object | string): Promise<{env: NodeJS.ProcessEnv; bin: string; configFile: string}> {
    const dir = await directories.create({'docker/config.json': typeof config === 'string' ? config : JSON.stringify(config)})
    const bin = await directories.create()
    return {env: {DOCKER_CONFIG: path.join(dir, 'docker'), PATH: `${bin}:${process.env.PATH}`}, bin, configFile: path.join(dir, 'docker', 'config.json')}
  }

  describe('docker config.json', () => {
    it('is $DOCKER_CONFIG/config.json, else ~/.docker/config.json', () => {
      expect(dockerConfigPath({DOCKER_CONFIG: '/etc/docker-config', HOME: '/home/u'})).to.equal('/etc/docker-config/config.json')
      expect(dockerConfigPath({HOME: '/home/u'})).to.equal('/home/u/.docker/config.json')
    })

    it('reads the base64 user:password of auths.<host>, a password may hold colons', async () => {
      const {env, configFile} = await environment({auths: {[HOST]: {auth: base64('builder:pa:ss')}}})
      expect(await dockerConfigCredentials(HOST, env)).to.deep.equal({credentials: {username: 'builder', password: 'pa:ss'}, source: configFile})
      expect(await dockerConfigCredentials('other.example', env)).to.equal(undefined)
    })

    it('reads username and password, identity tokens and registry tokens', async () => {
      const {env} = await environment({
        auths: {
          'a.example': {username: 'u', password: 'p'},
          'b.example': {identitytoken: 'refresh'},
          'c.example': {registrytoken: 'bearer'},
          'd.example': {},
        },
      })
      expect((await dockerConfigCredentials('a.example', env))?.credentials).to.deep.equal({username: 'u', password: 'p'})
      expect((await dockerConfigCredentials('b.example', env))?.credentials).to.deep.equal({identityToken: 'refresh'})
      expect((await dockerConfigCredentials('c.example', env))?.credentials).to.deep.equal({token: 'bearer'})
      expect(await dockerConfigCredentials('d.example', env)).to.equal(undefined)
    })

    it('matches keys written as URLs, and Docker Hub under its v1 index URL', async () => {
      const {env} = await environment({auths: {'https://registry.example:5000/v1/': {auth: base64('u:p')}, 'https://index.docker.io/v1/': {auth: base64('hub:secret')}}})
      expect((await dockerConfigCredentials(HOST, env))?.credentials).to.deep.equal({username: 'u', password: 'p'})
      expect((await dockerConfigCredentials('docker.io', env))?.credentials).to.deep.equal({username: 'hub', password: 'secret'})
    })

    it('is optional', async () => {
      const dir = await directories.create()
      expect(await dockerConfigCredentials(HOST, {DOCKER_CONFIG: dir})).to.equal(undefined)
    })

    it('points at the file when it is not JSON, or an auth entry is not user:password', async () => {
      const broken = await environment('{"auths": ')
      const error = await expectTwoliterError(dockerConfigCredentials(HOST, broken.env), 'oci.docker-config')
      expect(error.location?.file).to.equal(broken.configFile)
      const malformed = await environment({auths: {[HOST]: {auth: base64('no-colon')}}})
      const entryError = await expectTwoliterError(dockerConfigCredentials(HOST, malformed.env), 'oci.docker-config')
      expect(entryError.hint).to.include(`docker login ${HOST}`)
      expect(entryError.message).to.not.include('no-colon')
    })
  })

  describe('credential helpers (real programs on PATH)', () => {
    it('runs credHelpers.<host> with the host on stdin', async () => {
      const {env, bin} = await environment({credHelpers: {[HOST]: 'twoliter-test'}, auths: {[HOST]: {auth: base64('stale:entry')}}})
      await writeCredentialHelper(bin, 'twoliter-test', {[HOST]: {Username: 'helper-user', Secret: 'helper-secret'}})
      const resolved = await dockerConfigCredentials(HOST, env)
      expect(resolved?.credentials).to.deep.equal({username: 'helper-user', password: 'helper-secret'})
      expect(resolved?.source).to.include('docker-credential-twoliter-test')
      expect(await readFile(path.join(bin, 'twoliter-test.log'), 'utf8')).to.equal(`${HOST}\n`)
    })

    it('runs credsStore for every host, and falls back to auths when it has nothing', async () => {
      const {env, bin, configFile} = await environment({credsStore: 'twoliter-store', auths: {'fallback.example': {auth: base64('file:user')}}})
      await writeCredentialHelper(bin, 'twoliter-store', {[HOST]: {Username: 'store-user', Secret: 'store-secret'}})
      expect((await dockerConfigCredentials(HOST, env))?.credentials).to.deep.equal({username: 'store-user', password: 'store-secret'})
      expect(await dockerConfigCredentials('fallback.example', env)).to.deep.equal({credentials: {username: 'file', password: 'user'}, source: configFile})
      expect(await dockerConfigCredentials('unknown.example', env)).to.equal(undefined)
    })

    it('takes a <token> username as an identity token', async () => {
      const {bin, env} = await environment({})
      await writeCredentialHelper(bin, 'twoliter-token', {[HOST]: {Username: '<token>', Secret: 'refresh-token'}})
      expect(await getFromCredentialHelper('twoliter-token', HOST, env)).to.deep.equal({identityToken: 'refresh-token'})
    })

    it('says which helper is missing from PATH', async () => {
      const {env} = await environment({credHelpers: {[HOST]: 'not-installed'}})
      const error = await expectTwoliterError(dockerConfigCredentials(HOST, env), 'oci.credential-helper')
      expect(error.message).to.include('docker-credential-not-installed is not on PATH')
    })

    it('reports a failing helper without showing what it printed on stdout', async () => {
      const {bin, env} = await environment({})
      await writeCredentialHelper(bin, 'twoliter-broken', {[HOST]: {Username: 'leaked-user', Secret: 'leaked-secret'}}, 3)
      const error = await expectTwoliterError(getFromCredentialHelper('twoliter-broken', HOST, env), 'oci.credential-helper')
      expect(error.message).to.include('exit code 3').and.not.include('leaked-secret')
    })
  })

  describe('resolution order', () => {
    it('asks the provider first and docker config.json when it has nothing, logging sources only', async () => {
      const {env} = await environment({auths: {[HOST]: {auth: base64('file-user:file-secret')}, 'other.example': {auth: base64('o:o-secret')}}})
      const {logger, lines} = recordingLogger()
      const provider = async (host: string) => (host === HOST ? {username: 'plugin-user', password: 'plugin-secret'} : undefined)
      expect(await resolveCredentials(HOST, {provider, env, logger})).to.deep.equal({credentials: {username: 'plugin-user', password: 'plugin-secret'}, source: 'the registry-auth provider'})
      expect((await resolveCredentials('other.example', {provider, env, logger}))?.credentials).to.deep.equal({username: 'o', password: 'o-secret'})
      expect(await resolveCredentials('nobody.example', {provider, env, logger})).to.equal(undefined)
      expect(lines.join('\n')).to.include('registry-auth provider').and.include('anonymously').and.not.match(/secret/)
    })

    it('passes a bearer token from the provider through', async () => {
      const {env} = await environment({})
      const resolved = await resolveCredentials(HOST, {provider: async () => ({token: 'ready-made'}), env, logger: recordingLogger().logger})
      expect(resolved?.credentials).to.deep.equal({token: 'ready-made'})
    })
  })
})
