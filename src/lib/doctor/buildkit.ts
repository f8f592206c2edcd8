import {randomBytes} from 'node:crypto'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {Engine, EngineVersion} from '../engine/index.js'
import {type CheckResult, defineCheck, describeError} from './check.js'

export const BUILDKIT_CHECK = defineCheck('buildkit', 'BuildKit')

type ApiVersion = [major: number, minor: number]

const MIN_API: ApiVersion = [1, 39]

/**
 * The first engine API whose builds can use BuildKit without the daemon's experimental mode (Docker 18.09).
 * Engines do not report BuildKit's version: /version and /info have no field for it, and the Builder-Version
 * header of /_ping only says which builder the engine recommends (Docker 20.10 leaves it out), while
 * twoliter asks for BuildKit on every build anyway.
 */
export const BUILDKIT_MIN_API = MIN_API.join('.')

const UPGRADE_FIX = 'Use Docker 18.09 or later (on Debian: `apt-get install docker.io`), or set DOCKER_HOST to such an engine: twoliter builds every image with BuildKit.'

/** What the engine's version says about BuildKit, without building anything. */
export function checkBuildkitSupport(version: EngineVersion): CheckResult {
  if (version.os !== 'linux') {
    return BUILDKIT_CHECK.fail(
      `the engine runs ${version.os} containers, and twoliter builds Linux images with BuildKit.`,
      'Switch the engine to Linux containers, or set DOCKER_HOST to a Linux engine.',
    )
  }

  const api = parseApiVersion(version.apiVersion)
  if (api === undefined) {
    return BUILDKIT_CHECK.warn(
      `the engine reports API version '${version.apiVersion}', which twoliter cannot compare with ${BUILDKIT_MIN_API}.`,
      'Run `twoliter doctor --deep` to try a real build; if it fails, use Docker 18.09 or later.',
    )
  }

  if (compareApiVersions(api, MIN_API) < 0) {
    return BUILDKIT_CHECK.fail(`the engine's API ${version.apiVersion} is older than ${BUILDKIT_MIN_API}, the first with BuildKit.`, UPGRADE_FIX)
  }

  return BUILDKIT_CHECK.ok(`the engine's API ${version.apiVersion} (>= ${BUILDKIT_MIN_API}) builds with BuildKit; not tried: --deep builds a probe image`)
}

/** How a probe build went, as `probeBuildkit` saw it. */
export interface ProbeBuild {
  /** The build's output lines, as Engine.buildImage renders them. */
  lines: string[]
  durationMs: number
  error?: unknown
}

/** Whether a probe build proves that BuildKit works: it succeeded, and BuildKit's trace came with it. */
export function judgeProbeBuild(build: ProbeBuild): CheckResult {
  if (build.error !== undefined) {
    const {detail, fix} = describeError(build.error, UPGRADE_FIX)
    return BUILDKIT_CHECK.fail(detail, fix)
  }

  // BuildKit's steps come as `#N <step>` lines; the classic builder says `Step 1/2 : ...` instead.
  if (!build.lines.some((line) => /^#\d+ /.test(line))) {
    return BUILDKIT_CHECK.warn(
      'the probe image was built, but not by BuildKit: the engine ignored the request for it (the classic builder, or an engine that only imitates the Docker API).',
      UPGRADE_FIX,
    )
  }

  return BUILDKIT_CHECK.ok(`built a probe image with BuildKit in ${build.durationMs} ms`)
}

/**
 * Builds a one-file image FROM scratch (nothing to pull, no network) without cache, then removes it. Only
 * BuildKit's cache keeps a trace of it, a few bytes.
 */
export async function probeBuildkit(engine: Engine): Promise<CheckResult> {
  const context = await mkdtemp(path.join(tmpdir(), 'twoliter-doctor-'))
  const tag = `twoliter-doctor-probe:${randomBytes(6).toString('hex')}`
  const lines: string[] = []
  const started = Date.now()
  try {
    await writeFile(path.join(context, 'Dockerfile'), 'FROM scratch\nCOPY probe /probe\n')
    await writeFile(path.join(context, 'probe'), `${tag}\n`)
    await engine.buildImage({context, tag, noCache: true}, {onOutput: (line) => lines.push(line)})
    return judgeProbeBuild({lines, durationMs: Date.now() - started})
  } catch (error) {
    return judgeProbeBuild({lines, durationMs: Date.now() - started, error})
  } finally {
    // A probe image that cannot be removed is harmless; the report is about the build.
    await engine.removeImage(tag, {force: true}).catch(() => false)
    await rm(context, {recursive: true, force: true})
  }
}

function parseApiVersion(text: string): ApiVersion | undefined {
  const match = /^(\d+)\.(\d+)$/.exec(text.trim())
  return match ? [Number(match[1]), Number(match[2])] : undefined
}

function compareApiVersions(a: ApiVersion, b: ApiVersion): number {
  return a[0] - b[0] || a[1] - b[1]
}
