import {type KeyPath} from '../toml/document.js'
import {type Advice, type TableReader, type Wording, describeValue} from '../toml/table-reader.js'
import {strictSemverProblem} from './semver.js'

/** How problems in Twoliter.toml, Twoliter.lock and Twoliter.override are put into words. */
export const PROJECT_WORDING: Wording = {
  keyName: describeKey,
  missingKey: (tablePath, key) => `${describeKey([...tablePath, key])} is missing.`,
  wrongType: wrongTypeMessage,
  wrongItem: (arrayPath, index, expected, item) => wrongTypeMessage([...arrayPath, index], expected.item, item),
  codes: {missingKey: 'toml.missing-key', invalidValue: 'toml.wrong-type'},
}

function wrongTypeMessage(path: KeyPath, expected: string, value: unknown): string {
  return `${describeKey(path)} must be ${expected}, but it is ${describeValue(value)}.`
}

/** An integer as written in the file: `1.0` is a float even though JavaScript reads it as 1. */
export function requiredInteger(table: TableReader, key: string, advice: Advice): bigint {
  const value = table.required(key, advice)
  if (typeof value === 'bigint') return value
  throw table.wrongType(key, value, 'an integer', advice)
}

/** A name of an SDK, kit or vendor: non-empty, only letters, digits, '-' and '_' (as twoliter 0.5). */
export function requiredIdentifier(table: TableReader, key: string, example: string): string {
  return checkIdentifier(table, key, table.requiredString(key, {example}))
}

/** `name`, written at `key` (as its value, or as the key itself for vendor tables), as an identifier. */
export function checkIdentifier(table: TableReader, key: string, name: string): string {
  const problem = identifierProblem(name)
  if (problem === undefined) return name
  throw table.error(key, `${table.keyName(key)} is not a valid identifier: ${problem}.`, {
    hint: 'Names of SDKs, kits and vendors may only contain letters, digits, \'-\' and \'_\'.',
    code: 'project.invalid-identifier',
  })
}

/** A strict semver version string (see semver.ts). */
export function requiredVersion(table: TableReader, key: string): string {
  const version = table.requiredString(key, {example: `${key} = "1.2.3"`})
  const problem = strictSemverProblem(version)
  if (problem === undefined) return version
  throw table.error(key, `${table.keyName(key)} '${version}' is not a valid version: ${problem}.`, {
    hint: 'Write a semantic version MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD] without a \'v\' prefix, e.g. "1.2.3".',
    code: 'project.invalid-version',
  })
}

export function identifierProblem(name: string): string | undefined {
  if (name === '') return 'it is empty'
  for (const character of name) {
    if (!/^[A-Za-z0-9_-]$/.test(character)) return `invalid character ${JSON.stringify(character)} in '${name}'`
  }

  return undefined
}

/** A key path in words, e.g. `version` of the 2nd [[kit]], `registry` in [vendor.bottlerocket]. */
export function describeKey(path: KeyPath): string {
  const key = path.at(-1)
  const parent = path.slice(0, -1)
  if (typeof key === 'number') return `the ${ordinal(key + 1)} [[${parent.join('.')}]] entry`
  if (parent.length === 0) return `\`${key}\``
  const arrayIndex = parent.findLastIndex((part) => typeof part === 'number')
  if (arrayIndex === parent.length - 1) {
    return `\`${key}\` of the ${ordinal(Number(parent[arrayIndex]) + 1)} [[${parent.slice(0, -1).join('.')}]]`
  }

  return `\`${key}\` in [${parent.join('.')}]`
}

export function ordinal(n: number): string {
  const tens = n % 100
  if (tens >= 11 && tens <= 13) return `${n}th`
  const suffix = ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'
  return `${n}${suffix}`
}
