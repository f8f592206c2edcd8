/**
 * Running plugins' hooks for an event through oclif, with a timeout, turning every failure into one warning
 * that names the plugin. Nothing a plugin does in a hook makes twoliter fail.
 */

import {errorMessage} from '../errors.js'
import type {Logger} from '../ui/logger.js'
import {recordHungHook} from './hung-hooks.js'

/** A plugin as oclif describes it, reduced to what twoliter uses. */
export interface HookPlugin {
  name: string
  /** oclif's plugin type: `core` (bundled with twoliter), `user` (installed), `link`, `dev`. */
  type: string
  /** twoliter itself. */
  isRoot?: boolean
}

export interface HookRunOutcome {
  successes: ReadonlyArray<{plugin: HookPlugin; result: unknown}>
  failures: ReadonlyArray<{plugin: HookPlugin; error: unknown}>
}

/** The part of oclif's Config that runs hooks; commands pass `this.config`. */
export interface HookRunner {
  runHook(event: string, options: Record<string, unknown>, timeout?: number, captureErrors?: boolean): Promise<HookRunOutcome>
}

export interface HookCallOptions {
  timeoutMs: number
  logger: Pick<Logger, 'warn'>
}

export interface HookResult {
  plugin: HookPlugin
  result: unknown
}

/**
 * Runs every plugin's hooks for `event` (in parallel across plugins, as oclif does) and returns what they
 * returned, twoliter's own and bundled plugins first, then installed and linked ones, each group by name.
 * A hook that throws or outlives the timeout yields one warning and no result.
 */
export async function runPluginHooks(runner: HookRunner, event: string, options: Record<string, unknown>, {timeoutMs, logger}: HookCallOptions): Promise<HookResult[]> {
  let outcome: HookRunOutcome
  try {
    // captureErrors: without it, an error carrying an exit code (oclif's this.error()) would end the command.
    outcome = await runner.runHook(event, options, timeoutMs, true)
  } catch (error) {
    logger.warn(`the plugins' ${event} hooks could not run: ${errorMessage(error)}`)
    return []
  }

  for (const {plugin, error} of [...outcome.failures].sort((a, b) => comparePlugins(a.plugin, b.plugin))) {
    logger.warn(`plugin ${plugin.name}: ${describeFailure(event, error, timeoutMs)}`)
    if (isTimeout(error, timeoutMs)) recordHungHook(`${plugin.name} (${event})`)
  }

  return [...outcome.successes].sort((a, b) => comparePlugins(a.plugin, b.plugin))
}

/**
 * Calls a function a plugin provided (a descriptor's method) with the same policy as its hooks: a throw, or
 * no answer within the timeout, is one warning and resolves to undefined.
 */
export async function callPluginFunction<T>(plugin: string, what: string, call: () => Promise<T>, {timeoutMs, logger}: HookCallOptions): Promise<{value: T} | undefined> {
  let timer: NodeJS.Timeout | undefined
  const timedOut = Symbol('timed out')
  const deadline = new Promise<typeof timedOut>((resolve) => {
    timer = setTimeout(() => resolve(timedOut), timeoutMs)
    // A plugin's own timers keep the process alive if they must; this one must not.
    timer.unref()
  })
  try {
    const settled = await Promise.race([Promise.resolve().then(call), deadline])
    if (settled === timedOut) {
      logger.warn(`plugin ${plugin}: ${what} did not finish within ${timeoutMs} ms (TWOLITER_HOOK_TIMEOUT_MS); going on without it`)
      recordHungHook(`${plugin} (${what})`)
      return undefined
    }

    return {value: settled}
  } catch (error) {
    logger.warn(`plugin ${plugin}: ${what} failed: ${oneLine(errorMessage(error))}`)
    return undefined
  } finally {
    clearTimeout(timer)
  }
}

const PLUGIN_TYPE_RANK: Record<string, number> = {core: 1, dev: 2, user: 3, link: 4}

/** twoliter itself, then bundled plugins, then dev, installed and linked ones; by name within each. */
function comparePlugins(a: HookPlugin, b: HookPlugin): number {
  return rank(a) - rank(b) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
}

function rank(plugin: HookPlugin): number {
  return plugin.isRoot ? 0 : (PLUGIN_TYPE_RANK[plugin.type] ?? 5)
}

function describeFailure(event: string, error: unknown, timeoutMs: number): string {
  if (isTimeout(error, timeoutMs)) return `its ${event} hook did not finish within ${timeoutMs} ms (TWOLITER_HOOK_TIMEOUT_MS); going on without it`
  return `its ${event} hook failed: ${oneLine(errorMessage(error))}`
}

// oclif reports a hook that outlived runHook's timeout with exactly this error.
function isTimeout(error: unknown, timeoutMs: number): boolean {
  return error instanceof Error && error.message === `Timed out after ${timeoutMs} ms.`
}

function oneLine(message: string): string {
  return message.trim().replaceAll(/\s*\n\s*/g, ' ')
}
