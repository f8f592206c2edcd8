import type {TomlTable, TomlValue} from 'smol-toml'

import {TwoliterError} from '../errors.js'
import {type KeyPath, type TomlDocument, findLikelyTypos, isTable, locate} from '../toml/document.js'
import type {Logger} from '../ui/logger.js'

/**
 * Typed access to one table of a Cargo.toml. Every wrong value becomes a TwoliterError that points at the
 * key's line and names the dotted key, so the user can find and fix it without guessing.
 */
export class TableReader {
  constructor(
    readonly document: TomlDocument,
    readonly table: TomlTable,
    readonly path: KeyPath,
  ) {}

  has(key: string): boolean {
    return this.table[key] !== undefined
  }

  keyName(key?: string | number): string {
    const parts = key === undefined ? this.path : [...this.path, key]
    return parts.map((part) => (typeof part === 'number' ? `[${part}]` : part)).join('.').replaceAll('.[', '[')
  }

  /** How messages name this table: `[package.metadata.build-kit]`, or the dotted path of an array item. */
  tableName(): string {
    return typeof this.path.at(-1) === 'number' ? this.keyName() : `[${this.keyName()}]`
  }

  /**
   * A located error about `key` (or about the table itself when `key` is undefined). A key path may go
   * deeper than the table's values, e.g. `['version', 'workspace']` for `version.workspace = true`.
   */
  error(key: KeyPath[number] | KeyPath | undefined, message: string, hint: string, code = 'manifest.invalid-value'): TwoliterError {
    const keyPath = key === undefined ? this.path : [...this.path, ...(Array.isArray(key) ? key : [key])]
    return new TwoliterError(message, {location: locate(this.document, keyPath), hint, code})
  }

  string(key: string, options: {pattern?: RegExp; patternText?: string} = {}): string | undefined {
    const value = this.table[key]
    if (value === undefined) return undefined
    if (typeof value !== 'string') throw this.wrongType(key, value, 'a string')
    if (options.pattern && !options.pattern.test(value)) {
      throw this.error(key, `${this.keyName(key)} = ${JSON.stringify(value)} is not valid: it must be ${options.patternText}.`, 'Change the value and run the command again.')
    }

    return value
  }

  requiredString(key: string, hint: string, options: {pattern?: RegExp; patternText?: string} = {}): string {
    const value = this.string(key, options)
    if (value === undefined) {
      throw this.error(undefined, `${this.tableName()} has no ${key}.`, hint, 'manifest.missing-key')
    }

    return value
  }

  boolean(key: string): boolean | undefined {
    const value = this.table[key]
    if (value === undefined) return undefined
    if (typeof value !== 'boolean') throw this.wrongType(key, value, 'true or false')
    return value
  }

  integer(key: string, min: number, max: number): number | undefined {
    const value = this.table[key]
    if (value === undefined) return undefined
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
      throw this.wrongType(key, value, `a whole number from ${min} to ${max}`)
    }

    return value
  }

  oneOf<T extends string>(key: string, options: readonly T[]): T | undefined {
    const value = this.table[key]
    if (value === undefined) return undefined
    if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
      throw this.wrongType(key, value, `one of ${quoteList(options)}`)
    }

    return value as T
  }

  stringArray(key: string): string[] | undefined {
    return this.array(key, 'strings', (item): item is string => typeof item === 'string')
  }

  oneOfArray<T extends string>(key: string, options: readonly T[]): T[] | undefined {
    const isOption = (item: TomlValue): item is T => typeof item === 'string' && (options as readonly string[]).includes(item)
    return this.array(key, quoteList(options), isOption)
  }

  subTable(key: string): TableReader | undefined {
    const value = this.table[key]
    if (value === undefined) return undefined
    if (!isTable(value)) throw this.wrongType(key, value, 'a table')
    return new TableReader(this.document, value, [...this.path, key])
  }

  arrayOfTables(key: string): TableReader[] {
    const value = this.table[key]
    if (value === undefined) return []
    if (!Array.isArray(value) || !value.every((item) => isTable(item))) {
      throw this.wrongType(key, value, `an array of tables ([[${this.keyName(key)}]])`)
    }

    return value.map((item, index) => new TableReader(this.document, item as TomlTable, [...this.path, key, index]))
  }

  /** Rejects a key the Rust twoliter once knew and now refuses. */
  rejectRemoved(key: string, why: string, hint: string): void {
    if (this.has(key)) {
      throw this.error(key, `${this.keyName(key)} is no longer supported: ${why}`, hint, 'manifest.removed-key')
    }
  }

  /** Unknown keys are ignored as the Rust twoliter does, but one that looks like a typo deserves a warning. */
  warnAboutTypos(known: readonly string[], logger: Logger): void {
    for (const message of findLikelyTypos(this.document, this.table, this.path, known)) logger.warn(message)
  }

  private array<T extends TomlValue>(key: string, itemText: string, isItem: (item: TomlValue) => item is T): T[] | undefined {
    const value = this.table[key]
    if (value === undefined) return undefined
    if (!Array.isArray(value)) throw this.wrongType(key, value, `an array of ${itemText}`)
    const bad = value.findIndex((item) => !isItem(item))
    if (bad !== -1) {
      throw this.error(
        key,
        `${this.keyName(key)} must be an array of ${itemText}, but item ${bad + 1} is ${describeValue(value[bad])}.`,
        'Change that item and run the command again.',
      )
    }

    return value as T[]
  }

  private wrongType(key: string, value: TomlValue, expected: string): TwoliterError {
    return this.error(
      key,
      `${this.keyName(key)} must be ${expected}, not ${describeValue(value)}.`,
      'Change the value and run the command again.',
    )
  }
}

export function describeValue(value: TomlValue): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value)) return 'an array'
  if (value instanceof Date) return 'a date'
  return 'a table'
}

export function quoteList(values: readonly string[]): string {
  return values.map((value) => `"${value}"`).join(', ')
}
