import path from 'node:path'
import {Writable} from 'node:stream'

import type Docker from 'dockerode'

import {TwoliterError} from '../errors.js'
import {EngineAbortError, engineMessage, engineRequestFailed, engineStatusCode} from './engine-errors.js'
import {OutputTail, quoteTail} from './output-tail.js'

export interface BindMount {
  /** Absolute path on the engine's host. It must exist. */
  host: string
  /** Absolute path inside the container. */
  container: string
  readOnly?: boolean
}

export type NetworkMode = 'none' | 'bridge' | 'host'

export interface RunSpec {
  image: string
  cmd: string[]
  /** `uid[:gid]` or a user name known to the image. Default: the image's user. */
  user?: string
  env?: Record<string, string>
  workdir?: string
  mounts?: BindMount[]
  /** Default `none`: builds get no network. */
  network?: NetworkMode
  /** Added to the `dev.twoliter.run=1` label every twoliter container carries. */
  labels?: Record<string, string>
  name?: string
}

export type OutputStream = 'stdout' | 'stderr'

export interface RunOptions {
  /** Receives the container's output as it comes, decoded as UTF-8, in chunks (not necessarily lines). */
  onOutput?: (text: string, stream: OutputStream) => void
  /** Aborting kills and removes the container; the run then rejects with an EngineAbortError. */
  signal?: AbortSignal
}

export interface RunResult {
  exitCode: number
  /** The last lines of stdout and stderr together. */
  tail: string
}

/** What the Engine lends a run: the labels every container carries and a hook to count creations. */
export interface RunContext {
  labels: Record<string, string>
  onCreated: () => void
}

// A container's output stream ends right after it exits; this only guards against a stream that never ends.
const OUTPUT_DRAIN_TIMEOUT_MS = 10_000

/** Creates, starts and waits for one container, and removes it whatever happens. */
export async function runContainer(docker: Docker, spec: RunSpec, options: RunOptions, context: RunContext): Promise<RunResult> {
  const what = `The container ${describeRun(spec)}`
  if (options.signal?.aborted) throw new EngineAbortError(what, options.signal.reason)
  checkMounts(spec.mounts ?? [])

  let container: Docker.Container
  try {
    container = await docker.createContainer(createOptions(spec, context.labels))
  } catch (error) {
    throw engineStatusCode(error) === 404
      ? new TwoliterError(`The image ${spec.image} is not in the Docker engine.`, {
          hint: 'Build or pull it first (for the local SDK: `twoliter sdk build-local`).',
          code: 'engine.no-image',
          cause: error,
        })
      : engineRequestFailed(`Creating a container from ${spec.image}`, error)
  }

  context.onCreated()
  const abort = abortion(options.signal, what)
  const work = attachStartAndWait(container, docker, spec, options)
  // The race below may settle on the abort first; the run's own failure after that is of no interest.
  work.catch(() => {})
  try {
    return await Promise.race([work, abort.promise])
  } finally {
    abort.dispose()
    await removeContainer(container)
  }
}

async function attachStartAndWait(container: Docker.Container, docker: Docker, spec: RunSpec, options: RunOptions): Promise<RunResult> {
  const tail = new OutputTail()
  const sinks = {stdout: textSink('stdout', tail, options), stderr: textSink('stderr', tail, options)}
  let output: NodeJS.ReadableStream
  try {
    output = await container.attach({stream: true, stdout: true, stderr: true})
  } catch (error) {
    throw engineRequestFailed(`Attaching to the container ${describeRun(spec)}`, error)
  }

  const drained = new Promise<void>((resolve) => {
    output.once('end', resolve)
    output.once('close', resolve)
    output.once('error', () => resolve())
  })
  docker.modem.demuxStream(output, sinks.stdout, sinks.stderr)

  try {
    await container.start()
  } catch (error) {
    throw new TwoliterError(`The container ${describeRun(spec)} could not start: ${engineMessage(error)}.`, {
      hint: 'Check that the command exists in the image and that every mounted host path exists.',
      code: 'engine.start',
      cause: error,
    })
  }

  let exitCode: number
  try {
    const status = (await container.wait()) as {StatusCode: number}
    exitCode = status.StatusCode
  } catch (error) {
    throw engineRequestFailed(`Waiting for the container ${describeRun(spec)}`, error)
  }

  await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, OUTPUT_DRAIN_TIMEOUT_MS).unref())])
  sinks.stdout.end()
  sinks.stderr.end()
  return {exitCode, tail: tail.text()}
}

