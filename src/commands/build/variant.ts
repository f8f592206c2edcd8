import {Args} from '@oclif/core'

import {BuildCommand, buildFlags} from '../../cli/build-command.js'
import {type NodeReport, buildFailure} from '../../lib/build/package-builds.js'
import {type BuiltVariant, buildVariant} from '../../lib/build/variant-builds.js'
import {showFailures, summarize} from '../../lib/ui/build-reporter.js'

export interface BuildVariantResult {
  arch: string
  sdk: string
  variant: BuiltVariant
  /** Every package, kit and variant node of the build. */
  nodes: NodeReport[]
  containerRuns: number
  durationMs: number
}

export default class BuildVariant extends BuildCommand {
  static override aliases = ['variant:build']

  static override summary = 'Build a variant: its kits and packages, its root file system and its disk images.'

  static override description = `Everything the variant needs is built or fetched first: its local kits, the packages of its closure, and the external kits of Twoliter.lock (\`twoliter update\` runs first when there is no lock). Then its included-packages are installed with dnf in the SDK from a composite repository: the project's own packages first, then its kits in the order of kit-priority (under [package.metadata.build-variant]) or else of its build-dependencies, then the external kits in lock order, and a metadata RPM that provides variant(...) and image-feature(...). A package offered by several repositories comes from the first of them.

The root becomes the disk image(s) of the reference's partition plan (or the variant's own partition-layout): root file system (ext4, or erofs with the erofs-root-partition feature) with its dm-verity hash tree, the boot partition, the private partition, and the data partition (on its own disk for a split plan), in the variant's image-format (raw images are lz4-compressed).

Outputs go to build/images/ARCH-VARIANT/VERSION-BUILDID/ (\`latest\` points at the newest): the images with the reference's names and symlinks, image-manifest.json (every output with its sha256, the root hash and dm-verity table, the partition plan), package-audit.json (every installed package, its version, the kit it came from and the requested packages that pulled it in), application-inventory.json, license-attribution.md and the SPDX 2.3 SBOM sbom.spdx.json. Nothing is rebuilt that is up to date. LOOKASIDE_CACHE, as in the Rust twoliter, is the same as --lookaside-cache.

Result (--json): {arch, sdk, variant: {name, dir, files: [{name, kind, sha256, size}], manifest, action}, nodes: [{kind, name, action, reasons, durationMs, outputs, error?}], containerRuns, durationMs}.`

  static override examples = [
    {description: 'Build a variant for this machine\'s architecture', command: '<%= config.bin %> build variant my-variant'},
    {description: 'The same, topic first', command: '<%= config.bin %> variant build my-variant'},
    {description: 'Build it for aarch64 and say why each step runs', command: '<%= config.bin %> build variant my-variant --arch aarch64 --explain'},
  ]

  static override args = {
    variant: Args.string({description: 'The variant (its directory name under variants/ or its Cargo name).', required: true}),
    'lookaside-cache': Args.string({description: 'A lookaside cache URL (the Rust twoliter\'s positional argument); same as --lookaside-cache.'}),
  }

  static override flags = buildFlags({
    force: 'Rebuild even what is up to date (packages, kits and the images).',
    explain: 'Say for each package, kit and the variant why it is rebuilt (which input changed) or skipped.',
  })

  public async run(): Promise<BuildVariantResult> {
    const {args, flags} = await this.parse(BuildVariant)
    const started = Date.now()
    const session = await this.openSession('variant', args.variant, flags, args['lookaside-cache'])
    try {
      const target = this.buildTarget(session, args.variant, 'variant')
      const {reports, failures, variant} = await buildVariant(session.context, target.name, {
        jobs: flags.jobs,
        keepGoing: flags['keep-going'],
        force: flags.force,
        signal: session.signal,
        toolVersion: this.config.version,
      })
      this.logger.info(summarize(reports, Date.now() - started))
      session.throwIfInterrupted()
      showFailures(this.logger, failures)
      const failure = buildFailure(failures)
      if (failure || variant === undefined) throw failure ?? new Error(`variant ${target.name} was not built`)
      if (variant.action !== 'skipped') this.logger.info(`variant ${variant.name}: ${variant.dir}`)
      return {
        arch: session.context.layout.arch,
        sdk: session.context.sdk.image,
        variant,
        nodes: reports,
        containerRuns: session.context.engine.stats.containerRuns,
        durationMs: Date.now() - started,
      }
    } finally {
      await session.close()
    }
  }
}
