import type {BuildReporter, NodeReport} from '../build/package-builds.js'
import {TwoliterError, formatError} from '../errors.js'
import type {Logger} from './logger.js'

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

/**
 * Plain progress lines on stderr, readable in a terminal and in CI logs alike. What a container prints
 * goes to the node's log file, and to the terminal only with --log-level debug.
 */
export class LineReporter implements BuildReporter {
  constructor(
    private readonly logger: Logger,
    private readonly explain: boolean,
  ) {}

  started(kind: string, name: string, reasons: string[]): void {
    const why = this.explain ? reasons.join('; ') : reasons[0] + (reasons.length > 1 ? ` (+${reasons.length - 1} more)` : '')
    this.logger.info(`▸ ${kind} ${name}: building, because ${why}`)
  }

  line(_kind: string, name: string, line: string): void {
    this.logger.debug(`${name} | ${line}`)
  }

  finished(report: NodeReport): void {
    switch (report.action) {
      case 'built': {
        this.logger.info(`✔ ${report.kind} ${report.name}: built in ${seconds(report.durationMs)} (${describeOutputs(report)})`)
        break
      }

      case 'up-to-date': {
        if (this.explain) this.logger.info(`· ${report.kind} ${report.name}: skipped, ${report.reasons.join('; ')}`)
        else this.logger.debug(`· ${report.kind} ${report.name}: up to date`)
        break
      }

      case 'failed': {
        this.logger.error(`✖ ${report.kind} ${report.name}: failed after ${seconds(report.durationMs)}`)
        break
      }

      case 'not-run': {
        this.logger.info(`- ${report.kind} ${report.name}: not built, ${report.reasons.join('; ')}`)
        break
      }
    }
  }
}

/** The failures of a keep-going build, each shown in full, before the command's final error. */
export function showFailures(logger: Logger, failures: ReadonlyMap<string, unknown>): void {
  if (failures.size < 2) return
  for (const error of failures.values()) logger.error(error instanceof TwoliterError ? formatError(error) : String(error))
}

export function summarize(reports: readonly NodeReport[], durationMs: number): string {
  const count = (action: NodeReport['action']) => reports.filter((r) => r.action === action).length
  const parts = [`${count('built')} built`, `${count('up-to-date')} up to date`]
  if (count('failed') > 0) parts.push(`${count('failed')} failed`)
  if (count('not-run') > 0) parts.push(`${count('not-run')} not built`)
  return `${parts.join(', ')} in ${seconds(durationMs)}`
}

function describeOutputs(report: NodeReport): string {
  if (report.kind === 'package') return `${report.outputs.length} RPM${report.outputs.length === 1 ? '' : 's'}`
  return report.outputs.join(', ')
}
