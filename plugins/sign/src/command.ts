import {Command, Errors} from '@oclif/core'

/** Errors this plugin explains to people: its own, and the signing modules' (which carry a code and a hint). */
function explained(error: Error): {code: string; hint: string; exitCode: number} | undefined {
  const {code, hint, exitCode} = error as Error & {code?: unknown; hint?: unknown; exitCode?: unknown}
  if (typeof code !== 'string' || typeof hint !== 'string') return undefined
  return {code, hint, exitCode: typeof exitCode === 'number' ? exitCode : 1}
}

/** The plugin's commands render errors as twoliter's do: one paragraph, the same --json error object. */
export abstract class SignCommand extends Command {
  static override enableJsonFlag = true

  protected override async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    if (error instanceof Errors.ExitError || (error as Errors.CLIError).oclif?.exit !== undefined) return super.catch(error)
    const known = explained(error)
    const code = known?.code ?? 'internal'
    const exitCode = known?.exitCode ?? 1
    if (this.jsonEnabled()) {
      this.logJson({error: {code, message: error.message, ...(known ? {hint: known.hint} : {}), exitCode}})
    } else {
      process.stderr.write(`Error: ${error.message}${known ? ` ${known.hint}` : ''}\n`)
      if (process.env.TWOLITER_LOG_LEVEL === 'debug' && error.stack) process.stderr.write(`${error.stack}\n`)
    }

    return this.exit(exitCode)
  }
}
