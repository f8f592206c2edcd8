import {expect} from 'chai'
import {mkdir, mkdtemp, realpath, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {TwoliterError} from '../../../src/lib/errors.js'
import {PROJECT_FILE} from '../../../src/lib/project/discovery.js'
import type {Project} from '../../../src/lib/project/project.js'
import {loadProject} from '../../../src/lib/project/twoliter-toml.js'
import {Logger} from '../../../src/lib/ui/logger.js'

export const PROJECT_FIXTURES = fileURLToPath(new URL('../../fixtures/project/', import.meta.url))

export function fixture(name: string): string {
  return path.join(PROJECT_FIXTURES, name)
}

/** A logger that keeps every line it would print, at every level. */
export function recordingLogger(): {logger: Logger; lines: string[]} {
  const lines: string[] = []
  return {logger: new Logger('trace', {write: (line) => lines.push(line)}), lines}
}

export async function loadProjectIn(root: string, logger = recordingLogger().logger): Promise<Project> {
  return loadProject({file: path.join(root, PROJECT_FILE), root}, logger)
}

/**
 * Temporary directories for one test file, removed after each test. `create` writes the given files
 * (paths relative to the new directory) and returns the directory's real path.
 */
export function temporaryDirectories(): {create(files?: Record<string, string>): Promise<string>} {
  const created: string[] = []
  afterEach(async () => {
    await Promise.all(created.splice(0).map((dir) => rm(dir, {recursive: true, force: true})))
  })
  return {
    async create(files = {}) {
      const dir = await realpath(await mkdtemp(path.join(tmpdir(), 'twoliter-test-')))
      created.push(dir)
      for (const [name, content] of Object.entries(files)) {
        await mkdir(path.dirname(path.join(dir, name)), {recursive: true})
        await writeFile(path.join(dir, name), content)
      }

      return dir
    },
  }
}

/** Awaits `promise`, expecting a TwoliterError with `code`, and returns it for further checks. */
export async function expectTwoliterError(promise: Promise<unknown>, code: string): Promise<TwoliterError> {
  let outcome: unknown
  try {
    await promise
  } catch (error) {
    outcome = error
  }

  expect(outcome, 'expected the promise to reject').to.be.instanceOf(TwoliterError)
  const error = outcome as TwoliterError
  expect(error.code, error.message).to.equal(code)
  return error
}

/** Like expectTwoliterError, for code that throws synchronously. */
export function expectThrownTwoliterError(action: () => unknown, code: string): TwoliterError {
  let outcome: unknown
  try {
    action()
  } catch (error) {
    outcome = error
  }

  expect(outcome, 'expected a TwoliterError to be thrown').to.be.instanceOf(TwoliterError)
  const error = outcome as TwoliterError
  expect(error.code, error.message).to.equal(code)
  return error
}

/** The 1-based number of the first line of `text` that contains `needle`. */
export function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle))
  if (index === -1) throw new Error(`'${needle}' is not in the text`)
  return index + 1
}
