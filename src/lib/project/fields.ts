import type {TomlTable, TomlValue} from 'smol-toml'

import {TwoliterError} from '../errors.js'
import {type KeyPath, type TomlDocument, isTable, locate} from '../toml/document.js'
import {strictSemverProblem} from './semver.js'

/**
 * Typed access to the values of a parsed TOML file. Every problem becomes a TwoliterError that names the
 * key in words, points at its line, and says what to write instead.
 */
export class FieldReader {
  /**
   * @param fileAdvice appended to every hint, e.g. that a generated file should be regenerated rather
   *   than edited.
   */
  constructor(
    readonly document: TomlDocument,
    private readonly fileAdvice?: string,
  ) {}

  error(path: KeyPath, message: string, options: {hint?: string; code: string}): TwoliterError {
    const hint = [options.hint, this.fileAdvice].filter(Boolean).join(' ')
    return new TwoliterError(message, {location: locate(this.document, path), hint: hint || undefined, code: options.code})
  }

  /** The value at `path` (the last element is its key in `table`); an error when it is missing. */
  required(table: TomlTable, path: KeyPath, example: string): TomlValue {
    const key = String(path.at(-1))
    if (Object.hasOwn(table, key)) return table[key]
    throw this.error(path.slice(0, -1), `${describeKey(path)} is missing.`, {
      hint: `Add it, e.g. \`${example}\`.`,
      code: 'toml.missing-key',
    })
  }

  string(table: TomlTable, path: KeyPath, example: string): string {
    return this.expectString(this.required(table, path, example), path, example)
  }

  optionalString(table: TomlTable, path: KeyPath, example: string): string | undefined {
    const key = String(path.at(-1))
    return Object.hasOwn(table, key) ? this.expectString(table[key], path, example) : undefined
  }

  /** An integer as written in the file: `1.0` is a float even though JavaScript reads it as 1. */
  integer(table: TomlTable, path: KeyPath, example: string): number {
    const value = this.required(table, path, example)
    if (typeof value === 'number' && Number.isInteger(value) && this.writtenAsInteger(path)) return value
    throw this.wrongType(path, value, 'an integer', example)
  }

  optionalTable(table: TomlTable, path: KeyPath, example: string): TomlTable | undefined {
    const key = String(path.at(-1))
    if (!Object.hasOwn(table, key)) return undefined
    const value = table[key]
    if (isTable(value)) return value
    throw this.wrongType(path, value, 'a table', example)
  }

  table(table: TomlTable, path: KeyPath, example: string): TomlTable {
    const value = this.required(table, path, example)
    if (isTable(value)) return value
    throw this.wrongType(path, value, 'a table', example)
  }

  /** `[[key]]` entries; `key = []` is an empty list, a missing key too. */
  arrayOfTables(table: TomlTable, path: KeyPath, example: string): TomlTable[] {
    const key = String(path.at(-1))
    if (!Object.hasOwn(table, key)) return []
    const value = table[key]
    if (!Array.isArray(value)) throw this.wrongType(path, value, 'an array of tables', example)
    return value.map((entry, index) => {
      if (isTable(entry)) return entry
      throw this.wrongType([...path, index], entry, 'a table', example)
    })
  }

  /** A name of an SDK, kit or vendor: non-empty, only letters, digits, '-' and '_' (as twoliter 0.5). */
  identifier(table: TomlTable, path: KeyPath, example: string): string {
    return this.checkIdentifier(this.string(table, path, example), path)
  }

  checkIdentifier(name: string, path: KeyPath): string {
    const problem = identifierProblem(name)
    if (problem === undefined) return name
    throw this.error(path, `${describeKey(path)} is not a valid identifier: ${problem}.`, {
      hint: 'Names of SDKs, kits and vendors may only contain letters, digits, \'-\' and \'_\'.',
      code: 'project.invalid-identifier',
    })
  }

  /** A strict semver version string (see semver.ts). */
  version(table: TomlTable, path: KeyPath): string {
    const version = this.string(table, path, 'version = "1.2.3"')
    const problem = strictSemverProblem(version)
    if (problem === undefined) return version
    throw this.error(path, `${describeKey(path)} '${version}' is not a valid version: ${problem}.`, {
      hint: 'Write a semantic version MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD] without a \'v\' prefix, e.g. "1.2.3".',
      code: 'project.invalid-version',
    })
  }

  wrongType(path: KeyPath, value: unknown, expected: string, example: string): TwoliterError {
    return this.error(path, `${describeKey(path)} must be ${expected}, but it is ${describeValue(value)}.`, {
      hint: `Write it like \`${example}\`.`,
      code: 'toml.wrong-type',
    })
  }

  private expectString(value: TomlValue, path: KeyPath, example: string): string {
    if (typeof value === 'string') return value
    throw this.wrongType(path, value, 'a string', example)
  }

  private writtenAsInteger(path: KeyPath): boolean {
    const {line} = locate(this.document, path)
    if (line === undefined) return true
    const text = this.document.source.split('\n')[line - 1]
    const valueText = text.slice(text.indexOf('=') + 1).replace(/#.*$/, '').trim()
    return /^[+-]?(?:\d[\d_]*|0x[\da-fA-F_]+|0o[0-7_]+|0b[01_]+)$/.test(valueText)
  }
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

export function describeValue(value: unknown): string {
  if (typeof value === 'string') return `a string (${JSON.stringify(value)})`
  if (typeof value === 'number') return Number.isInteger(value) ? `an integer (${value})` : `a float (${value})`
  if (typeof value === 'bigint') return `an integer (${value})`
  if (typeof value === 'boolean') return `a boolean (${value})`
  if (Array.isArray(value)) return 'an array'
  if (isTable(value)) return 'a table'
  if (value instanceof Date) return 'a date-time'
  return 'a value of another type'
}

export function ordinal(n: number): string {
  const tens = n % 100
  if (tens >= 11 && tens <= 13) return `${n}th`
  const suffix = ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'
  return `${n}${suffix}`
}
