import {TwoliterError, formatLocation} from '../errors.js'

export const CHECK_STATUSES = ['ok', 'warn', 'fail', 'skipped'] as const
export type CheckStatus = (typeof CHECK_STATUSES)[number]

/** One line of the doctor's report: what was checked, how it went, and for anything not ok what to do. */
export interface CheckResult {
  /** Stable, for scripts: `node`, `engine`, `buildkit`, ... */
  id: string
  title: string
  status: CheckStatus
  /** One line: what was found. */
  detail: string
  /** What to do about it; present for every status but ok. */
  fix?: string
}

/** Makes the results of one check; a status other than ok cannot be made without its fix. */
export interface CheckDefinition {
  readonly id: string
  readonly title: string
  ok(detail: string): CheckResult
  warn(detail: string, fix: string): CheckResult
  fail(detail: string, fix: string): CheckResult
  skipped(detail: string, fix: string): CheckResult
}

export function defineCheck(id: string, title: string): CheckDefinition {
  return {
    id,
    title,
    ok: (detail) => ({id, title, status: 'ok', detail}),
    warn: (detail, fix) => ({id, title, status: 'warn', detail, fix}),
    fail: (detail, fix) => ({id, title, status: 'fail', detail, fix}),
    skipped: (detail, fix) => ({id, title, status: 'skipped', detail, fix}),
  }
}

/** Why a check did not run, and what makes it run. */
export interface SkipReason {
  detail: string
  fix: string
}

export const NEEDS_ENGINE: SkipReason = {
  detail: 'needs the Docker engine, which did not answer',
  fix: 'Make the Docker engine answer (see the Docker engine check), then run twoliter doctor again.',
}

export function skip(definition: CheckDefinition, reason: SkipReason): CheckResult {
  return definition.skipped(reason.detail, reason.fix)
}

/**
 * An error as a detail (where, then the first line of what: build errors quote whole logs) and a fix
 * (its hint, else `fallbackFix`).
 */
export function describeError(error: unknown, fallbackFix: string): {detail: string; fix: string} {
  if (error instanceof TwoliterError) {
    const where = error.location ? `${formatLocation(error.location)}: ` : ''
    return {detail: `${where}${firstLine(error.message)}`, fix: error.hint ?? fallbackFix}
  }

  return {detail: firstLine(error instanceof Error ? error.message : String(error)), fix: fallbackFix}
}

function firstLine(text: string): string {
  // "... failed: X. The last lines of the build:" introduces what the cut removed: drop that sentence too.
  return text.split('\n', 1)[0].trim().replace(/(?<=\.)\s+[^.]*:$/, '')
}

/** A check's result, and what it produced for the checks that depend on it (when it produced anything). */
export interface Checked<T> {
  check: CheckResult
  value?: T
}
