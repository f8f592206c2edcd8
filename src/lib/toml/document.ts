import {readFile} from 'node:fs/promises'
import {TomlError, parse, type TomlTable} from 'smol-toml'

import {type SourceLocation, TwoliterError} from '../errors.js'

/** A parsed TOML file that remembers its text, so later validation errors can point at a line. */
export interface TomlDocument {
  file: string
  source: string
  data: TomlTable
}

export type KeyPath = ReadonlyArray<string | number>

export function parseToml(file: string, source: string): TomlDocument {
  try {
    // Integers come back as bigint so that `2` and `2.0` stay distinguishable: TOML keeps them apart,
    // and the Rust twoliter refuses a float where it expects an integer.
    return {file, source, data: parse(source, {integersAsBigInt: true})}
  } catch (error) {
    if (error instanceof TomlError) {
      const firstLine = error.message.split('\n')[0].replace(/^Invalid TOML document:\s*/, '')
      throw new TwoliterError(`this is not valid TOML: ${firstLine}.`, {
        location: {file, line: error.line, column: error.column},
        hint: 'Fix the syntax at that position and run the command again.',
        code: 'toml.syntax',
      })
    }

    throw error
  }
}

/** Reads and parses a TOML file; `undefined` when the file does not exist. */
export async function readTomlFileIfExists(file: string): Promise<TomlDocument | undefined> {
  let source: string
  try {
    source = await readFile(file, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new TwoliterError(`cannot read ${file}: ${(error as Error).message}`, {
      hint: 'Check that the file is readable by the current user.',
      code: 'file.unreadable',
    })
  }

  return parseToml(file, source)
}

export async function readTomlFile(file: string, hint: string): Promise<TomlDocument> {
  const document = await readTomlFileIfExists(file)
  if (!document) throw new TwoliterError(`${file} does not exist.`, {hint, code: 'file.missing'})
  return document
}

/**
 * Best-effort position of a key in the TOML text: the line and column where the deepest part of `path`
 * that can be found is written. TOML parsers give positions only for syntax errors, but a validation
 * error is far more useful with a line number.
 */
export function locate(document: TomlDocument, path: KeyPath): SourceLocation {
  const lines = document.source.split('\n')
  const arrayCounts = new Map<string, number>()
  let table: Array<string | number> = []
  let best: {depth: number; line: number; column: number} | undefined

  const consider = (full: Array<string | number>, line: number, column: number) => {
    let depth = 0
    while (depth < full.length && depth < path.length && String(full[depth]) === String(path[depth])) depth++
    if (depth === full.length && depth > (best?.depth ?? 0)) best = {depth, line, column}
  }

  for (const [index, raw] of lines.entries()) {
    const text = raw.replace(/^\s+/, '')
    const column = raw.length - text.length + 1
    const header = /^\[\[\s*([^\]]+?)\s*\]\]/.exec(text) ?? /^\[\s*([^\]]+?)\s*\]/.exec(text)
    if (header) {
      const keys = splitDottedKey(header[1])
      if (text.startsWith('[[')) {
        const name = keys.join('.')
        const count = arrayCounts.get(name) ?? 0
        arrayCounts.set(name, count + 1)
        table = [...keys, count]
      } else {
        table = keys
      }

      consider(table, index + 1, column)
      continue
    }

    const assignment = /^((?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+)(?:\s*\.\s*(?:"[^"]*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*=/.exec(text)
    if (assignment) consider([...table, ...splitDottedKey(assignment[1])], index + 1, column)
  }

  return best ? {file: document.file, line: best.line, column: best.column} : {file: document.file}
}

function splitDottedKey(text: string): string[] {
  const keys: string[] = []
  for (const match of text.matchAll(/"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+)/g)) {
    keys.push(match[1] ?? match[2] ?? match[3])
  }

  return keys
}

/** The known key a misspelt one most likely meant: within edit distance 2, else undefined. */
export function suggestKey(unknown: string, known: readonly string[]): string | undefined {
  let best: {key: string; distance: number} | undefined
  for (const key of known) {
    const distance = editDistance(unknown, key)
    if (distance <= 2 && (!best || distance < best.distance)) best = {key, distance}
  }

  return best?.key
}

export function editDistance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, index) => index)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1)
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution))
    }

    previous = current
  }

  return previous[b.length]
}

/**
 * Unknown keys are ignored, as the Rust twoliter does, except that one close to a known key is probably a
 * typo: report those so the user is not left wondering why a setting has no effect.
 */
export function findLikelyTypos(
  document: TomlDocument,
  table: TomlTable,
  tablePath: KeyPath,
  known: readonly string[],
): string[] {
  const messages: string[] = []
  for (const key of Object.keys(table)) {
    if (known.includes(key)) continue
    const suggestion = suggestKey(key, known)
    if (suggestion) {
      const where = locate(document, [...tablePath, key])
      const position = where.line === undefined ? where.file : `${where.file}:${where.line}:${where.column}`
      messages.push(`${position}: unknown key '${key}' is ignored; did you mean ${suggestion}?`)
    }
  }

  return messages
}

export function isTable(value: unknown): value is TomlTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
}

/** The line of one string in a (possibly multi-line) array at `keyPath`, falling back to the array's key. */
export function locateArrayItem(document: TomlDocument, keyPath: KeyPath, item: string): SourceLocation {
  const key = locate(document, keyPath)
  if (key.line === undefined) return key
  const lines = document.source.split('\n')
  for (let index = key.line - 1; index < lines.length; index++) {
    for (const quoted of [JSON.stringify(item), `'${item}'`]) {
      const column = lines[index].indexOf(quoted)
      if (column !== -1) return {file: document.file, line: index + 1, column: column + 1}
    }

    if (index > key.line - 1 && lines[index].includes(']')) break
  }

  return key
}
