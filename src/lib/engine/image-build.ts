import {readdir} from 'node:fs/promises'
import path from 'node:path'

import type Docker from 'dockerode'

import {TwoliterError} from '../errors.js'
import {TraceRenderer, decodeTraceStatus} from './buildkit-trace.js'
import type {NetworkMode} from './container-run.js'
import {EngineAbortError, engineRequestFailed} from './engine-errors.js'
import {OutputTail, quoteTail} from './output-tail.js'

export interface ImageBuildSpec {
  /** The build context: a directory sent to the engine whole. */
  context: string
  /** Relative to the context. Default `Dockerfile`. */
  dockerfile?: string
  tag: string
  buildArgs?: Record<string, string>
  labels?: Record<string, string>
  target?: string
  noCache?: boolean
  /** Network of RUN steps. Default `none`. */
  network?: NetworkMode
}

export interface ImageBuildOptions {
  /** Receives the build's progress and the output of its steps, one line at a time. */
  onOutput?: (line: string) => void
  signal?: AbortSignal
}

export interface ImageBuildResult {
  /** `sha256:<hex>` */
  id: string
  tag: string
}

interface BuildMessage {
  id?: string
  aux?: unknown
  stream?: string
  status?: string
  error?: string
  errorDetail?: {message?: string}
}

/**
 * Builds an image with BuildKit (the engine API's builder version 2), which works through dockerode against
 * Docker 20.10 and later, needs no network for FROM images the engine already has, and leaves no
 * intermediate containers behind.
 */
export async function buildImageFromContext(docker: Docker, spec: ImageBuildSpec, options: ImageBuildOptions): Promise<ImageBuildResult> {
  const what = `Building the image ${spec.tag}`
  if (options.signal?.aborted) throw new EngineAbortError(what, options.signal.reason)
  const tail = new OutputTail()
  const emit = (line: string): void => {
    tail.push(`${line}\n`)
    options.onOutput?.(line)
  }

  let stream: NodeJS.ReadableStream
  try {
    stream = await docker.buildImage(
      {context: spec.context, src: await listContext(spec.context)},
      {
        t: spec.tag,
        dockerfile: spec.dockerfile ?? 'Dockerfile',
        version: '2',
        networkmode: spec.network ?? 'none',
        rm: true,
        forcerm: true,
        ...(spec.buildArgs === undefined ? {} : {buildargs: spec.buildArgs}),
        ...(spec.labels === undefined ? {} : {labels: spec.labels}),
        ...(spec.target === undefined ? {} : {target: spec.target}),
        ...(spec.noCache ? {nocache: true} : {}),
        ...(options.signal === undefined ? {} : {abortSignal: options.signal}),
      },
    )
  } catch (error) {
    if (options.signal?.aborted) throw new EngineAbortError(what, options.signal.reason)
    throw engineRequestFailed(what, error)
  }

  let result: {imageId?: string; error?: string}
  try {
    result = await readBuildStream(stream, emit)
  } catch (error) {
    if (options.signal?.aborted) throw new EngineAbortError(what, options.signal.reason)
    throw engineRequestFailed(what, error)
  }

  if (options.signal?.aborted) throw new EngineAbortError(what, options.signal.reason)
  if (result.error !== undefined || result.imageId === undefined) {
    throw new TwoliterError(`${what} failed: ${result.error ?? 'the engine reported no image'}. The last lines of the build:\n${quoteTail(tail.text())}`, {
      code: 'engine.build-failed',
    })
  }

  return {id: result.imageId, tag: spec.tag}
}

/** Reads the engine's JSON lines until the end: BuildKit traces, the image id, the error if any. */
function readBuildStream(stream: NodeJS.ReadableStream, emit: (line: string) => void): Promise<{imageId?: string; error?: string}> {
  const renderer = new TraceRenderer(emit)
  const result: {imageId?: string; error?: string} = {}
  let buffered = ''

  const handle = (line: string): void => {
    if (line.trim() === '') return
    let message: BuildMessage
    try {
      message = JSON.parse(line) as BuildMessage
    } catch {
      emit(line)
      return
    }

    if (message.id === 'moby.buildkit.trace' && typeof message.aux === 'string') {
      renderer.render(decodeTraceStatus(message.aux))
    } else if (message.error !== undefined || message.errorDetail !== undefined) {
      result.error = (message.errorDetail?.message ?? message.error ?? 'unknown error').trim()
    } else if (isImageId(message.aux)) {
      result.imageId = message.aux.ID
    } else if (typeof message.stream === 'string') {
      for (const text of message.stream.split('\n')) if (text.trim() !== '') emit(text)
    }
  }

  return new Promise((resolve, reject) => {
    stream.on('data', (chunk: Buffer | string) => {
      const lines = (buffered + chunk.toString()).split('\n')
      buffered = lines.pop() ?? ''
      for (const line of lines) handle(line)
    })
    stream.once('error', reject)
    const finish = (): void => {
      handle(buffered)
      buffered = ''
      renderer.flush()
      resolve(result)
    }

    stream.once('end', finish)
    // An aborted request closes without an end.
    stream.once('close', finish)
  })
}

function isImageId(aux: unknown): aux is {ID: string} {
  return typeof aux === 'object' && aux !== null && typeof (aux as {ID?: unknown}).ID === 'string'
}

/** Every file below the context directory, as relative POSIX paths (dockerode tars exactly these). */
async function listContext(context: string): Promise<string[]> {
  const entries = await readdir(context, {recursive: true, withFileTypes: true})
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(context, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .sort()
}
