import type {ServiceEvent, TwoliterEvent as ApiEvent} from '@twoliter/plugin-api'

/**
 * The twoliter hook events a plugin can register for: what the report calls its capabilities. The type
 * check below fails to compile when this list and @twoliter/plugin-api's events drift apart.
 */
export const TWOLITER_EVENTS = [
  'twoliter:registry-auth',
  'twoliter:signers',
  'twoliter:pre-build',
  'twoliter:post-build',
  'twoliter:pre-publish',
  'twoliter:post-publish',
] as const
export type TwoliterEvent = (typeof TWOLITER_EVENTS)[number]
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
// twoliter:context is answered by twoliter itself, not by plugins.
const eventsMatchTheApi: Same<TwoliterEvent, Exclude<ApiEvent, ServiceEvent>> = true
void eventsMatchTheApi

/** A plugin as the oclif configuration lists it, reduced to plain data. */
export interface InstalledPlugin {
  name: string
  version: string
  /** oclif's plugin type: `core`, `user`, `link` (or `dev` when run from twoliter's sources). */
  type: string
  /** The events its package.json registers hooks for (the keys of `oclif.hooks`). */
  hookEvents: readonly string[]
}

export interface PluginReport {
  name: string
  version: string
  type: string
  /** The twoliter events it registers hooks for, in TWOLITER_EVENTS order. */
  capabilities: TwoliterEvent[]
}

/**
 * What each plugin provides, read from the hooks it declares: no plugin code runs, so a broken plugin
 * cannot break the doctor that should diagnose it.
 */
export function describePlugins(plugins: readonly InstalledPlugin[]): PluginReport[] {
  return plugins
    .map((plugin) => ({
      name: plugin.name,
      version: plugin.version,
      type: plugin.type,
      capabilities: TWOLITER_EVENTS.filter((event) => plugin.hookEvents.includes(event)),
    }))
    // oclif loads plugins concurrently, so its order changes from run to run.
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}
