/**
 * The logger every library module writes through. Messages go to stderr so that stdout stays clean for
 * results (`--json`, `graph --format dot`, ...). Warnings are also collected so that commands can return
 * them in their JSON envelope.
 */

export const LOG_LEVELS = ['off', 'error', 'warn', 'info', 'debug', 'trace'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

export const DEFAULT_LOG_LEVEL: LogLevel = 'info'

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value)
}

export interface LogSink {
  write(line: string): void
}

const stderrSink: LogSink = {write: (line) => process.stderr.write(line + '\n')}

export class Logger {
  readonly warnings: string[] = []
  private readonly rank: number

  constructor(
    readonly level: LogLevel = DEFAULT_LOG_LEVEL,
    private readonly sink: LogSink = stderrSink,
  ) {
    this.rank = LOG_LEVELS.indexOf(level)
  }

  enabled(level: Exclude<LogLevel, 'off'>): boolean {
    return LOG_LEVELS.indexOf(level) <= this.rank
  }

  error(message: string): void {
    if (this.enabled('error')) this.sink.write(`error: ${message}`)
  }

  warn(message: string): void {
    this.warnings.push(message)
    if (this.enabled('warn')) this.sink.write(`warning: ${message}`)
  }

  info(message: string): void {
    if (this.enabled('info')) this.sink.write(message)
  }

  debug(message: string): void {
    if (this.enabled('debug')) this.sink.write(`debug: ${message}`)
  }

  trace(message: string): void {
    if (this.enabled('trace')) this.sink.write(`trace: ${message}`)
  }
}

/** A logger that records everything and prints nothing: for library callers that only want warnings. */
export function silentLogger(): Logger {
  return new Logger('off')
}
