import type {TomlTable, TomlValue} from 'smol-toml'

import {TwoliterError} from '../errors.js'
import type {Logger} from '../ui/logger.js'
import {type KeyPath, type TomlDocument, findLikelyTypos, isTable, locate} from './document.js'

/**
 * How the messages about one kind of file put the problems a reader finds into words. The project's files
 * and the Cargo manifests keep the wording they have always had, since users and scripts rely on it.
 */
export interface Wording {
  /** How messages name the key, or the array entry, at `path`. */
  keyName(path: KeyPath): string
  /** The message for a required `key` that the table at `tablePath` lacks. */
  missingKey(tablePath: KeyPath, key: string): string
  /** The message for `value` at `path` not being `expected`, e.g. "a string". */
  wrongType(path: KeyPath, expected: string, value: TomlValue): string
  /** The message for entry `index` of the array at `arrayPath` not being what the array must hold. */
  wrongItem(arrayPath: KeyPath, index: number, expected: ArrayExpectation, item: TomlValue): string
  /** Error codes for a missing key and for a wrong value; the latter is also `error()`'s default. */
  codes: {missingKey: string; invalidValue: string}
  /** Appended to every hint, e.g. that a generated file should be regenerated rather than edited. */
  fileAdvice?: string
}

/** What an array must hold, said of the whole array ("an array of strings") and of one entry ("a string"). */
export interface ArrayExpectation {
  array: string
  item: string
}

/** What the hints tell the user to write. */
export interface Advice {
  /** A correct line, e.g. `name = "bottlerocket-sdk"`, shown when the key is missing or its value is wrong. */
  example?: string
  /** The hint when the key is missing, instead of one made from `example`. */
  ifMissing?: string
}

export interface StringOptions extends Advice {
  /** A form the string must have. */
  pattern?: RegExp
  /** The form in words, for messages: "the 128 hexadecimal characters of a SHA-512 digest". */
  patternText?: string
}

/** Where an error points, relative to a reader's table: a key, a deeper key path, or the table itself. */
export type Place = KeyPath[number] | KeyPath | undefined

/**
 * Typed access to one table of a parsed TOML file. Every wrong or missing value becomes a TwoliterError that
 * points at the key's line and says what to write instead; sub-readers for sub-tables and arrays of tables
 * know their own key path, so their errors point just as precisely.
 */
export class TableReader {
  private constructor(
    readonly document: TomlDocument,
    readonly table: TomlTable,
    readonly path: KeyPath,
    private readonly wording: Wording,
  ) {}

  static root(document: TomlDocument, wording: Wording): TableReader {
    return new TableReader(document, document.data, [], wording)
  }

  has(key: string): boolean {
    return Object.hasOwn(this.table, key)
  }

  /** How messages name `place` (this table itself when it is undefined). */
  keyName(place?: Place): string {
    return this.wording.keyName(this.pathTo(place))
  }

  /** A located error about `place`. A place may go deeper than the table's values, e.g. `['version', 'workspace']`. */
  error(place: Place, message: string, options: {hint?: string; code?: string} = {}): TwoliterError {
    const hint = [options.hint, this.wording.fileAdvice].filter(Boolean).join(' ')
    return new TwoliterError(message, {
      location: locate(this.document, this.pathTo(place)),
      hint: hint || undefined,
      code: options.code ?? this.wording.codes.invalidValue,
    })
  }

  /** The value of `key`; an error pointing at this table when there is none. */
  required(key: string, advice: Advice): TomlValue {
    if (this.has(key)) return this.table[key]
    const addIt = advice.example === undefined ? undefined : `Add it, e.g. \`${advice.example}\`.`
    throw this.error(undefined, this.wording.missingKey(this.path, key), {
      hint: advice.ifMissing ?? addIt,
      code: this.wording.codes.missingKey,
    })
  }

  /** The error for `value`, at `key`, not being `expected` (e.g. "a string"). */
  wrongType(key: string, value: TomlValue, expected: string, advice: Advice = {}): TwoliterError {
    return this.error(key, this.wording.wrongType(this.pathTo(key), expected, value), {
      hint: writeItLike(advice) ?? 'Change the value and run the command again.',
    })
  }

  string(key: string, options: StringOptions = {}): string | undefined {
    return this.has(key) ? this.checkString(key, this.table[key], options) : undefined
  }

  requiredString(key: string, options: StringOptions): string {
    return this.checkString(key, this.required(key, options), options)
  }

  boolean(key: string): boolean | undefined {
    if (!this.has(key)) return undefined
    const value = this.table[key]
    if (typeof value !== 'boolean') throw this.wrongType(key, value, 'true or false')
    return value
  }

  /** A whole number from `min` to `max`. */
  integer(key: string, min: number, max: number): number | undefined {
    if (!this.has(key)) return undefined
    const value = this.table[key]
    if (typeof value !== 'bigint' || value < BigInt(min) || value > BigInt(max)) {
      throw this.wrongType(key, value, `a whole number from ${min} to ${max}`)
    }

    return Number(value)
  }

