import {expect} from 'chai'

import {TwoliterError} from '../../../src/lib/errors.js'
import {DEFAULT_CAPABILITY_TIMEOUT_MS, DEFAULT_LIFECYCLE_TIMEOUT_MS, apiVersionProblem, hookContext, hookTimeoutMs} from '../../../src/lib/extensions/index.js'
import {Logger} from '../../../src/lib/ui/logger.js'

describe('hook timeouts', () => {
  it('default by kind of hook, and TWOLITER_HOOK_TIMEOUT_MS sets them all', () => {
    expect(hookTimeoutMs('capability', {})).to.equal(DEFAULT_CAPABILITY_TIMEOUT_MS)
    expect(hookTimeoutMs('lifecycle', {TWOLITER_HOOK_TIMEOUT_MS: ''})).to.equal(DEFAULT_LIFECYCLE_TIMEOUT_MS)
    expect(hookTimeoutMs('capability', {TWOLITER_HOOK_TIMEOUT_MS: '1500'})).to.equal(1500)
    expect(hookTimeoutMs('lifecycle', {TWOLITER_HOOK_TIMEOUT_MS: '1500'})).to.equal(1500)
  })

  for (const value of ['0', '-5', '1.5', '10s', 'abc', '99999999999999999999']) {
    it(`refuses TWOLITER_HOOK_TIMEOUT_MS=${value} as a usage error`, () => {
      let thrown: unknown
      try {
        hookTimeoutMs('capability', {TWOLITER_HOOK_TIMEOUT_MS: value})
      } catch (error) {
        thrown = error
      }

      expect(thrown).to.be.instanceOf(TwoliterError)
      expect((thrown as TwoliterError).exitCode).to.equal(2)
      expect((thrown as TwoliterError).message).to.include(JSON.stringify(value))
    })
  }
})

describe('apiVersionProblem', () => {
  it('accepts any version of the supported major, older or newer minor', () => {
    for (const version of ['1.0.0', '1.0.1', '1.7.0', '1.2.0-beta.1']) expect(apiVersionProblem(version, '1.3.0'), version).to.equal(undefined)
  })

  it('says why it refuses another major, a non-semver or a missing version', () => {
    expect(apiVersionProblem('2.0.0', '1.3.0')).to.equal('it implements version 2.0.0 of the interface and this twoliter supports 1.x')
    expect(apiVersionProblem('0.9.0', '1.0.0')).to.equal('it implements version 0.9.0 of the interface and this twoliter supports 1.x')
    expect(apiVersionProblem('1', '1.0.0')).to.equal('its apiVersion "1" is not a semantic version')
    expect(apiVersionProblem(1, '1.0.0')).to.equal('it has no apiVersion')
    expect(apiVersionProblem(undefined, '1.0.0')).to.equal('it has no apiVersion')
  })
})

describe('hookContext', () => {
  it('lends the logger (warnings land in the command\'s), the project root, and the interface version', () => {
    const logger = new Logger('off')
    const context = hookContext({logger, projectRoot: '/p'})
    context.logger.warn('from a plugin')
    expect(logger.warnings).to.deep.equal(['from a plugin'])
    expect(context).to.include({apiVersion: '1.0.0', projectRoot: '/p'})
    expect(hookContext({logger})).not.to.have.property('projectRoot')
  })

  it('connects to the engine only when a plugin first runs a container', async () => {
    const saved = process.env.DOCKER_HOST
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:1'
    try {
      const context = hookContext({logger: new Logger('off')})
      const run = await context.engine.run({image: 'x', cmd: ['true']}).then(
        () => undefined,
        (error: unknown) => error,
      )
      expect(run).to.be.instanceOf(TwoliterError)
      expect((run as TwoliterError).message).to.include('127.0.0.1:1')
    } finally {
      if (saved === undefined) delete process.env.DOCKER_HOST
      else process.env.DOCKER_HOST = saved
    }
  })
})
