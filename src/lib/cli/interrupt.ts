import {TwoliterError} from '../errors.js'
import type {Logger} from '../ui/logger.js'

export interface Interrupt {
  /** Aborted on the first SIGINT or SIGTERM, with a TwoliterError (exit code 130) as its reason. */
  signal: AbortSignal
  /** Stops listening for the signals. */
  dispose(): void
}

/**
 * Turns Ctrl-C (and SIGTERM) into an AbortSignal, so that what runs can stop its containers and remove its
 * temporary files; a second Ctrl-C quits at once.
 */
export function listenForInterrupt(logger: Logger, what: string, hint: string): Interrupt {
  const controller = new AbortController()
  const onSignal = (name: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(130)
    logger.warn(`${name}: stopping ${what} and cleaning up (press Ctrl-C again to quit at once)`)
    controller.abort(new TwoliterError(`${what} was interrupted (${name}).`, {hint, code: 'interrupted', exitCode: 130}))
  }

  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    },
  }
}