  oneOf<T extends string>(key: string, options: readonly T[]): T | undefined {
    if (!this.has(key)) return undefined
    const value = this.table[key]
    if (!isOneOf(value, options)) throw this.wrongType(key, value, `one of ${quoteList(options)}`)
    return value
  }

  stringArray(key: string): string[] | undefined {
    return this.array(key, {array: 'an array of strings', item: 'a string'}, (item): item is string => typeof item === 'string')
  }

  oneOfArray<T extends string>(key: string, options: readonly T[]): T[] | undefined {
    const expected = {array: `an array of ${quoteList(options)}`, item: `one of ${quoteList(options)}`}
    return this.array(key, expected, (item): item is T => isOneOf(item, options))
  }

  subTable(key: string, advice: Advice = {}): TableReader | undefined {
    return this.has(key) ? this.tableReader(key, this.table[key], advice) : undefined
  }

  requiredSubTable(key: string, advice: Advice = {}): TableReader {
    return this.tableReader(key, this.required(key, advice), advice)
  }

  /** The `[[key]]` entries; a missing key is an empty list, like `key = []`. */
  arrayOfTables(key: string, advice: Advice = {}): TableReader[] {
    const tables = this.array(key, {array: 'an array of tables', item: 'a table'}, isTable, advice) ?? []
    return tables.map((table, index) => new TableReader(this.document, table, [...this.path, key, index], this.wording))
  }

  /** Unknown keys are ignored, but one that looks like a typo of a `known` key deserves a warning. */
  warnAboutTypos(known: readonly string[], logger: Logger): void {
    for (const message of findLikelyTypos(this.document, this.table, this.path, known)) logger.warn(message)
  }

  private pathTo(place: Place): KeyPath {
    if (place === undefined) return this.path
    return typeof place === 'object' ? [...this.path, ...place] : [...this.path, place]
  }

  private checkString(key: string, value: TomlValue, options: StringOptions): string {
    if (typeof value !== 'string') throw this.wrongType(key, value, 'a string', options)
    if (options.pattern && !options.pattern.test(value)) {
      throw this.error(key, `${this.keyName(key)} = ${JSON.stringify(value)} is not valid: it must be ${options.patternText}.`, {
        hint: 'Change the value and run the command again.',
      })
    }

    return value
  }

  private tableReader(key: string, value: TomlValue, advice: Advice): TableReader {
    if (!isTable(value)) throw this.wrongType(key, value, 'a table', advice)
    return new TableReader(this.document, value, [...this.path, key], this.wording)
  }

  private array<T extends TomlValue>(
    key: string,
    expected: ArrayExpectation,
    isItem: (item: TomlValue) => item is T,
    advice: Advice = {},
  ): T[] | undefined {
    if (!this.has(key)) return undefined
    const value = this.table[key]
    if (!Array.isArray(value)) throw this.wrongType(key, value, expected.array, advice)
    if (value.every(isItem)) return value
    const index = value.findIndex((item) => !isItem(item))
    throw this.error([key, index], this.wording.wrongItem(this.pathTo(key), index, expected, value[index]), {
      hint: writeItLike(advice) ?? 'Change that item and run the command again.',
    })
  }
}

function writeItLike(advice: Advice): string | undefined {
  return advice.example === undefined ? undefined : `Write it like \`${advice.example}\`.`
}

function isOneOf<T extends string>(value: TomlValue, options: readonly T[]): value is T {
  return typeof value === 'string' && (options as readonly string[]).includes(value)
}

/**
 * A value as messages show it: its type and, for a single value, the value itself, e.g. `an integer (5)`;
 * `bare` leaves the type out of the latter (`5`, `"text"`). Arrays, tables and dates are named by type.
 */
export function describeValue(value: unknown, form: 'typed' | 'bare' = 'typed'): string {
  const written = writtenValue(value)
  if (written === undefined) return typeName(value)
  return form === 'bare' ? written : `${typeName(value)} (${written})`
}

/** A string, number or boolean as messages quote it; undefined for the other types. */
function writtenValue(value: unknown): string | undefined {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number') return Number.isInteger(value) ? value.toFixed(1) : String(value)
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value)
  return undefined
}

function typeName(value: unknown): string {
  if (typeof value === 'string') return 'a string'
  if (typeof value === 'number') return 'a float'
  if (typeof value === 'bigint') return 'an integer'
  if (typeof value === 'boolean') return 'a boolean'
  if (Array.isArray(value)) return 'an array'
  if (isTable(value)) return 'a table'
  if (value instanceof Date) return 'a date-time'
  return 'a value of another type'
}

export function quoteList(values: readonly string[]): string {
  return values.map((value) => `"${value}"`).join(', ')
}
