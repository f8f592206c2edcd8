import {availableParallelism} from 'node:os'

import {Args, Flags} from '@oclif/core'

import {BuildCommand} from '../../cli/build-command.js'
import {projectFlags} from '../../cli/flags.js'
import {hostArch, parseArch} from '../../lib/build/arch.js'
import {buildPackageWithKits} from '../../lib/build/kit-builds.js'
import {type NodeReport, buildFailure} from '../../lib/build/package-builds.js'
import {openBuildSession} from '../../lib/build/session.js'
import {UsageError} from '../../lib/errors.js'
import {showFailures, summarize} from '../../lib/ui/build-reporter.js'

export interface BuildPackageResult {
  arch: string
  sdk: string
  packages: NodeReport[]
  /** Containers the build started: 0 when everything was up to date. */
  containerRuns: number
  durationMs: number
}

export default class BuildPackage extends BuildCommand {
  static override summary = 'Build an RPM package and the packages it is built against.'

  static override description = `Each package is built from its spec with rpmbuild in a container of the project's SDK, without network: external files are fetched beforehand on the host (from the lookaside caches, then upstream when allowed) and checked against their SHA-512. RPMs land in build/rpms/PACKAGE/, logs in build/logs/ARCH/packages/.

A package is rebuilt only when one of its inputs changed (its directory, source groups, external files, the RPMs it is built against, the SDK, the arch) or its outputs were touched; --explain says which. A build where nothing changed starts no container.

Result (--json): {arch, sdk, packages: [{kind, name, action: built|up-to-date|failed|not-run, reasons, durationMs, outputs, error?}], containerRuns, durationMs}.`

  static override examples = [
    {description: 'Build a package for the host\'s architecture', command: '<%= config.bin %> build package pkg-a'},
    {description: 'Say for every package why it is (or is not) rebuilt', command: '<%= config.bin %> build package pkg-g --explain'},
    {description: 'Build everything again, continuing past failures', command: '<%= config.bin %> build package pkg-g --force --keep-going'},
  ]

  static override args = {
    package: Args.string({description: 'The package (its package-name or Cargo name).', required: true}),
  }

  static override flags = {
    ...projectFlags,
    arch: Flags.string({summary: 'Architecture to build for: x86_64 or aarch64.', default: hostArch()}),
    jobs: Flags.integer({char: 'j', summary: 'How many packages to build at once.', default: availableParallelism(), min: 1}),
    'keep-going': Flags.boolean({summary: 'After a failure, still build everything that does not depend on it.'}),
    force: Flags.boolean({summary: 'Rebuild even the packages that are up to date.'}),
    explain: Flags.boolean({summary: 'Say for each package why it is rebuilt (which input changed) or skipped.'}),
    'lookaside-cache': Flags.string({summary: 'Use this lookaside cache instead of the ones Twoliter.toml lists.', helpValue: 'URL'}),
    'upstream-source-fallback': Flags.boolean({summary: 'Download external files from upstream when no lookaside cache has them.'}),
  }

  public async run(): Promise<BuildPackageResult> {
    const {args, flags} = await this.parse(BuildPackage)
    const started = Date.now()
    const reporter = this.buildReporter(flags.explain)
    const session = await openBuildSession({
      projectPath: flags['project-path'],
      arch: parseArch(flags.arch),
      cacheDir: this.config.cacheDir,
      command: `twoliter build package ${args.package}`,
      logger: this.logger,
      reporter,
      sources: {lookasideCache: flags['lookaside-cache'], upstreamFallback: flags['upstream-source-fallback'] || undefined},
      config: this.config,
    })
    try {
      const target = session.graph.require(args.package, 'package')
      if (target.kind !== 'package') {
        throw new UsageError(`${target.name} is a ${target.kind}, not a package.`, {hint: `Build it with \`twoliter build ${target.kind} ${target.name}\`.`, code: 'build.not-a-package'})
      }

      const options = {jobs: flags.jobs, keepGoing: flags['keep-going'], force: flags.force, signal: session.signal}
      const {reports, failures} = await buildPackageWithKits(session.context, target.name, options)
      this.logger.info(summarize(reports, Date.now() - started))
      // An interrupted build fails as interrupted, even when every node it ran finished.
      session.throwIfInterrupted()
      showFailures(this.logger, failures)
      const failure = buildFailure(failures)
      if (failure) throw failure
      return {arch: session.context.layout.arch, sdk: session.context.sdk.image, packages: reports, containerRuns: session.context.engine.stats.containerRuns, durationMs: Date.now() - started}
    } finally {
      await session.close()
    }
  }
}
