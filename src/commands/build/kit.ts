import {Args} from '@oclif/core'

import {BuildCommand, buildFlags} from '../../cli/build-command.js'
import {type BuiltKit, buildKits} from '../../lib/build/kit-builds.js'
import {type NodeReport, buildFailure} from '../../lib/build/package-builds.js'
import {showFailures, summarize} from '../../lib/ui/build-reporter.js'

export interface BuildKitResult {
  arch: string
  sdk: string
  kits: BuiltKit[]
  /** Every package and kit node of the build. */
  nodes: NodeReport[]
  containerRuns: number
  durationMs: number
}

export default class BuildKit extends BuildCommand {
  static override aliases = ['kit:build']

  static override summary = 'Build a kit: its packages, its yum repository and its OCI image archive.'

  static override description = `The kit's packages (its package closure) are built as \`build package\` builds them, against the kits it depends on: local kits are built first, external kits come from Twoliter.lock (fetched when missing; \`twoliter update\` runs first when there is no lock). Then its RPMs are gathered into build/kits/KIT/ARCH/Packages/PACKAGE/, the repository is made with createrepo_c in the SDK and checked with dnf repoquery, and the OCI image archive build/kits/KIT/KIT-vVERSION-BUILDID-ARCH.tar is assembled with the dev.bottlerocket.kit.v2 label (name, version, the SDK as locked, the kits it was built with), ready for \`twoliter publish kit\`. The archive is deterministic: the same RPMs give the same image digest.

Nothing is rebuilt that is up to date; --explain says why something is. LOOKASIDE_CACHE, as in the Rust twoliter, is the same as --lookaside-cache.

Result (--json): {arch, sdk, kits: [{name, repoDir, archive, manifestDigest, action}], nodes: [{kind, name, action, reasons, durationMs, outputs, error?}], containerRuns, durationMs}.`

  static override examples = [
    {description: 'Build a kit for this machine\'s architecture', command: '<%= config.bin %> build kit my-kit'},
    {description: 'The same, topic first', command: '<%= config.bin %> kit build my-kit'},
    {description: 'Build it for aarch64 and say why each step runs', command: '<%= config.bin %> build kit my-kit --arch aarch64 --explain'},
  ]

  static override args = {
    kit: Args.string({description: 'The kit (its kit-name or Cargo name).', required: true}),
    'lookaside-cache': Args.string({description: 'A lookaside cache URL (the Rust twoliter\'s positional argument); same as --lookaside-cache.'}),
  }

  static override flags = buildFlags({
    force: 'Rebuild even what is up to date.',
    explain: 'Say for each package and kit why it is rebuilt (which input changed) or skipped.',
  })

  public async run(): Promise<BuildKitResult> {
    const {args, flags} = await this.parse(BuildKit)
    const started = Date.now()
    const session = await this.openSession('kit', args.kit, flags, args['lookaside-cache'])
    try {
      const target = this.buildTarget(session, args.kit, 'kit')
      const {reports, failures, kits} = await buildKits(session.context, target.name, {
        jobs: flags.jobs,
        keepGoing: flags['keep-going'],
        force: flags.force,
        signal: session.signal,
      })
      this.logger.info(summarize(reports, Date.now() - started))
      session.throwIfInterrupted()
      showFailures(this.logger, failures)
      const failure = buildFailure(failures)
      if (failure) throw failure
      for (const kit of kits) this.logger.info(`kit ${kit.name}: ${kit.archive}`)
      return {
        arch: session.context.layout.arch,
        sdk: session.context.sdk.image,
        kits,
        nodes: reports,
        containerRuns: session.context.engine.stats.containerRuns,
        durationMs: Date.now() - started,
      }
    } finally {
      await session.close()
    }
  }
}
