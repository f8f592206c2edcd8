/** How long twoliter waits for a plugin's hook, or a descriptor's method, before it goes on without it. */

import {UsageError} from '../errors.js'

export const HOOK_TIMEOUT_ENV = 'TWOLITER_HOOK_TIMEOUT_MS'

/** Capability hooks only hand out descriptors, and a credentials lookup should be quick. */
export const DEFAULT_CAPABILITY_TIMEOUT_MS = 10_000

/** A lifecycle hook may do real work on a step's outputs (scan, upload, sign). */
export const DEFAULT_LIFECYCLE_TIMEOUT_MS = 300_000

export type HookKind = 'capability' | 'lifecycle'

/** TWOLITER_HOOK_TIMEOUT_MS when set (it applies to every kind of hook), else the kind's default. */
export function hookTimeoutMs(kind: HookKind, env: NodeJS.ProcessEnv = process.env): number {
  const value = env[HOOK_TIMEOUT_ENV]
  if (value === undefined || value === '') return kind === 'capability' ? DEFAULT_CAPABILITY_TIMEOUT_MS : DEFAULT_LIFECYCLE_TIMEOUT_MS
  const ms = Number(value)
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(ms) || ms <= 0) {
    throw new UsageError(`${HOOK_TIMEOUT_ENV} is ${JSON.stringify(value)}, which is not a number of milliseconds.`, {
      hint: `Set it to a whole number above 0, e.g. ${HOOK_TIMEOUT_ENV}=30000, or unset it for the defaults (${DEFAULT_CAPABILITY_TIMEOUT_MS} ms for capabilities, ${DEFAULT_LIFECYCLE_TIMEOUT_MS} ms for lifecycle events).`,
      code: 'plugins.hook-timeout',
    })
  }

  return ms
}
