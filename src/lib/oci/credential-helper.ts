/**
 * Docker credential helpers: `docker-credential-<name> get` reads the server URL on stdin and answers
 * `{"ServerURL", "Username", "Secret"}` on stdout; a Username of `<token>` makes Secret an identity token.
 */

import {execa} from 'execa'

import {TwoliterError} from '../errors.js'
import type {RegistryCredentials} from './credentials.js'

const HELPER_TIMEOUT_MS = 30_000
const IDENTITY_TOKEN_USERNAME = '<token>'

/** Credentials the helper holds for `serverUrl`; undefined when it has none. */
export async function getFromCredentialHelper(helper: string, serverUrl: string, env: NodeJS.ProcessEnv): Promise<RegistryCredentials | undefined> {
  const program = `docker-credential-${helper}`
  const result = await execa(program, ['get'], {input: serverUrl, env, extendEnv: false, reject: false, timeout: HELPER_TIMEOUT_MS, stripFinalNewline: true})
  if (result.failed && (result.code === 'ENOENT' || result.exitCode === undefined)) {
    const reason = result.code === 'ENOENT' ? `${program} is not on PATH` : `${program} did not finish (${result.code ?? 'killed'})`
    throw new TwoliterError(`docker's configuration names the credential helper '${helper}', but ${reason}.`, {
      hint: `Install ${program}, or remove '${helper}' from credHelpers/credsStore in your docker config.json.`,
      code: 'oci.credential-helper',
    })
  }

  // stdout is where helpers put secrets: it is never shown, only searched for the "nothing stored" answer.
  if (result.exitCode !== 0) {
    if (/credentials not found/i.test(`${result.stdout}\n${result.stderr}`)) return undefined
    throw new TwoliterError(`the credential helper ${program} failed for ${serverUrl} with exit code ${result.exitCode}: ${firstLine(result.stderr)}`, {
      hint: `Check that \`echo ${serverUrl} | ${program} get\` works.`,
      code: 'oci.credential-helper',
    })
  }

  let answer: unknown
  try {
    answer = JSON.parse(result.stdout)
  } catch {
    throw new TwoliterError(`the credential helper ${program} answered something that is not JSON.`, {
      hint: 'It must print {"ServerURL", "Username", "Secret"}; check its version.',
      code: 'oci.credential-helper',
    })
  }

  const {Username: username, Secret: secret} = (typeof answer === 'object' && answer !== null ? answer : {}) as {Username?: unknown; Secret?: unknown}
  if (typeof secret !== 'string' || secret === '') return undefined
  if (username === IDENTITY_TOKEN_USERNAME) return {identityToken: secret}
  return {username: typeof username === 'string' ? username : '', password: secret}
}

function firstLine(text: string): string {
  const line = text.split('\n').find((candidate) => candidate.trim() !== '')
  return line === undefined ? '(no message)' : line.trim()
}
