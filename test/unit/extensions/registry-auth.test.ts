import {expect} from 'chai'

import {registryCredentialProvider} from '../../../src/lib/extensions/index.js'
import {Logger} from '../../../src/lib/ui/logger.js'
import {type PluginDouble, hookRunner} from './hook-runner-double.js'

/** A plugin whose registry-auth provider answers with `answer(host)`, counting the questions. */
function authPlugin(name: string, answer: (host: string) => unknown, options: {type?: string; apiVersion?: string} = {}): PluginDouble & {asked: string[]} {
  const asked: string[] = []
  return {
    name,
    type: options.type,
    asked,
    hooks: {
      'twoliter:registry-auth': () => ({
        apiVersion: options.apiVersion ?? '1.0.0',
        provide: async (host: string) => {
          asked.push(host)
          return answer(host)
        },
      }),
    },
  }
}

describe('registryCredentialProvider', () => {
  let logger: Logger
  beforeEach(() => {
    logger = new Logger('off')
  })

  it('asks the providers in turn, bundled first, and takes the first answer', async () => {
    const user = authPlugin('acme-auth', (host) => (host === 'a.example.com' ? {username: 'acme', password: 'secret'} : undefined))
    const bundled = authPlugin('@twoliter/ecr', (host) => (host.endsWith('.amazonaws.com') ? {token: 'ecr-token'} : undefined), {type: 'core'})
    const provide = registryCredentialProvider(hookRunner([user, bundled]), {logger, timeoutMs: 100})
    expect(await provide('a.example.com')).to.deep.equal({username: 'acme', password: 'secret'})
    expect(await provide('1.dkr.ecr.us-west-2.amazonaws.com')).to.deep.equal({token: 'ecr-token'})
    expect(await provide('docker.io')).to.equal(undefined)
    expect(bundled.asked).to.deep.equal(['a.example.com', '1.dkr.ecr.us-west-2.amazonaws.com', 'docker.io'])
    expect(user.asked).to.deep.equal(['a.example.com', 'docker.io'])
    expect(logger.warnings).to.deep.equal([])
  })

  it('runs the hooks once and asks about each host once per command', async () => {
    const plugin = authPlugin('p', () => ({token: 't'}))
    const config = hookRunner([plugin])
    const provide = registryCredentialProvider(config, {logger, timeoutMs: 100})
    await Promise.all([provide('r.example.com'), provide('r.example.com'), provide('s.example.com')])
    await provide('r.example.com')
    expect(config.calls).to.have.length(1)
    expect(plugin.asked).to.deep.equal(['r.example.com', 's.example.com'])
  })

  it('skips a provider that throws, hangs or answers nonsense, with one warning, and asks the next', async () => {
    const config = hookRunner([
      authPlugin('a-throws', () => {
        throw new Error('vault is sealed')
      }),
      authPlugin('b-hangs', () => new Promise(() => {})),
      authPlugin('c-nonsense', () => ({user: 'x', pass: 'y'})),
      authPlugin('d-fine', () => ({username: 'u', password: 'p', extra: 'dropped'})),
    ])
    const provide = registryCredentialProvider(config, {logger, timeoutMs: 30})
    expect(await provide('r.example.com')).to.deep.equal({username: 'u', password: 'p'})
    expect(logger.warnings).to.deep.equal([
      'plugin a-throws: its registry-auth provider, asked about r.example.com, failed: vault is sealed',
      'plugin b-hangs: its registry-auth provider, asked about r.example.com, did not finish within 30 ms (TWOLITER_HOOK_TIMEOUT_MS); going on without it',
      'plugin c-nonsense: its registry-auth provider answered for r.example.com with neither {username, password} nor {token}; ignoring the answer',
    ])
  })

  it('never calls a provider of another major version', async () => {
    const future = authPlugin('future', () => ({token: 'v2'}), {apiVersion: '2.0.0'})
    const provide = registryCredentialProvider(hookRunner([future]), {logger, timeoutMs: 100})
    expect(await provide('r.example.com')).to.equal(undefined)
    expect(future.asked).to.deep.equal([])
    expect(logger.warnings).to.have.length(1)
    expect(logger.warnings[0]).to.match(/^plugin future: its registry-auth provider is ignored: it implements version 2\.0\.0/)
  })
})
