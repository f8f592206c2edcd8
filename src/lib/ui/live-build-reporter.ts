import type {BuildReporter, NodeReport} from '../build/package-builds.js'
import {LineReporter} from './build-reporter.js'
import {type LogLevel, type LogSink, Logger} from './logger.js'

const REDRAW_INTERVAL_MS = 100

/**
 * For a terminal: the plain progress lines of LineReporter, plus a status area under them with one line
 * per running node showing the last line its container printed, redrawn in place.
 */
export class LiveBuildReporter implements BuildReporter {
  private readonly running = new Map<string, {started: number; last: string}>()
  private drawnLines = 0
  private timer: NodeJS.Timeout | undefined
  private readonly lines: LineReporter
  /** Logger output must go through here while the status area is on screen, so that it stays under it. */
  readonly sink: LogSink = {
    write: (line) => {
      this.clear()
      this.stream.write(line + '\n')
      this.draw()
    },
  }

  constructor(
    level: LogLevel,
    explain: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {
    this.lines = new LineReporter(new Logger(level, this.sink), explain)
  }

  started(kind: string, name: string, reasons: string[]): void {
    this.lines.started(kind, name, reasons)
    this.running.set(`${kind} ${name}`, {started: Date.now(), last: 'starting'})
    this.timer ??= setInterval(() => this.redraw(), REDRAW_INTERVAL_MS).unref()
  }

  line(kind: string, name: string, line: string): void {
    const node = this.running.get(`${kind} ${name}`)
    if (node && line.trim() !== '') node.last = line.trim()
    this.lines.line(kind, name, line)
  }

  finished(report: NodeReport): void {
    this.running.delete(`${report.kind} ${report.name}`)
    if (this.running.size === 0 && this.timer) {
      clearInterval(this.timer)
      this.timer = undefined
    }

    this.lines.finished(report)
    this.redraw()
  }

  private redraw(): void {
    this.clear()
    this.draw()
  }

  private clear(): void {
    if (this.drawnLines === 0) return
    this.stream.write(`\u001B[${this.drawnLines}A\u001B[0J`)
    this.drawnLines = 0
  }

  private draw(): void {
    const width = Math.max(20, (this.stream.columns ?? 80) - 1)
    for (const [node, {started, last}] of this.running) {
      const line = `  ⋯ ${node} (${Math.round((Date.now() - started) / 1000)} s): ${last}`
      this.stream.write(`${line.length > width ? line.slice(0, width - 1) + '…' : line}\n`)
      this.drawnLines++
    }
  }
}
