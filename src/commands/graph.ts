import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {projectFlags} from '../cli/flags.js'
import {hostArch, parseArch} from '../lib/build/arch.js'
import {TwoliterError} from '../lib/errors.js'
import {type AuditInfo, type InstalledWhy, type VariantImageWhy, imageWhy, renderImageWhy} from '../lib/graph/audit-why.js'
import {
  DependencyGraph,
  type GraphSummary,
  TEXT_FORMATS,
  type WhyResult,
  defaultTargets,
  renderJson,
  renderSummaries,
  renderWhy,
  summarize,
} from '../lib/graph/index.js'
import {loadWorkspace} from '../lib/manifest/index.js'
import {openProject} from '../lib/project/project.js'

/**
 * The --why answer: the Cargo paths, and for a variant what its package audit says (`audit` is null when
 * the variant has no audit for --arch, `installed` when the audit does not list the package).
 */
export interface GraphWhy extends WhyResult {
  audit?: AuditInfo | null
  installed?: InstalledWhy | null
}

export interface GraphTargetResult extends Omit<GraphSummary, 'why'> {
  why?: GraphWhy
}

/** With a TARGET, its summary; without one, a summary of each default target. */
export type GraphResult = GraphTargetResult | {graphs: GraphTargetResult[]}

export default class Graph extends BaseCommand {
  static override summary = 'Show what a package, kit or variant depends on, and why.'

  static override description = `The graph comes from the Cargo.toml files of the project's workspace, read with the rules buildsys uses:
- packages: what the target's build needs, i.e. the packages reachable through links to packages only (a kit ends the walk); from the target itself only [build-dependencies] count, deeper down [dependencies] count too. For a kit, these are the packages it contains.
- kits: every kit reachable through any link.
- dependencies: the target's own [build-dependencies] and [dependencies].

TARGET is a member's name (package-name or kit-name when set) or its Cargo name. Without TARGET the command shows every variant; in a project without variants, every kit; failing that, every package.

--why PACKAGE lists each chain of dependencies from the target to PACKAGE (at most 100). When the target is a variant, it then answers from what the image holds, through RPM Requires: the package audit \`twoliter build variant\` writes (build/images/<arch>-<variant>/latest/package-audit.json, for --arch) says whether the package is installed, its version, the kit it came from, and for each requested package that pulls it in the shortest chain of Requires (or that it is requested directly, in included-packages). PACKAGE may then also be an RPM's name, with or without the bottlerocket- prefix, or a package of a kit built elsewhere: whatever the Cargo links or the audit know. Without an audit it says how to get one.

With --json (or --format json) the result is {target: {name, kind}, dependencies, packages, kits}, plus why: {package, paths, truncated} with --why; each path is a list of {name, kind, via}. For a variant, why also has audit: {file, variant, arch, version, buildId} | null and installed: {audit, name, epoch?, version, release, source, repo, requested, requestedBy, chains, chainsComplete} | null, where chains is a list of lists of RPM names, from a requested package to PACKAGE. Without TARGET it is {graphs: [...]}, one such object per target.`

  static override examples = [
    {description: 'Show the dependency tree of every variant.', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'List the packages and kits a kit is made of, as JSON.', command: '<%= config.bin %> <%= command.id %> extra-3-kit --json'},
    {description: 'Explain why a package ends up in a variant.', command: '<%= config.bin %> <%= command.id %> hello-ootb --why pkg-f'},
    {
      description: 'Explain why an RPM is in the aarch64 image of a variant, through RPM Requires, from its package audit.',
      command: '<%= config.bin %> <%= command.id %> hello-ootb --why bottlerocket-motd --arch aarch64',
    },
    {
      description: 'Draw the graph with Graphviz.',
      command: '<%= config.bin %> <%= command.id %> hello-ootb --format dot | dot -Tsvg > graph.svg',
    },
  ]

  static override args = {
    target: Args.string({description: 'The package, kit or variant to start from. Default: every variant.'}),
  }

  static override flags = {
    ...projectFlags,
    format: Flags.option({
      options: [...TEXT_FORMATS, 'json'] as const,
      default: 'tree' as const,
      summary: 'Output format: an indented tree, Graphviz dot, or JSON (same as --json).',
    })(),
    why: Flags.string({
      summary: 'Show every chain of dependencies from the target to this package (or kit); for a variant, also how its image got it, through RPM Requires.',
      helpValue: 'PACKAGE',
    }),
    arch: Flags.string({
      summary: 'With --why on a variant: the architecture whose image (package audit) to look in, x86_64 or aarch64.',
      default: hostArch(),
    }),
  }

  public async run(): Promise<GraphResult> {
    const {args, flags} = await this.parse(Graph)
    const project = await openProject({projectPath: flags['project-path'], logger: this.logger})
    const graph = new DependencyGraph(await loadWorkspace(project.root, {logger: this.logger}))
    const targets = args.target === undefined ? defaultTargets(graph) : [graph.require(args.target, 'TARGET')]
    if (targets.length === 0) {
      throw new TwoliterError(`the workspace in ${graph.workspace.manifestPath} has no members.`, {
        hint: 'List the directories of your packages, kits and variants in its [workspace] members.',
        code: 'graph.empty',
      })
    }

    const arch = parseArch(flags.arch)
    const images = new Map<string, VariantImageWhy>()
    if (flags.why !== undefined) {
      const answers = await imageWhy(graph, {projectRoot: project.root, arch, targets, name: flags.why})
      for (const answer of answers) images.set(answer.variant, answer)
    }

    // A name only the audits know has no Cargo path.
    const member = flags.why === undefined ? undefined : graph.find(flags.why)
    const summaries: GraphTargetResult[] = targets.map((target) => {
      const summary: GraphTargetResult = summarize(graph, target.name, {why: member?.name})
      if (flags.why === undefined) return summary
      summary.why ??= {package: flags.why, paths: [], truncated: false}
      const image = images.get(target.name)
      if (image !== undefined) summary.why = {...summary.why, audit: image.audit ?? null, installed: image.installed ?? null}
      return summary
    })
    const result: GraphResult = args.target === undefined ? {graphs: summaries} : summaries[0]
    if (!this.jsonEnabled()) {
      if (flags.format === 'json') this.log(renderJson(result))
      else if (flags.format === 'tree' && flags.why !== undefined) this.log(summaries.map((summary) => renderAnswer(summary, member !== undefined, images.get(summary.target.name))).join('\n\n'))
      else this.log(renderSummaries(graph, summaries as GraphSummary[], flags.format))
    }

    return result
  }
}

/** The Cargo paths to the --why package, then, for a variant, what its image holds. */
function renderAnswer(summary: GraphTargetResult, isMember: boolean, image: VariantImageWhy | undefined): string {
  const why = summary.why!
  const target = summary.target.name
  const cargo = isMember ? renderWhy(why, target) : `${why.package} is not a package of this workspace, so no Cargo dependency of ${target} leads to it.`
  return image === undefined ? cargo : `${cargo}\n${renderImageWhy(image)}`
}
