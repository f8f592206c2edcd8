import {fileURLToPath} from 'node:url'

/** A host directory bind-mounted into the container for one run. */
export interface RunnerMount {
  /** Absolute path on the engine's host; it must exist. */
  host: string
  /** Absolute path inside the container. */
  container: string
  readOnly?: boolean
}

/** One container run: what {@link ContainerRunner.run} gets. */
export interface RunnerSpec {
  image: string
  cmd: string[]
  /** `uid[:gid]`. */
  user?: string
  network?: 'none'
  env?: Record<string, string>
  mounts: RunnerMount[]
}

export interface RunnerOptions {
  /** The container's output as it comes, in chunks (not necessarily whole lines); `stream` when known. */
  onOutput?: (text: string, stream?: 'stdout' | 'stderr') => void
  /** Aborting kills and removes the container. */
  signal?: AbortSignal
}

/**
 * What the GPG functions need of a container engine: run one container to its end (and remove it),
 * streaming its output, and say how it exited. It has the shape of twoliter core's `Engine.run`, so core
 * passes its engine as it is; the plugin does not import core.
 */
export interface ContainerRunner {
  run(spec: RunnerSpec, options?: RunnerOptions): Promise<{exitCode: number}>
}

/** The plugin's shell scripts; mounted read-only into the SDK container at {@link TOOLS_MOUNT}. */
export const SIGN_ASSETS_DIR = fileURLToPath(new URL('../../assets/', import.meta.url))

/** Where {@link SIGN_ASSETS_DIR} is inside the container. */
export const TOOLS_MOUNT = '/twoliter/sign-tools'

/** The user id and group id of this process, which the scripts give their output files. */
export function hostIds(): {HOST_UID: string; HOST_GID: string} {
  return {HOST_UID: String(process.getuid?.() ?? 0), HOST_GID: String(process.getgid?.() ?? 0)}
}

export interface ScriptRun {
  exitCode: number
  /** Every output line, in order, machine records included. */
  lines: string[]
  /** The `twoliter-error: <kind> <detail>` records. */
  errors: Array<{kind: string; detail: string}>
}

const RECORD = 'twoliter-'
const ERROR_RECORD = /^twoliter-error: (\S+) ?(.*)$/

/**
 * Runs a script of {@link SIGN_ASSETS_DIR} in the SDK as root without network, splits its output into
 * lines (per stream, so a stdout line is never cut by stderr), and hands the lines that are not
 * `twoliter-` records to `onLine`.
 */
export async function runScript(
  runner: ContainerRunner,
  options: {sdkImage: string; script: string; args?: string[]; env?: Record<string, string>; mounts: RunnerMount[]; onLine?: (line: string) => void; signal?: AbortSignal},
): Promise<ScriptRun> {
  const lines: string[] = []
  const errors: ScriptRun['errors'] = []
  const pending = new Map<string, string>()
  const take = (line: string): void => {
    const text = line.replace(/\r$/, '')
    lines.push(text)
    const error = ERROR_RECORD.exec(text)
    if (error) errors.push({kind: error[1]!, detail: error[2] ?? ''})
    else if (!text.startsWith(RECORD)) options.onLine?.(text)
  }

  const {exitCode} = await runner.run(
    {
      image: options.sdkImage,
      cmd: ['/bin/bash', `${TOOLS_MOUNT}/${options.script}`, ...(options.args ?? [])],
      user: '0:0',
      network: 'none',
      env: {...hostIds(), ...options.env},
      mounts: [{host: SIGN_ASSETS_DIR, container: TOOLS_MOUNT, readOnly: true}, ...options.mounts],
    },
    {
      ...(options.signal === undefined ? {} : {signal: options.signal}),
      onOutput(text, stream) {
        const key = stream ?? 'output'
        const parts = ((pending.get(key) ?? '') + text).split('\n')
        pending.set(key, parts.pop() ?? '')
        for (const part of parts) take(part)
      },
    },
  )
  for (const rest of pending.values()) if (rest !== '') take(rest)
  return {exitCode, lines, errors}
}

/** The fields of the `twoliter-<name>` records, tab-separated after the name. */
export function records(lines: string[], name: string): string[][] {
  const prefix = `${RECORD}${name}\t`
  return lines.filter((line) => line.startsWith(prefix)).map((line) => line.slice(prefix.length).split('\t'))
}

/** The last lines of a run's output without its records, for an error message. */
export function outputTail(lines: string[], count = 12): string {
  return lines
    .filter((line) => !line.startsWith(RECORD) && line.trim() !== '')
    .slice(-count)
    .join('\n')
}
