import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {projectFlags} from '../cli/flags.js'
import {TwoliterError} from '../lib/errors.js'
import {
  DependencyGraph,
  type GraphSummary,
  TEXT_FORMATS,
  defaultTargets,
  renderJson,
  renderSummaries,
  summarize,
} from '../lib/graph/index.js'
import {loadWorkspace} from '../lib/manifest/index.js'
import {openProject} from '../lib/project/project.js'

/** With a TARGET, its summary; without one, a summary of each default target. */
export type GraphResult = GraphSummary | {graphs: GraphSummary[]}

export default class Graph extends BaseCommand {
  static override summary = 'Show what a package, kit or variant depends on, and why.'

  static override description = `The graph comes from the Cargo.toml files of the project's workspace, read with the rules buildsys uses:
- packages: what the target's build needs, i.e. the packages reachable through links to packages only (a kit ends the walk); from the target itself only [build-dependencies] count, deeper down [dependencies] count too. For a kit, these are the packages it contains.
- kits: every kit reachable through any link.
- dependencies: the target's own [build-dependencies] and [dependencies].

TARGET is a member's name (package-name or kit-name when set) or its Cargo name. Without TARGET the command shows every variant; in a project without variants, every kit; failing that, every package.

--why PACKAGE lists each chain of dependencies from the target to PACKAGE (at most 100).

With --json (or --format json) the result is {target: {name, kind}, dependencies, packages, kits}, plus why: {package, paths, truncated} with --why; each path is a list of {name, kind, via}. Without TARGET it is {graphs: [...]}, one such object per target.`

  static override examples = [
    {description: 'Show the dependency tree of every variant.', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'List the packages and kits a kit is made of, as JSON.', command: '<%= config.bin %> <%= command.id %> extra-3-kit --json'},
    {description: 'Explain why a package ends up in a variant.', command: '<%= config.bin %> <%= command.id %> hello-ootb --why pkg-f'},
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
      summary: 'Show every chain of dependencies from the target to this package (or kit).',
      helpValue: 'PACKAGE',
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

    const why = flags.why === undefined ? undefined : graph.require(flags.why, '--why').name
    const summaries = targets.map((target) => summarize(graph, target.name, {why}))
    const result: GraphResult = args.target === undefined ? {graphs: summaries} : summaries[0]
    if (!this.jsonEnabled()) {
      this.log(flags.format === 'json' ? renderJson(result) : renderSummaries(graph, summaries, flags.format))
    }

    return result
  }
}
