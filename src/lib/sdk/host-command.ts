import {type ChildProcess, spawn} from 'node:child_process'
import {constants} from 'node:fs'
import {access} from 'node:fs/promises'
import path from 'node:path'
import {createInterface} from 'node:readline'

import {OutputTail} from '../engine/output-tail.js'

export interface HostCommandResult {
  /** null when a signal ended it. */
  exitCode: number | null
  tail: string
}

/**
 * Runs a program on the host, handing each line of its stdout and stderr to onLine, and resolves when it
 * ends, whatever its exit code. An abort kills it.
 */
export function runHostCommand(
  command: string,
  args: string[],
  options: {onLine?: (line: string) => void; signal?: AbortSignal; env?: NodeJS.ProcessEnv} = {},
): Promise<HostCommandResult> {
  const child = spawn(command, args, {stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env, signal: options.signal})
  return collect(child, options.onLine)
}

function collect(child: ChildProcess, onLine?: (line: string) => void): Promise<HostCommandResult> {
  const tail = new OutputTail()
  const closed: Promise<void>[] = []
  for (const stream of [child.stdout, child.stderr]) {
    if (stream === null) continue
    const lines = createInterface({input: stream, crlfDelay: Infinity})
    lines.on('line', (line) => {
      tail.push(`${line}\n`)
      onLine?.(line)
    })
    closed.push(new Promise((resolve) => lines.once('close', resolve)))
  }

  return new Promise((resolve, reject) => {
    child.once('error', reject)
    child.once('close', (code) => {
      void Promise.all(closed).then(() => resolve({exitCode: code, tail: tail.text()}))
    })
  })
}

/** The program's path: found on PATH, or in the sbin directories that a non-login PATH may lack. */
export async function findProgram(name: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const directories = [...(env.PATH ?? '').split(':').filter((dir) => dir !== ''), '/usr/local/sbin', '/usr/sbin', '/sbin']
  for (const directory of directories) {
    const candidate = path.join(directory, name)
    try {
      await access(candidate, constants.X_OK)
      return candidate
    } catch {
      // not here
    }
  }

  return undefined
}
