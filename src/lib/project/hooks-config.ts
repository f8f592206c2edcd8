/**
 * The project's own hook steps: our Twoliter.toml extension table `[hooks]` (twoliter 0.5 ignores it), which
 * maps each lifecycle point to the commands that run there, in order.
 */

import type {TomlValue} from 'smol-toml'

import {type SourceLocation, TwoliterError} from '../errors.js'
import {locate, suggestKey} from '../toml/document.js'
import {tableLayout} from '../toml/table-layout.js'
import {TableReader, describeValue} from '../toml/table-reader.js'
import {PROJECT_WORDING, describeKey, ordinal} from './fields.js'
import type {Project} from './project.js'

/** The points where steps can run. Those of kits and variants are read now and run once twoliter builds and publishes them. */
export const HOOK_POINTS = [
  'pre-build-package',
  'post-build-package',
  'pre-build-kit',
  'post-build-kit',
  'pre-build-variant',
  'post-build-variant',
  'pre-publish-kit',
  'post-publish-kit',
] as const
export type HookPoint = (typeof HOOK_POINTS)[number]

/**
 * `argv`: a program and its arguments, run without a shell (written as an array of strings);
 * `shell`: a script for `/bin/sh -c` (written as a string).
 */
export type HookCommand = {form: 'argv'; program: string; args: string[]} | {form: 'shell'; script: string}

export interface HookStep {
  command: HookCommand
  /** Where the step is written in Twoliter.toml, for messages about it. */
  location: SourceLocation
}

/** The steps of every point, in file order; an empty list for a point the project does not use. */
export type ProjectHooks = Record<HookPoint, HookStep[]>

const EXAMPLE = 'pre-build-package = [["scripts/check.sh", "--fast"], "echo building $TWOLITER_TARGET"]'
const COMMAND_FORMS = 'a string (run with /bin/sh -c) or an array of strings (a program and its arguments, run without a shell)'

export function readHooksConfig(project: Pick<Project, 'document'>): ProjectHooks {
  const hooks = Object.fromEntries(HOOK_POINTS.map((point) => [point, []])) as unknown as ProjectHooks
  const table = TableReader.root(project.document, PROJECT_WORDING).subTable('hooks', {example: `[hooks] ${EXAMPLE}`})
  if (table === undefined) return hooks

  const layout = tableLayout(project.document, table.path)
  for (const [key, value] of Object.entries(table.table)) {
    const written = layout.get(key)
    const keyLocation = written?.key ?? locate(project.document, [...table.path, key])
    const point = checkPoint(key, keyLocation)
    if (!Array.isArray(value)) {
      throw new TwoliterError(PROJECT_WORDING.wrongType([...table.path, point], 'an array of commands', value), {
        location: keyLocation,
        hint: `Write it like \`${EXAMPLE}\`.`,
        code: PROJECT_WORDING.codes.invalidValue,
      })
    }

    // An entry, or a word of one, where it is written; where the layout does not know, at the key.
    const locateEntry = (entry: number[]) => written?.entries.get(entry.join('.')) ?? written?.entries.get(String(entry[0])) ?? keyLocation
    const pointName = describeKey([...table.path, point])
    hooks[point] = value.map((entry, index) => ({
      command: readCommand(`the ${ordinal(index + 1)} command of ${pointName}`, entry, (word) => locateEntry([index, ...word])),
      location: locateEntry([index]),
    }))
  }

  return hooks
}

/** How messages show a command: as written for a shell script, shell-quoted where needed for an argv. */
export function describeCommand(command: HookCommand): string {
  if (command.form === 'shell') return command.script
  return [command.program, ...command.args].map((word) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`)).join(' ')
}

function checkPoint(key: string, location: SourceLocation): HookPoint {
  if ((HOOK_POINTS as readonly string[]).includes(key)) return key as HookPoint
  const suggestion = suggestKey(key, HOOK_POINTS) ?? HOOK_POINTS.find((point) => point.startsWith(`${key}-`))
  const didYouMean = suggestion === undefined ? '' : `Did you mean ${suggestion}? `
  throw new TwoliterError(`[hooks] has no lifecycle point named ${JSON.stringify(key)}.`, {
    location,
    hint: `${didYouMean}The points are ${HOOK_POINTS.join(', ')}.`,
    code: 'project.unknown-hook-point',
  })
}

/** `name` says which command it is in messages; `locate` finds the command (`[]`) or one of its words (`[i]`). */
function readCommand(name: string, entry: TomlValue, locate: (at: number[]) => SourceLocation): HookCommand {
  const fail = (message: string, at: number[] = []) =>
    new TwoliterError(message, {location: locate(at), hint: `Write it like \`${EXAMPLE}\`.`, code: 'project.invalid-hook-command'})

  if (typeof entry === 'string') {
    if (entry.trim() === '') throw fail(`${name} is an empty string: it must be a shell command.`)
    return {form: 'shell', script: entry}
  }

  if (!Array.isArray(entry)) throw fail(`${name} must be ${COMMAND_FORMS}, but it is ${describeValue(entry)}.`)
  if (entry.length === 0) throw fail(`${name} is an empty array: it must name at least the program to run.`)
  const words = entry.map((word, position) => {
    if (typeof word === 'string') return word
    throw fail(`word ${position + 1} of ${name} must be a string, but it is ${describeValue(word)}.`, [position])
  })
  if (words[0] === '') throw fail(`${name} has an empty program name.`, [0])
  return {form: 'argv', program: words[0], args: words.slice(1)}
}
