import type {HookPlugin, HookRunOutcome, HookRunner} from '../../../src/lib/extensions/index.js'

/** A plugin's hook for one event: a plain function of the options oclif passes (typed as the plugin likes). */
export type PluginHook = (options: never) => unknown

export interface PluginDouble {
  name: string
  /** oclif's plugin type; `user` by default. */
  type?: string
  hooks: Record<string, PluginHook | PluginHook[]>
}

export interface HookCall {
  event: string
  options: Record<string, unknown>
  timeout?: number
  captureErrors?: boolean
}

/**
 * What oclif's Config.runHook does, for plugins made of plain functions: every plugin's hooks for the event
 * in parallel (one after the other within a plugin), each raced against the timeout, with successes and
 * failures in the order they settle. Calls are recorded.
 */
export function hookRunner(plugins: PluginDouble[]): HookRunner & {calls: HookCall[]} {
  const calls: HookCall[] = []
  return {
    calls,
    async runHook(event, options, timeout, captureErrors) {
      calls.push({event, options, timeout, captureErrors})
      const outcome: {successes: Array<{plugin: HookPlugin; result: unknown}>; failures: Array<{plugin: HookPlugin; error: unknown}>} = {successes: [], failures: []}
      await Promise.all(
        plugins.map(async ({name, type = 'user', hooks}) => {
          const plugin = {name, type}
          const forEvent = hooks[event] ?? []
          for (const hook of Array.isArray(forEvent) ? forEvent : [forEvent]) {
            try {
              const call = hook as (options: Record<string, unknown>) => unknown
              const result = await withTimeout(Promise.resolve().then(() => call({...options, config: {}, context: {}})), timeout)
              outcome.successes.push({plugin, result})
            } catch (error) {
              outcome.failures.push({plugin, error})
            }
          }
        }),
      )
      return outcome satisfies HookRunOutcome
    },
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number | undefined): Promise<T> {
  if (ms === undefined) return promise
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms.`)), ms)
  })
  try {
    return await Promise.race([promise, deadline])
  } finally {
    clearTimeout(timer)
  }
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
