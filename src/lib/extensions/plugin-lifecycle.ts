/** The build lifecycle that tells plugins about each build step: `twoliter:pre-build` and `post-build`. */

import type {TwoliterContext} from '@twoliter/plugin-api'

import type {BuildLifecycle, BuildStep, StepIO} from '../build/lifecycle.js'
import type {Logger} from '../ui/logger.js'
import type {HookRunner} from './hook-runner.js'
import {emitLifecycle} from './lifecycle-events.js'

export interface PluginLifecycleOptions {
  logger: Logger
  context: TwoliterContext
  /** The SDK image the steps build in. */
  sdkImage: string
  timeoutMs: number
}

/** Unlike the project's own hook steps, a plugin's hook that fails only warns: the step goes on. */
export function pluginLifecycle(config: HookRunner, {logger, context, sdkImage, timeoutMs}: PluginLifecycleOptions): BuildLifecycle {
  const call = {context, logger, timeoutMs}
  const stepPayload = (step: BuildStep, io: StepIO) => ({
    kind: step.kind,
    name: step.name,
    arch: step.arch,
    projectRoot: step.projectRoot,
    outputDir: step.outputDir,
    sdkImage,
    signal: io.signal,
    log: (line: string) => io.onLine(line),
  })
  return {
    beforeBuild: (step, io) => emitLifecycle(config, 'twoliter:pre-build', stepPayload(step, io), call),
    afterBuild: (step, io) => emitLifecycle(config, 'twoliter:post-build', {...stepPayload(step, io), outputs: [...(step.outputs ?? [])]}, call),
  }
}
