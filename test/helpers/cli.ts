import {spawn as spawnAsync, spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {expect} from 'chai'

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const DEV_BIN = path.join(REPO, 'bin', 'dev.js')
const RUN_BIN = path.join(REPO, 'bin', 'run.js')

export interface Run {
  status: number | null
  stdout: string
  stderr: string
}

// bin/dev.js's shebang loads tsx by name, which resolves from the working directory; these runs happen in
// other directories, so name the loader by its absolute URL.
const TSX = import.meta.resolve('tsx')

function spawn(argv: string[], cwd: string, env: NodeJS.ProcessEnv): Run {
  const result = spawnSync(process.execPath, argv, {
    cwd,
    encoding: 'utf8',
    env: {...process.env, NO_COLOR: '1', TWOLITER_LOG_LEVEL: 'info', ...env},
    timeout: 60_000,
  })
  return {status: result.status, stdout: result.stdout, stderr: result.stderr}
}

/** Runs the real CLI from its sources, as `bin/dev.js` does when executed directly. */
export function twoliter(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Run {
  return spawn(['--import', TSX, DEV_BIN, ...args], cwd, env)
}

/**
 * Like `twoliter`, without blocking this process: needed when the test itself serves something the CLI
 * talks to (a loopback HTTP server, a registry proxy).
 */
export function twoliterAsync(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Run> {
  const child = spawnAsync(process.execPath, ['--import', TSX, DEV_BIN, ...args], {
    cwd,
    env: {...process.env, NO_COLOR: '1', TWOLITER_LOG_LEVEL: 'info', ...env},
    timeout: 120_000,
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (status) => resolve({status, stdout, stderr}))
  })
}

/** Runs the built CLI as users do (`bin/run.js`); scripts/test builds it before the tests. */
export function twoliterBuilt(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Run {
  if (!existsSync(path.join(REPO, 'dist', 'commands'))) throw new Error('dist/ is missing: run scripts/setup (or npm run build) first')
  return spawn([RUN_BIN, ...args], cwd, env)
}

export function expectNoStackTrace(run: Run): void {
  expect(run.stderr).not.to.match(/^\s+at /m)
  expect(run.stdout).not.to.match(/^\s+at /m)
}
