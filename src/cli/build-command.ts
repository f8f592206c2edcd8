import {availableParallelism} from 'node:os'

import {Flags} from '@oclif/core'

import {hostArch, parseArch} from '../lib/build/arch.js'
import type {BuildReporter} from '../lib/build/package-builds.js'
import {type BuildSession, openBuildSession} from '../lib/build/session.js'
import {UsageError} from '../lib/errors.js'
import type {Member, MemberKind} from '../lib/manifest/index.js'
import {LineReporter} from '../lib/ui/build-reporter.js'
import {LiveBuildReporter} from '../lib/ui/live-build-reporter.js'
import {Logger} from '../lib/ui/logger.js'
import {BaseCommand} from './base-command.js'
import {projectFlags} from './flags.js'

/** The flags of `build package|kit|variant`; `force` and `explain` say what they cover for each. */
export function buildFlags(summaries: {force: string; explain: string}) {
  return {
    ...projectFlags,
    arch: Flags.string({summary: 'Architecture to build for: x86_64 or aarch64.', default: hostArch()}),
    jobs: Flags.integer({char: 'j', summary: 'How many packages to build at once.', default: availableParallelism(), min: 1}),
    'keep-going': Flags.boolean({summary: 'After a failure, still build everything that does not depend on it.'}),
    force: Flags.boolean({summary: summaries.force}),
    explain: Flags.boolean({summary: summaries.explain}),
    'lookaside-cache': Flags.string({summary: 'Use this lookaside cache instead of the ones Twoliter.toml lists.', helpValue: 'URL'}),
    'upstream-source-fallback': Flags.boolean({summary: 'Download external files from upstream when no lookaside cache has them.'}),
  }
}

interface BuildFlagValues {
  'project-path'?: string
  arch: string
  explain: boolean
  'lookaside-cache'?: string
  'upstream-source-fallback': boolean
}

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

  /** The build session of `twoliter build KIND NAME`; a positional lookaside cache (the Rust twoliter's) counts as --lookaside-cache. */
  protected openSession(kind: MemberKind, name: string, flags: BuildFlagValues, lookasideCacheArgument?: string): Promise<BuildSession> {
    return openBuildSession({
      projectPath: flags['project-path'],
      arch: parseArch(flags.arch),
      cacheDir: this.config.cacheDir,
      command: `twoliter build ${kind} ${name}`,
      logger: this.logger,
      reporter: this.buildReporter(flags.explain),
      sources: {lookasideCache: flags['lookaside-cache'] ?? lookasideCacheArgument, upstreamFallback: flags['upstream-source-fallback'] || undefined},
      config: this.config,
    })
  }

  /** The member to build, which must be of the command's kind. */
  protected buildTarget(session: BuildSession, name: string, kind: MemberKind): Member {
    const target = session.graph.require(name, kind)
    if (target.kind !== kind) {
      throw new UsageError(`${target.name} is a ${target.kind}, not a ${kind}.`, {hint: `Build it with \`twoliter build ${target.kind} ${target.name}\`.`, code: `build.not-a-${kind}`})
    }

    return target
  }
}
