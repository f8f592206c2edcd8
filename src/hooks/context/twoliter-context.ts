import {LOG_LEVEL_ENV} from '../../lib/cli/argv.js'
import {hookContext} from '../../lib/extensions/hook-context.js'
import {DEFAULT_LOG_LEVEL, LOG_LEVELS, Logger, type LogLevel} from '../../lib/ui/logger.js'

/**
 * `twoliter:context`: twoliter's services (engine, registry client, logger) for the commands of plugins,
 * which cannot import twoliter itself (a plugin installed from a tarball has its own dependencies).
 */
const hook = async function (options: {projectRoot?: string}) {
  const wanted = process.env[LOG_LEVEL_ENV]
  const level: LogLevel = LOG_LEVELS.includes(wanted as LogLevel) ? (wanted as LogLevel) : DEFAULT_LOG_LEVEL
  return hookContext({logger: new Logger(level), projectRoot: options.projectRoot})
}

export default hook
