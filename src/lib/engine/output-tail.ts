/** Keeps the last lines of a stream of text, for error messages about a failed container or build. */
export class OutputTail {
  private readonly lines: string[] = []
  private partial = ''

  constructor(private readonly maxLines = 40) {}

  push(text: string): void {
    const pieces = (this.partial + text).split('\n')
    this.partial = pieces.pop() ?? ''
    for (const line of pieces) this.add(line)
  }

  /** The kept lines, the unfinished last one included, joined by newlines. */
  text(): string {
    const lines = this.partial === '' ? this.lines : [...this.lines, this.partial].slice(-this.maxLines)
    return lines.join('\n')
  }

  private add(line: string): void {
    this.lines.push(line.replace(/\r$/, ''))
    if (this.lines.length > this.maxLines) this.lines.shift()
  }
}

/** Indents the tail so that it reads as a quoted block under the one-line error message. */
export function quoteTail(tail: string): string {
  const trimmed = tail.trimEnd()
  return trimmed === '' ? '(no output)' : trimmed.split('\n').map((line) => `  | ${line}`).join('\n')
}
