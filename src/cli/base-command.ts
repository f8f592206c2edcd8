import {Command, Errors, Flags, Interfaces} from '@oclif/core'

// Flag and argument values as oclif hands them to commands.
type FlagOutput = Record<string, unknown>

import {LOG_LEVEL_ENV} from '../lib/cli/argv.js'
import {TwoliterError, formatError} from '../lib/errors.js'
import {DEFAULT_LOG_LEVEL, LOG_LEVELS, Logger, type LogLevel} from '../lib/ui/logger.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>

/**
 * Every twoliter command: `--json` with a typed result, `--log-level`, and errors rendered as one
 * paragraph (file:line:col, what is wrong, what to do) with exit code 1, or 2 for usage errors.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true

  static override baseFlags = {
    'log-level': Flags.option({
      options: LOG_LEVELS,
      default: DEFAULT_LOG_LEVEL,
      env: LOG_LEVEL_ENV,
      helpGroup: 'GLOBAL',
      summary: 'How much to print on stderr. May also be given before the command, as in the Rust twoliter.',
    })(),
  }

  protected logger: Logger = new Logger(DEFAULT_LOG_LEVEL)

  /** Parses as oclif does, then sets up logging at the level the flags (or TWOLITER_LOG_LEVEL) ask for. */
  protected override async parse<F extends FlagOutput, B extends FlagOutput, A extends FlagOutput>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const parsed = await super.parse(options, argv)
    const level = (parsed.flags as Record<string, unknown>)['log-level']
    if (typeof level === 'string') this.logger = new Logger(level as LogLevel)
    return parsed
  }

  protected override async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    if (error instanceof TwoliterError) {
      if (this.jsonEnabled()) {
        this.logJson({
          error: {
            code: error.code,
            message: error.message,
            hint: error.hint,
            location: error.location,
            exitCode: error.exitCode,
          },
        })
      } else {
        process.stderr.write(`Error: ${formatError(error)}\n`)
        if (this.logger.enabled('debug') && error.stack) process.stderr.write(`${error.stack}\n`)
      }

      return this.exit(error.exitCode)
    }

    if (error instanceof Errors.ExitError) return super.catch(error)
    const oclifExit = (error as Errors.CLIError).oclif?.exit
    if (oclifExit !== undefined) {
      // oclif's own errors (unknown flag, missing argument): its rendering with usage help is right for a
      // person, but under --json print the same small error object as for every other failure.
      if (!this.jsonEnabled()) return super.catch(error)
      this.logJson({error: {code: oclifExit === 2 ? 'usage' : 'error', message: error.message, exitCode: oclifExit}})
      return this.exit(oclifExit)
    }

    // Not one of ours: most likely an operating-system error (EACCES, ENOSPC...) or a bug. Say what it was
    // without a stack trace unless debugging was asked for.
    if (this.jsonEnabled()) {
      this.logJson({error: {code: 'internal', message: error.message, exitCode: 1}})
    } else {
      process.stderr.write(`Error: ${error.message}\n`)
      if (this.logger.enabled('debug')) process.stderr.write(`${error.stack}\n`)
      else process.stderr.write('Run again with --log-level debug to see where it happened.\n')
    }

    return this.exit(1)
  }
}
