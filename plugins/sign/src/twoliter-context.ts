import type {Config} from '@oclif/core'
import type {TwoliterContext} from '@twoliter/plugin-api'

import {SigningError} from './errors.js'

/**
 * twoliter's services (engine, registry client, logger) for this plugin's commands, from the
 * `twoliter:context` hook that twoliter answers itself.
 */
export async function twoliterContext(config: Config, projectRoot?: string): Promise<TwoliterContext> {
  const runHook = config.runHook as unknown as (event: string, options: Record<string, unknown>) => Promise<{successes: Array<{plugin: {name: string}; result: unknown}>}>
  const {successes} = await runHook.call(config, 'twoliter:context', {projectRoot})
  const context = successes.find((success) => success.plugin.name === 'twoliter')?.result as TwoliterContext | undefined
  if (context === undefined) {
    throw new SigningError('This twoliter does not lend its services to plugins (no twoliter:context hook).', {hint: 'Update twoliter, or install the version of @twoliter/sign that came with it.', code: 'sign.no-context'})
  }

  return context
}
