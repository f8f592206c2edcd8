import type {SourceLocation} from '../errors.js'
import type {KeyPath, TomlDocument} from './document.js'

/** Where one key of a table is written, and where the entries of its array value begin. */
export interface KeyLayout {
  key: SourceLocation
  /** By entry: `"2"` for the array's 3rd entry, `"2.0"` for the 1st entry of that entry when it is an array. */
  entries: ReadonlyMap<string, SourceLocation>
}

/**
 * Where the keys of the table at `tablePath` (written under its `[header]` or as dotted keys) and the
 * entries of their array values are written. Unlike `locate()`, which reads the text line by line, this
 * follows values over several lines, so a line of a multi-line array that starts with '[' is not mistaken
 * for a table header, and a message about the 3rd command of a list can point at that command.
 */
export function tableLayout(document: TomlDocument, tablePath: KeyPath): Map<string, KeyLayout> {
  const layout = new Map<string, KeyLayout>()
  const scanner = new Scanner(document)
  const arrayCounts = new Map<string, number>()
  let table: string[] = []

  for (;;) {
    scanner.skipBlank()
    if (scanner.done) break
    const header = scanner.readHeader()
    if (header) {
      if (header.arrayOfTables) {
        const name = header.keys.join('.')
        const count = arrayCounts.get(name) ?? 0
        arrayCounts.set(name, count + 1)
        table = [...header.keys, String(count)]
      } else {
        table = header.keys
      }

      continue
    }

    const key = scanner.position()
    const keys = scanner.readKeyAndEquals()
    if (keys === undefined) {
      scanner.skipLine()
      continue
    }

    const full = [...table, ...keys]
    const ours = full.length === tablePath.length + 1 && tablePath.every((part, index) => String(part) === full[index])
    const entries = new Map<string, SourceLocation>()
    scanner.skipValue(ours ? (path, at) => entries.set(path.join('.'), at) : undefined)
    if (ours) layout.set(full.at(-1)!, {key, entries})
  }

  return layout
}

const BARE_KEY = String.raw`(?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)`
const DOTTED_KEY = new RegExp(String.raw`^${BARE_KEY}(?:\s*\.\s*${BARE_KEY})*`)

function splitDottedKey(text: string): string[] {
  return [...text.matchAll(new RegExp(BARE_KEY, 'g'))].map(([part]) => (/^["']/.test(part) ? part.slice(1, -1) : part))
}

/** A position in the text and the few kinds of TOML tokens that tableLayout needs to step over. */
class Scanner {
  private readonly lines: string[]
  private line = 0
  private column = 0

  constructor(private readonly document: TomlDocument) {
    this.lines = document.source.split('\n')
  }

  get done(): boolean {
    return this.line >= this.lines.length
  }

  private get char(): string | undefined {
    return this.lines[this.line]?.[this.column]
  }

  private get rest(): string {
    return this.lines[this.line].slice(this.column)
  }

  position(): SourceLocation {
    return {file: this.document.file, line: this.line + 1, column: this.column + 1}
  }

  skipLine(): void {
    this.line++
    this.column = 0
  }

  /** Skips whitespace, line ends and comments. */
  skipBlank(): void {
    while (!this.done) {
      const character = this.char
      if (character === undefined || character === '#') this.skipLine()
      else if (/\s/.test(character)) this.column++
      else return
    }
  }

  /** A `[table]` or `[[array.of.tables]]` header, with the rest of its line. */
  readHeader(): {keys: string[]; arrayOfTables: boolean} | undefined {
    const match = /^\[\[\s*([^\]]+?)\s*\]\]/.exec(this.rest) ?? /^\[\s*([^\]]+?)\s*\]/.exec(this.rest)
    if (!match) return undefined
    this.skipLine()
    return {keys: splitDottedKey(match[1]), arrayOfTables: match[0].startsWith('[[')}
  }

  /** A (dotted) key and its '=', leaving the position at the value. */
  readKeyAndEquals(): string[] | undefined {
    const match = DOTTED_KEY.exec(this.rest)
    if (!match) return undefined
    const afterKey = /^\s*=\s*/.exec(this.rest.slice(match[0].length))
    if (!afterKey) return undefined
    this.column += match[0].length + afterKey[0].length
    return splitDottedKey(match[0])
  }

  /**
   * Steps over one value, however many lines it takes. `onEntry` hears where each entry of an array value
   * begins, and each entry of an entry that is itself an array; not those inside inline tables.
   */
  skipValue(onEntry?: (path: number[], at: SourceLocation) => void): void {
    // One frame per open bracket: the entry being read, and whether the next value starts one.
    const frames: Array<{table: boolean; index: number; expectingEntry: boolean}> = []
    do {
      this.skipBlank()
      const character = this.char
      if (character === undefined) return
      const frame = frames.at(-1)
      if (frame?.expectingEntry && character !== ']' && character !== ',') {
        frame.expectingEntry = false
        if (frames.length <= 2 && frames.every((open) => !open.table)) onEntry?.(frames.map((open) => open.index), this.position())
      }

      if (character === '[' || character === '{') {
        frames.push({table: character === '{', index: 0, expectingEntry: character === '['})
        this.column++
      } else if (character === ']' || character === '}') {
        frames.pop()
        this.column++
      } else if (character === ',') {
        if (frame && !frame.table) {
          frame.index++
          frame.expectingEntry = true
        }

        this.column++
      } else if (character === '"' || character === "'") {
        this.skipString(character)
      } else {
        this.skipScalar(frames.length === 0)
      }
    } while (frames.length > 0 && !this.done)
  }

  /** A number, boolean, date or, inside an inline table, a key. At the top level it ends the line. */
  private skipScalar(topLevel: boolean): void {
    if (topLevel) {
      this.skipLine()
      return
    }

    const end = /[\s,\]}#"'=]/.exec(this.rest.slice(1))
    this.column += end ? end.index + 1 : this.rest.length
  }

  private skipString(quote: '"' | "'"): void {
    const multiLine = this.rest.startsWith(quote.repeat(3))
    const end = multiLine ? quote.repeat(3) : quote
    this.column += end.length
    while (!this.done) {
      const character = this.char
      if (character === undefined) {
        if (!multiLine) return
        this.skipLine()
      } else if (quote === '"' && character === '\\') {
        this.column += 2
      } else if (this.rest.startsWith(end)) {
        this.column += end.length
        // A multi-line string may end in up to two more quotes that belong to its content.
        while (multiLine && this.char === quote) this.column++
        return
      } else {
        this.column++
      }
    }
  }
}
