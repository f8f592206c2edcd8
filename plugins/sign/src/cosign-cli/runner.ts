/**
 * Runs the cosign CLI. node:child_process rather than execa: one spawn with argv, environment, timeout
 * and abort signal is all it takes, and the plugin, installed on its own (also offline, from npm's cache),
 * keeps its two dependencies.
 */

import {spawn} from 'node:child_process'

import {SigningError} from '../errors.js'
import {checkSupportedVersion, type CosignVersion, parseCosignVersion} from './args.js'

export interface CosignRun {
  exitCode: number
  stdout: string
  stderr: string
}

export interface CosignRunOptions {
  env: NodeJS.ProcessEnv
  signal?: AbortSignal
  /** cosign's own `--timeout` is 3 minutes per registry operation; this bounds the whole run. */
  timeoutMs?: number
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000
const MAX_OUTPUT = 1024 * 1024

/** Runs `program args` without a shell and without stdin (cosign never gets to prompt); resolves whatever the exit code. */
export function runCosign(program: string, args: readonly string[], options: CosignRunOptions): Promise<CosignRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, {env: options.env, stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal})
    // Not spawn's `timeout`: its timer outlives a program that could not start, and holds the process open.
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? DEFAULT_TIMEOUT_MS)
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < MAX_OUTPUT) stdout += chunk
    })
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < MAX_OUTPUT) stderr += chunk
    })
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer)
      if (error.name === 'AbortError') return reject(error)
      reject(
        new SigningError(`${program} could not be run: ${error.code ?? error.message}.`, {
          code: 'sign.cosign-not-found',
          hint: 'Check that the cosign binary exists and is executable, or set TWOLITER_COSIGN=native to sign without it.',
          cause: error,
        }),
      )
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code === null) {
        reject(new SigningError(`${program} ${args[0]} was stopped (${signal ?? 'killed'}) before it finished.`, {code: 'sign.cosign-failed', hint: 'Run again; if it keeps timing out, check that the registry answers.'}))
        return
      }

      resolve({exitCode: code, stdout, stderr})
    })
  })
}

const versions = new Map<string, Promise<CosignVersion>>()

/** `cosign version --json`, once per program and process; rejects for versions twoliter does not drive. */
export function cosignVersion(program: string, env: NodeJS.ProcessEnv): Promise<CosignVersion> {
  let version = versions.get(program)
  if (version === undefined) {
    version = (async () => {
      const run = await runCosign(program, ['version', '--json'], {env, timeoutMs: 30_000})
      return parseCosignVersion(run.exitCode === 0 ? run.stdout : '', program)
    })()
    versions.set(program, version)
    version.catch(() => versions.delete(program))
  }

  return version.then((found) => {
    checkSupportedVersion(found, program)
    return found
  })
}
