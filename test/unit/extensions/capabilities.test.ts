import type {RegistryAuthProvider, Signer, TwoliterContext} from '@twoliter/plugin-api'
import {expect} from 'chai'

import {callCapability, hookContext} from '../../../src/lib/extensions/index.js'
import {Logger} from '../../../src/lib/ui/logger.js'
import {hookRunner, sleep} from './hook-runner-double.js'

function provider(apiVersion = '1.0.0'): RegistryAuthProvider {
  return {apiVersion, provide: async () => undefined} as RegistryAuthProvider
}

function signer(id: string, apiVersion = '1.0.0'): Signer {
  const unused = async (): Promise<never> => {
    throw new Error('not called in these tests')
  }

  return {
    apiVersion,
    id,
    describe: () => ({summary: id, supports: {rpms: true, images: true}, keyFormats: []}),
    signRpms: unused,
    signImage: unused,
    verifyImage: unused,
  } as Signer
}

describe('callCapability', () => {
  let logger: Logger
  let context: TwoliterContext
  const call = () => ({timeoutMs: 200, logger})

  beforeEach(() => {
    logger = new Logger('off')
    context = hookContext({logger})
  })

  it('collects the descriptors of every plugin, whether a hook returns one, several or none', async () => {
    const [a, b, c] = [provider(), provider('1.4.2'), provider()]
    const config = hookRunner([
      {name: 'one', hooks: {'twoliter:registry-auth': () => a}},
      {name: 'several', hooks: {'twoliter:registry-auth': async () => [b, c]}},
      {name: 'none', hooks: {'twoliter:registry-auth': () => undefined}},
      {name: 'other-event-only', hooks: {'twoliter:signers': () => [signer('gpg')]}},
    ])
    const provided = await callCapability(config, 'twoliter:registry-auth', {twoliter: context}, call())
    expect(provided).to.deep.equal([
      {plugin: 'one', descriptor: a},
      {plugin: 'several', descriptor: b},
      {plugin: 'several', descriptor: c},
    ])
    expect(logger.warnings).to.deep.equal([])
  })

  it('runs the hooks with the timeout and captureErrors, and hands them the context', async () => {
    let received: Record<string, unknown> | undefined
    const config = hookRunner([{name: 'p', hooks: {'twoliter:signers': (options) => void (received = options)}}])
    await callCapability(config, 'twoliter:signers', {twoliter: context}, {timeoutMs: 1234, logger})
    expect(config.calls).to.have.length(1)
    expect(config.calls[0]).to.include({event: 'twoliter:signers', timeout: 1234, captureErrors: true})
    expect(received?.twoliter).to.equal(context)
  })

  it('puts twoliter and bundled plugins first, then installed and linked ones, whatever order they answer in', async () => {
    const config = hookRunner([
      {name: 'a-linked', type: 'link', hooks: {'twoliter:signers': () => signer('a')}},
      {name: 'b-user', type: 'user', hooks: {'twoliter:signers': () => signer('b')}},
      {name: 'z-core', type: 'core', hooks: {'twoliter:signers': async () => (await sleep(30), signer('c'))}},
      {name: 'c-core', type: 'core', hooks: {'twoliter:signers': async () => (await sleep(10), signer('d'))}},
    ])
    const provided = await callCapability(config, 'twoliter:signers', {twoliter: context}, call())
    expect(provided.map((p) => p.plugin)).to.deep.equal(['c-core', 'z-core', 'b-user', 'a-linked'])
  })

  it('ignores a descriptor of another major version with one warning naming the plugin, and keeps the others', async () => {
    const good = provider('1.0.0')
    const config = hookRunner([
      {name: 'future', hooks: {'twoliter:registry-auth': () => provider('2.0.0')}},
      {name: 'past', hooks: {'twoliter:registry-auth': () => provider('0.9.0')}},
      {name: 'fine', hooks: {'twoliter:registry-auth': () => good}},
    ])
    const provided = await callCapability(config, 'twoliter:registry-auth', {twoliter: context}, call())
    expect(provided).to.deep.equal([{plugin: 'fine', descriptor: good}])
    expect(logger.warnings).to.deep.equal([
      'plugin future: its registry-auth provider is ignored: it implements version 2.0.0 of the interface and this twoliter supports 1.x (update the plugin, or twoliter)',
      'plugin past: its registry-auth provider is ignored: it implements version 0.9.0 of the interface and this twoliter supports 1.x (update the plugin, or twoliter)',
    ])
  })

  it('ignores descriptors that are not what the interface says, one warning each', async () => {
    const {signRpms: _, ...noSignRpms} = signer('half')
    const config = hookRunner([
      {name: 'no-version', hooks: {'twoliter:signers': () => ({...signer('x'), apiVersion: undefined})}},
      {name: 'bad-version', hooks: {'twoliter:signers': () => signer('x', 'v1')}},
      {name: 'not-an-object', hooks: {'twoliter:signers': () => ['gpg']}},
      {name: 'missing-method', hooks: {'twoliter:signers': () => noSignRpms}},
      {name: 'bad-id', hooks: {'twoliter:signers': () => signer('Not An Id')}},
    ])
    expect(await callCapability(config, 'twoliter:signers', {twoliter: context}, call())).to.deep.equal([])
    expect(logger.warnings).to.deep.equal([
      'plugin bad-id: its signer "Not An Id" is ignored: its id "Not An Id" is not lowercase letters, digits and -',
      'plugin bad-version: its signer "x" is ignored: its apiVersion "v1" is not a semantic version (update the plugin, or twoliter)',
      'plugin missing-method: its signer "half" is ignored: it has no signRpms function',
      'plugin no-version: its signer "x" is ignored: it has no apiVersion (update the plugin, or twoliter)',
      'plugin not-an-object: its hook returned the string "gpg" where a signer was expected; ignoring it',
    ])
  })

  it('keeps the first signer of an id (the bundled one) and warns about the duplicate', async () => {
    const bundled = signer('cosign')
    const config = hookRunner([
      {name: 'acme-signing', type: 'user', hooks: {'twoliter:signers': () => [signer('cosign'), signer('acme')]}},
      {name: '@twoliter/signing', type: 'core', hooks: {'twoliter:signers': async () => (await sleep(20), [bundled])}},
    ])
    const provided = await callCapability(config, 'twoliter:signers', {twoliter: context}, call())
    expect(provided.map((p) => [p.plugin, p.descriptor.id])).to.deep.equal([
      ['@twoliter/signing', 'cosign'],
      ['acme-signing', 'acme'],
    ])
    expect(provided[0].descriptor).to.equal(bundled)
    expect(logger.warnings).to.deep.equal(['plugin acme-signing: its signer "cosign" is ignored: plugin @twoliter/signing provides one with the same id'])
  })

  it('uses a descriptor returned twice (by two hooks of one plugin) once, without a warning', async () => {
    const shared = provider()
    const config = hookRunner([{name: 'twice', hooks: {'twoliter:registry-auth': [() => shared, () => [shared]]}}])
    expect(await callCapability(config, 'twoliter:registry-auth', {twoliter: context}, call())).to.have.length(1)
    expect(logger.warnings).to.deep.equal([])
  })

  it('turns a hook that throws, or hangs past the timeout, into one warning naming the plugin', async () => {
    const good = provider()
    const config = hookRunner([
      {name: 'throws', hooks: {'twoliter:registry-auth': () => {
        throw new Error('vault is sealed\n  try again later')
      }}},
      {name: 'hangs', hooks: {'twoliter:registry-auth': () => new Promise(() => {})}},
      {name: 'fine', hooks: {'twoliter:registry-auth': () => good}},
    ])
    const provided = await callCapability(config, 'twoliter:registry-auth', {twoliter: context}, {timeoutMs: 50, logger})
    expect(provided).to.deep.equal([{plugin: 'fine', descriptor: good}])
    expect(logger.warnings).to.deep.equal([
      'plugin hangs: its twoliter:registry-auth hook did not finish within 50 ms (TWOLITER_HOOK_TIMEOUT_MS); going on without it',
      'plugin throws: its twoliter:registry-auth hook failed: vault is sealed try again later',
    ])
  })

  it('warns once and provides nothing when oclif cannot run the hooks at all', async () => {
    const config = {runHook: async () => Promise.reject(new Error('the plugin list is corrupt'))}
    expect(await callCapability(config, 'twoliter:signers', {twoliter: context}, call())).to.deep.equal([])
    expect(logger.warnings).to.deep.equal(["the plugins' twoliter:signers hooks could not run: the plugin list is corrupt"])
  })
})
