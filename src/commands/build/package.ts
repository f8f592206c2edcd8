import {Args} from '@oclif/core'

import {BuildCommand, buildFlags} from '../../cli/build-command.js'
import {buildPackageWithKits} from '../../lib/build/kit-builds.js'
import {type NodeReport, buildFailure} from '../../lib/build/package-builds.js'
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

  static override flags = buildFlags({
    force: 'Rebuild even the packages that are up to date.',
    explain: 'Say for each package why it is rebuilt (which input changed) or skipped.',
  })

  public async run(): Promise<BuildPackageResult> {
    const {args, flags} = await this.parse(BuildPackage)
    const started = Date.now()
    const session = await this.openSession('package', args.package, flags)
    try {
      const target = this.buildTarget(session, args.package, 'package')
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
