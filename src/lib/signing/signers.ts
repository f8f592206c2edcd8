/**
 * The signers plugins provide (`twoliter:signers`; the bundled @twoliter/sign provides `cosign` and
 * `gpg`), looked up by id for the steps that sign or verify.
 */

import type {Signer, TwoliterContext} from '@twoliter/plugin-api'

import {type SourceLocation, TwoliterError} from '../errors.js'
import {callCapability} from '../extensions/capabilities.js'
import type {HookRunner} from '../extensions/hook-runner.js'
import {hookTimeoutMs} from '../extensions/hook-timeouts.js'
import type {Logger} from '../ui/logger.js'

export async function findSigner(config: HookRunner, id: string, options: {context: TwoliterContext; logger: Logger}): Promise<Signer> {
  const provided = await callCapability(config, 'twoliter:signers', {twoliter: options.context}, {timeoutMs: hookTimeoutMs('capability'), logger: options.logger})
  const signer = provided.find((entry) => entry.descriptor.id === id)?.descriptor
  if (signer === undefined) {
    const known = provided.map((entry) => `${entry.descriptor.id} (${entry.plugin})`)
    throw new TwoliterError(`No plugin provides the signer ${id}; ${known.length === 0 ? 'no signer is installed' : `the signers are ${known.join(', ')}`}.`, {
      hint: 'The bundled @twoliter/sign provides it: if you replaced or removed that plugin, reinstall it (`twoliter plugins uninstall @twoliter/sign` brings the bundled one back).',
      code: 'sign.no-signer',
    })
  }

  return signer
}

/** A signer's rejection as twoliter's error: its message and hint when it gave them, under `code`. */
export function signingFailure(error: unknown, what: string, code: string, location?: SourceLocation): TwoliterError {
  const {message, hint} = error as {message?: unknown; hint?: unknown}
  return new TwoliterError(`${what}: ${typeof message === 'string' ? message : String(error)}`, {
    hint: typeof hint === 'string' ? hint : 'Run again with --log-level debug for details.',
    code,
    location,
  })
}
