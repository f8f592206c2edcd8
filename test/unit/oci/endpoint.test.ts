import {expect} from 'chai'

import {insecureRegistriesFromEnv, isLoopbackHost, registryBaseUrl, usesPlainHttp} from '../../../src/lib/oci/endpoint.js'

describe('registry endpoints', () => {
  it('treats loopback hosts as plain HTTP', () => {
    for (const host of ['localhost', 'registry.localhost', '127.0.0.1', '127.1.2.3', '::1', '[::1]']) expect(isLoopbackHost(host), host).to.equal(true)
    for (const host of ['192.0.2.1', 'public.ecr.aws', '::2', 'localhost.example', '128.0.0.1']) expect(isLoopbackHost(host), host).to.equal(false)
    expect(usesPlainHttp('127.0.0.1:5000', [])).to.equal(true)
    expect(usesPlainHttp('[::1]:5000', [])).to.equal(true)
    expect(usesPlainHttp('localhost', [])).to.equal(true)
  })

  it('uses HTTPS elsewhere unless the registry is declared insecure, with or without its port', () => {
    expect(usesPlainHttp('registry.lan:5000', [])).to.equal(false)
    expect(usesPlainHttp('registry.lan:5000', ['registry.lan:5000'])).to.equal(true)
    expect(usesPlainHttp('registry.lan:5000', ['registry.lan'])).to.equal(true)
    expect(usesPlainHttp('registry.lan:5000', ['registry.lan:5001'])).to.equal(false)
    expect(usesPlainHttp('registry.lan', ['registry.lan:5000'])).to.equal(false)
    expect(usesPlainHttp('[fd00::1]:5000', ['[fd00::1]'])).to.equal(true)
  })

  it('reads TWOLITER_INSECURE_REGISTRIES separated by commas or spaces', () => {
    expect(insecureRegistriesFromEnv({TWOLITER_INSECURE_REGISTRIES: 'a.lan:5000, b.lan  c.lan,,'})).to.deep.equal(['a.lan:5000', 'b.lan', 'c.lan'])
    expect(insecureRegistriesFromEnv({})).to.deep.equal([])
  })

  it('builds the API base URL, with Docker Hub at its API host', () => {
    expect(registryBaseUrl('127.0.0.1:5000', []).href).to.equal('http://127.0.0.1:5000/')
    expect(registryBaseUrl('public.ecr.aws', []).href).to.equal('https://public.ecr.aws/')
    expect(registryBaseUrl('docker.io', []).href).to.equal('https://registry-1.docker.io/')
    expect(registryBaseUrl('[::1]:5000', []).href).to.equal('http://[::1]:5000/')
  })
})
