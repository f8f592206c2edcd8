/**
 * The reference accepts `--log-level LEVEL` before the subcommand (`twoliter --log-level debug graph`).
 * oclif would read `--log-level` as the command id, so the launcher lifts it out of argv and hands it on
 * through TWOLITER_LOG_LEVEL, which every command's `--log-level` flag uses as its default.
 */
export const LOG_LEVEL_ENV = 'TWOLITER_LOG_LEVEL'

export interface HoistedArgv {
  argv: string[]
  logLevel?: string
}

export function hoistGlobalFlags(argv: readonly string[]): HoistedArgv {
  const rest = [...argv]
  let logLevel: string | undefined
  while (rest.length > 0 && rest[0].startsWith('--log-level')) {
    const flag = rest.shift()!
    if (flag === '--log-level') {
      if (rest.length === 0) return {argv: ['--log-level'], logLevel}
      logLevel = rest.shift()
    } else if (flag.startsWith('--log-level=')) {
      logLevel = flag.slice('--log-level='.length)
    } else {
      rest.unshift(flag)
      break
    }
  }

  return {argv: rest, logLevel}
}
