import {createWriteStream, type WriteStream} from 'node:fs'
import {mkdir} from 'node:fs/promises'
import path from 'node:path'

import {OutputTail} from '../engine/output-tail.js'

const TAIL_LINES = 25

/**
 * The log of one node's build: everything the container printed goes to a file, and the last lines are
 * kept in memory so that a failure can show them without reading the file back.
 */
export class BuildLog {
  private readonly tail = new OutputTail(TAIL_LINES)
  private partial = ''

  private constructor(
    readonly file: string,
    private readonly stream: WriteStream,
  ) {}

  static async create(file: string): Promise<BuildLog> {
    await mkdir(path.dirname(file), {recursive: true})
    const stream = createWriteStream(file, {flags: 'w'})
    await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject))
    return new BuildLog(file, stream)
  }

  /** Appends output; returns the complete lines it contained, for a progress display. */
  write(text: string): string[] {
    this.stream.write(text)
    this.tail.push(text)
    const lines = (this.partial + text).split('\n')
    this.partial = lines.pop() ?? ''
    return lines
  }

  lastLines(): string[] {
    return this.tail.text().split('\n')
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.stream.end(resolve))
  }
}
