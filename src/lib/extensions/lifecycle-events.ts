/**
 * Lifecycle events (`twoliter:pre-build`, `post-build`, `pre-publish`, `post-publish`): plugins hear about
 * each step. A plugin's hook that fails or hangs is a warning; it never fails the step.
 */

import type {LifecycleEvent, TwoliterContext, TwoliterHooks} from '@twoliter/plugin-api'

import {API_VERSIONS} from './api-versions.js'
import {type HookCallOptions, type HookRunner, runPluginHooks} from './hook-runner.js'

/** What the caller says about the step; the interface version and the context are added here. */
export type LifecyclePayload<E extends LifecycleEvent> = Omit<TwoliterHooks[E]['options'], 'apiVersion' | 'twoliter'>

export interface LifecycleCallOptions extends HookCallOptions {
  context: TwoliterContext
}

/** Runs every plugin's hooks for the event and waits for them (up to the timeout); never throws. */
export async function emitLifecycle<E extends LifecycleEvent>(config: HookRunner, event: E, payload: LifecyclePayload<E>, {context, ...call}: LifecycleCallOptions): Promise<void> {
  await runPluginHooks(config, event, {...payload, apiVersion: API_VERSIONS.lifecycle, twoliter: context}, call)
}
