/** Plugins' `twoliter:pre-publish`/`post-publish` events and the project's publish hook steps, around a publish step. */

import type {Engine} from '../engine/index.js'
import type {PublishLifecycle, PublishStep} from '../kits/publish.js'
import type {Project} from '../project/project.js'
import type {Logger} from '../ui/logger.js'
import {hookContext} from './hook-context.js'
import type {HookRunner} from './hook-runner.js'
import {hookTimeoutMs} from './hook-timeouts.js'
import {emitLifecycle} from './lifecycle-events.js'
import {projectPublishHooks} from './project-hooks.js'
import {registryCredentialProvider} from './registry-auth.js'

export function publishLifecycle(config: HookRunner, project: Project, options: {logger: Logger; engine?: Engine; signal: AbortSignal}): PublishLifecycle {
  const {logger, engine, signal} = options
  const projectRoot = project.root
  const credentialProvider = registryCredentialProvider(config, {logger, engine, projectRoot})
  const call = {context: hookContext({logger, projectRoot, engine, credentialProvider}), logger, timeoutMs: hookTimeoutMs('lifecycle')}
  const hooks = projectPublishHooks(project, logger)
  const io = {signal, onLine: (line: string) => logger.info(line)}
  const payload = (step: PublishStep) => ({kind: step.kind, name: step.name, arch: step.arch, projectRoot, outputDir: step.outputDir, outputs: [...step.outputs], signal, log: io.onLine})
  const hookStep = (step: PublishStep, outputs?: string[]) => ({kind: step.kind, name: step.name, arch: step.arch, projectRoot, outputDir: step.outputDir, outputs})
  return {
    async beforePublish(step) {
      await emitLifecycle(config, 'twoliter:pre-publish', payload(step), call)
      await hooks?.beforeBuild(hookStep(step), io)
    },
    async afterPublish(step, published) {
      await emitLifecycle(config, 'twoliter:post-publish', {...payload(step), published}, call)
      await hooks?.afterBuild(hookStep(step, step.outputs), io)
    },
  }
}
