import type {BuildReporter} from '../lib/build/package-builds.js'
import {LineReporter} from '../lib/ui/build-reporter.js'
import {LiveBuildReporter} from '../lib/ui/live-build-reporter.js'
import {Logger} from '../lib/ui/logger.js'
import {BaseCommand} from './base-command.js'

/** Commands that build: they show progress live in a terminal and as plain lines anywhere else. */
export abstract class BuildCommand extends BaseCommand {
  protected buildReporter(explain: boolean): BuildReporter {
    const live = process.stderr.isTTY && !process.env.CI && !this.jsonEnabled() && this.logger.level === 'info'
    if (!live) return new LineReporter(this.logger, explain)
    const reporter = new LiveBuildReporter(this.logger.level, explain)
    // Everything else the command logs must pass under the status area too.
    this.logger = new Logger(this.logger.level, reporter.sink)
    return reporter
  }
}
