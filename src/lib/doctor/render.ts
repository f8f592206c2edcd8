import type {CheckStatus} from './check.js'
import type {DoctorReport} from './doctor.js'

const SYMBOLS: Record<CheckStatus, string> = {ok: '✔', warn: '⚠', fail: '✖', skipped: '–'}

/** The report for a person: one line per check, its fix below it, then the plugins and a summary. */
export function renderReport(report: DoctorReport): string {
  const width = Math.max(...report.checks.map((check) => check.title.length))
  const indent = ' '.repeat(width + 4)
  const lines: string[] = []
  for (const [index, check] of report.checks.entries()) {
    lines.push(`${SYMBOLS[check.status]} ${check.title.padEnd(width)}  ${check.detail}`)
    // Checks skipped for one reason share its fix: say it once, after the last of them.
    if (check.fix !== undefined && report.checks[index + 1]?.fix !== check.fix) lines.push(`${indent}Fix: ${check.fix}`)
  }

  lines.push('')
  if (report.plugins.length === 0) {
    lines.push('Plugins: none installed.')
  } else {
    lines.push('Plugins:')
    for (const plugin of report.plugins) {
      const capabilities = plugin.capabilities.length === 0 ? 'no twoliter capabilities' : plugin.capabilities.join(', ')
      lines.push(`  ${plugin.name} ${plugin.version} (${plugin.type}): ${capabilities}`)
    }
  }

  lines.push('', summarize(report))
  return lines.join('\n')
}

function summarize(report: DoctorReport): string {
  const count = (status: CheckStatus): number => report.checks.filter((check) => check.status === status).length
  const parts = [
    [count('fail'), 'failed'],
    [count('warn'), count('warn') === 1 ? 'warning' : 'warnings'],
    [count('skipped'), 'skipped'],
  ] as const
  const found = parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`)
  if (found.length === 0) return `All ${report.checks.length} checks passed.`
  return `${count('ok')} of ${report.checks.length} checks passed; ${found.join(', ')}.`
}
