/**
 * Errors a user can act on. They carry where the problem is and what to do, and are rendered as one
 * paragraph without a stack trace. Anything that is not a TwoliterError is a bug in twoliter.
 */

export interface SourceLocation {
  file: string
  line?: number
  column?: number
}

export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
} as const

export interface TwoliterErrorOptions {
  /** What the user should do about it. */
  hint?: string
  location?: SourceLocation
  exitCode?: number
  /** A stable machine-readable code for `--json` consumers, e.g. `project.schema-version`. */
  code?: string
  cause?: unknown
}

export class TwoliterError extends Error {
  readonly hint?: string
  readonly location?: SourceLocation
  readonly exitCode: number
  readonly code: string

  constructor(message: string, options: TwoliterErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'TwoliterError'
    this.hint = options.hint
    this.location = options.location
    this.exitCode = options.exitCode ?? ExitCode.failure
    this.code = options.code ?? 'twoliter.error'
  }
}

/** An error in how the command was called (wrong arguments or flags): exit code 2. */
export class UsageError extends TwoliterError {
  constructor(message: string, options: Omit<TwoliterErrorOptions, 'exitCode'> = {}) {
    super(message, {...options, exitCode: ExitCode.usage, code: options.code ?? 'usage'})
    this.name = 'UsageError'
  }
}

export function formatLocation(location: SourceLocation): string {
  let text = location.file
  if (location.line !== undefined) {
    text += `:${location.line}`
    if (location.column !== undefined) text += `:${location.column}`
  }

  return text
}

/** One paragraph: `<file:line:col>: <message> <hint>`. */
export function formatError(error: TwoliterError): string {
  const where = error.location ? `${formatLocation(error.location)}: ` : ''
  const hint = error.hint ? ` ${error.hint}` : ''
  return `${where}${error.message}${hint}`
}

export function isTwoliterError(error: unknown): error is TwoliterError {
  return error instanceof TwoliterError
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
