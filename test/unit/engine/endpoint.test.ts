import {expect} from 'chai'
import path from 'node:path'

import {engineEndpoint} from '../../../src/lib/engine/endpoint.js'
import {splitImageRef} from '../../../src/lib/engine/image-ref.js'
import {expectThrownTwoliterError, temporaryDirectories} from '../project/helpers.js'

describe('engineEndpoint', () => {
  const directories = temporaryDirectories()

  it('uses /var/run/docker.sock without DOCKER_HOST', () => {
    expect(engineEndpoint({})).to.deep.equal({address: 'unix:///var/run/docker.sock', options: {socketPath: '/var/run/docker.sock'}})
    expect(engineEndpoint({DOCKER_HOST: ''}).options).to.deep.equal({socketPath: '/var/run/docker.sock'})
  })

  it('takes the socket of a unix:// DOCKER_HOST', () => {
    expect(engineEndpoint({DOCKER_HOST: 'unix:///run/user/1000/docker.sock'})).to.deep.equal({
      address: 'unix:///run/user/1000/docker.sock',
      options: {socketPath: '/run/user/1000/docker.sock'},
    })
  })

  it('takes host and port of a tcp:// DOCKER_HOST, plain HTTP on 2375 by default', () => {
    expect(engineEndpoint({DOCKER_HOST: 'tcp://10.0.0.5:2375'})).to.deep.equal({
      address: 'tcp://10.0.0.5:2375',
      options: {host: '10.0.0.5', port: '2375', protocol: 'http'},
    })
    expect(engineEndpoint({DOCKER_HOST: 'tcp://docker.internal'}).options.port).to.equal('2375')
  })

  it('uses TLS with the certificates of DOCKER_CERT_PATH when DOCKER_TLS_VERIFY=1', async () => {
    const certs = await directories.create({'ca.pem': 'CA', 'cert.pem': 'CERT', 'key.pem': 'KEY'})
    const {address, options} = engineEndpoint({DOCKER_HOST: 'tcp://docker.internal', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs})
    expect(address).to.equal('tcp://docker.internal:2376')
    expect(options.protocol).to.equal('https')
    expect(String(options.ca)).to.equal('CA')
    expect(String(options.cert)).to.equal('CERT')
    expect(String(options.key)).to.equal('KEY')
  })

  it('says which certificate file is missing', async () => {
    const certs = await directories.create({'ca.pem': 'CA'})
    const error = expectThrownTwoliterError(
      () => engineEndpoint({DOCKER_HOST: 'tcp://docker.internal:2376', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs}),
      'engine.tls',
    )
    expect(error.message).to.include(path.join(certs, 'cert.pem'))
  })

  for (const value of ['ssh://me@host', 'npipe:////./pipe/docker_engine', 'localhost:2375', 'tcp://']) {
    it(`refuses DOCKER_HOST=${value} and says which forms work`, () => {
      const error = expectThrownTwoliterError(() => engineEndpoint({DOCKER_HOST: value}), 'engine.docker-host')
      expect(error.message).to.include(value)
      expect(error.hint).to.include('unix:///path/to/docker.sock or tcp://HOST:PORT')
    })
  }
})

describe('splitImageRef', () => {
  it('splits repository and tag, defaulting the tag to latest', () => {
    expect(splitImageRef('twoliter-local-sdk:0123456789ab')).to.deep.equal({repository: 'twoliter-local-sdk', tag: '0123456789ab'})
    expect(splitImageRef('busybox')).to.deep.equal({repository: 'busybox', tag: 'latest'})
  })

  it('does not take a registry port for a tag', () => {
    expect(splitImageRef('127.0.0.1:5000/twoliter-sdk:v0.1.0')).to.deep.equal({repository: '127.0.0.1:5000/twoliter-sdk', tag: 'v0.1.0'})
    expect(splitImageRef('127.0.0.1:5000/twoliter-sdk')).to.deep.equal({repository: '127.0.0.1:5000/twoliter-sdk', tag: 'latest'})
  })
})
