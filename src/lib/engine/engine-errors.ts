import {TwoliterError} from '../errors.js'

/** What dockerode puts on the errors of a request the engine answered. */
interface EngineResponseError {
  statusCode?: number
  json?: {message?: string} | null
  reason?: string
  message?: string
}

/** The HTTP status the engine answered with, when the error is such an answer. */
export function engineStatusCode(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const code = (error as EngineResponseError).statusCode
  return typeof code === 'number' ? code : undefined
}

/** The engine's own words for an error (its JSON `message`), else the error's message. */
export function engineMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const {json, message} = error as EngineResponseError
    if (json && typeof json.message === 'string' && json.message.trim() !== '') return json.message.trim()
    if (typeof message === 'string') return message.replace(/^\(HTTP code \d+\)\s*/, '').trim()
  }

  return String(error)
}

/** A failed engine request, said as `<what> failed: <engine's message>`. */
export function engineRequestFailed(what: string, error: unknown, hint?: string): TwoliterError {
  if (error instanceof TwoliterError) return error
  return new TwoliterError(`${what} failed: ${engineMessage(error)}.`, {
    hint: hint ?? 'Check that the Docker engine is healthy (`docker info`), then run the command again.',
    code: 'engine.request',
    cause: error,
  })
}

/** A container run or image build stopped because its AbortSignal fired (Ctrl-C, a failing sibling...). */
export class EngineAbortError extends TwoliterError {
  constructor(what: string, reason?: unknown) {
    super(`${what} was aborted${describeReason(reason)}.`, {
      code: 'engine.aborted',
      cause: reason,
      // An interruption says what to do next and exits with its own code (130 for Ctrl-C).
      ...(reason instanceof TwoliterError ? {hint: reason.hint, exitCode: reason.exitCode} : {}),
    })
    this.name = 'EngineAbortError'
  }
}

/** `: <why>` for a reason given to AbortController.abort(), nothing for the default AbortError. */
function describeReason(reason: unknown): string {
  if (!(reason instanceof Error) || reason.name === 'AbortError') return ''
  const message = reason.message.trim().replace(/\.$/, '')
  return message === '' ? '' : `: ${message}`
}