/** A writable that decodes one of the container's streams and hands the text on. */
function textSink(stream: OutputStream, tail: OutputTail, options: RunOptions): Writable {
  const decoder = new TextDecoder()
  const deliver = (text: string): void => {
    if (text === '') return
    tail.push(text)
    options.onOutput?.(text, stream)
  }

  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      deliver(decoder.decode(chunk, {stream: true}))
      callback()
    },
    final(callback) {
      deliver(decoder.decode())
      callback()
    },
  })
}

function createOptions(spec: RunSpec, labels: Record<string, string>): Docker.ContainerCreateOptions {
  return {
    Image: spec.image,
    Cmd: spec.cmd,
    ...(spec.name === undefined ? {} : {name: spec.name}),
    ...(spec.user === undefined ? {} : {User: spec.user}),
    ...(spec.workdir === undefined ? {} : {WorkingDir: spec.workdir}),
    Env: Object.entries(spec.env ?? {}).map(([key, value]) => `${key}=${value}`),
    Labels: {...spec.labels, ...labels},
    Tty: false,
    AttachStdin: false,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: false,
    HostConfig: {
      NetworkMode: spec.network ?? 'none',
      // A real init reaps the zombies that rpmbuild and dnf leave behind and forwards signals.
      Init: true,
      Mounts: (spec.mounts ?? []).map((mount) => ({
        Type: 'bind' as const,
        Source: mount.host,
        Target: mount.container,
        ReadOnly: mount.readOnly ?? false,
      })),
    },
  }
}

function checkMounts(mounts: BindMount[]): void {
  for (const mount of mounts) {
    if (!path.isAbsolute(mount.host) || !path.posix.isAbsolute(mount.container)) {
      throw new TwoliterError(`Cannot mount ${mount.host} at ${mount.container}: both paths must be absolute.`, {
        hint: 'This is a bug in twoliter or in a plugin: report it with the command you ran.',
        code: 'engine.mount',
      })
    }
  }
}

/** A promise that rejects when the signal fires, and a way to stop listening. */
function abortion(signal: AbortSignal | undefined, what: string): {promise: Promise<never>; dispose: () => void} {
  if (signal === undefined) return {promise: new Promise<never>(() => {}), dispose() {}}
  let listener = (): void => {}
  const promise = new Promise<never>((_resolve, reject) => {
    listener = () => reject(new EngineAbortError(what, signal.reason))
    if (signal.aborted) listener()
    else signal.addEventListener('abort', listener, {once: true})
  })
  promise.catch(() => {})
  return {promise, dispose: () => signal.removeEventListener('abort', listener)}
}

/** Kills (when still running) and removes the container; one that is already gone is fine. */
export async function removeContainer(container: Docker.Container): Promise<void> {
  try {
    await container.remove({force: true, v: true})
  } catch (error) {
    const status = engineStatusCode(error)
    // 404: already gone; 409: the engine is removing it already.
    if (status !== 404 && status !== 409) throw engineRequestFailed(`Removing the container ${container.id.slice(0, 12)}`, error)
  }
}

function describeRun(spec: RunSpec): string {
  const name = spec.name === undefined ? '' : ` (${spec.name})`
  const cmd = spec.cmd.join(' ')
  return `${spec.image}${name} running \`${cmd.length > 80 ? `${cmd.slice(0, 77)}...` : cmd}\``
}

export function describeFailure(spec: RunSpec, result: RunResult, description?: string): TwoliterError {
  return new TwoliterError(
    `${description ?? `The container ${describeRun(spec)}`} failed with exit code ${result.exitCode}. Its last lines of output:\n${quoteTail(result.tail)}`,
    {code: 'engine.container-failed'},
  )
}
