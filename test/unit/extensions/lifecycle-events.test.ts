import type {TwoliterContext} from '@twoliter/plugin-api'
import {expect} from 'chai'

import type {BuildStep, StepIO} from '../../../src/lib/build/lifecycle.js'
import {emitLifecycle, hookContext, pluginLifecycle} from '../../../src/lib/extensions/index.js'
import {Logger} from '../../../src/lib/ui/logger.js'
import {hookRunner} from './hook-runner-double.js'

const STEP: BuildStep = {kind: 'package', name: 'pkg-a', arch: 'x86_64', projectRoot: '/p', outputDir: '/p/build/rpms/pkg-a'}

describe('lifecycle events', () => {
  let logger: Logger
  let context: TwoliterContext
  let lines: string[]
  let io: StepIO

  beforeEach(() => {
    logger = new Logger('off')
    context = hookContext({logger, projectRoot: '/p'})
    lines = []
    io = {signal: new AbortController().signal, onLine: (line) => lines.push(line)}
  })

  it('pluginLifecycle emits twoliter:pre-build and twoliter:post-build with the step, its outputs and the context', async () => {
    const seen: Array<Record<string, unknown>> = []
    const record = (options: Record<string, unknown>) => {
      seen.push(options)
    }

    const config = hookRunner([{name: 'p', hooks: {'twoliter:pre-build': record, 'twoliter:post-build': record}}])
    const lifecycle = pluginLifecycle(config, {logger, context, sdkImage: 'sdk:v1', timeoutMs: 1000})
    await lifecycle.beforeBuild(STEP, io)
    await lifecycle.afterBuild({...STEP, outputs: ['/p/build/rpms/pkg-a/a.rpm']}, io)

    expect(config.calls.map((c) => [c.event, c.timeout, c.captureErrors])).to.deep.equal([
      ['twoliter:pre-build', 1000, true],
      ['twoliter:post-build', 1000, true],
    ])
    const [pre, post] = seen
    const fields = {apiVersion: '1.0.0', kind: 'package', name: 'pkg-a', arch: 'x86_64', projectRoot: '/p', outputDir: '/p/build/rpms/pkg-a', sdkImage: 'sdk:v1', signal: io.signal}
    expect(pre).to.include(fields)
    expect(pre).not.to.have.property('outputs')
    expect(pre.twoliter).to.equal(context)
    expect(post).to.include(fields)
    expect(post.outputs).to.deep.equal(['/p/build/rpms/pkg-a/a.rpm'])

    ;(pre.log as (line: string) => void)('scanned pkg-a')
    expect(lines).to.deep.equal(['scanned pkg-a'])
  })

  it('a plugin whose lifecycle hook fails or hangs does not fail the step: one warning each', async () => {
    const config = hookRunner([
      {name: 'fails', hooks: {'twoliter:post-build': () => Promise.reject(new Error('upload refused'))}},
      {name: 'hangs', hooks: {'twoliter:pre-build': () => new Promise(() => {})}},
    ])
    const lifecycle = pluginLifecycle(config, {logger, context, sdkImage: 'sdk:v1', timeoutMs: 30})
    await lifecycle.beforeBuild(STEP, io)
    await lifecycle.afterBuild({...STEP, outputs: []}, io)
    expect(logger.warnings).to.deep.equal([
      'plugin hangs: its twoliter:pre-build hook did not finish within 30 ms (TWOLITER_HOOK_TIMEOUT_MS); going on without it',
      'plugin fails: its twoliter:post-build hook failed: upload refused',
    ])
  })

  it('emitLifecycle adds the payload version and the context to what the caller says about a publish step', async () => {
    let received: Record<string, unknown> | undefined
    const config = hookRunner([{name: 'p', hooks: {'twoliter:post-publish': (options) => void (received = options)}}])
    const payload = {kind: 'kit', name: 'my-kit', arch: 'aarch64', projectRoot: '/p', outputDir: '/p/build/kits/my-kit', outputs: ['/p/build/kits/my-kit/a.tar'], published: ['r/my-kit@sha256:00'], signal: io.signal, log: io.onLine} as const
    await emitLifecycle(config, 'twoliter:post-publish', {...payload, outputs: [...payload.outputs], published: [...payload.published]}, {context, logger, timeoutMs: 100})
    expect(received).to.deep.include({...payload, apiVersion: '1.0.0', twoliter: context})
  })
})
