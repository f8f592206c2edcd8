import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {projectFlags} from '../cli/flags.js'
import {TWOLITER_EVENTS, type DoctorReport, type InstalledPlugin, renderReport, runDoctor} from '../lib/doctor/index.js'
import {Engine} from '../lib/engine/index.js'

export default class Doctor extends BaseCommand {
  static override summary = 'Check that this machine and the project are ready to build.'

  static override description = `Checks, in order:
- node: the Node.js running twoliter (its version and path) against package.json's engines.node;
- engine: the Docker engine at DOCKER_HOST, else /var/run/docker.sock, answers; its version and API version;
- buildkit: the engine's API offers BuildKit (1.39 or later, Linux containers). Engines do not report a BuildKit version, so without --deep nothing is built; --deep builds a one-file image FROM scratch with BuildKit and removes it;
- disk-space: free space where builds write (the project's build/, else the current directory): a warning under 10 GiB, a failure under 2 GiB;
- project-file: Twoliter.toml (with Twoliter.override and Release.toml) loads, and its warnings;
- workspace: the Cargo workspace of packages, kits and variants loads, and its warnings;
- dependency-cycles: no member depends on itself through others;
- sdk-image: the image [sdk] names is in the engine (a warning otherwise: build it or pull it);
- local-sdk: whether the engine has the local SDK of this twoliter's recipe, and whether a project SDK built by \`twoliter sdk build-local\` is from an older recipe.
Outside a project the project checks are skipped. Then the installed plugins, with the capabilities each declares: which of the hook events ${TWOLITER_EVENTS.join(', ')} its package.json registers (read as data: no plugin code runs).

Every check ends ok, warn, fail or skipped, with a one-line detail and, unless ok, what to do. The exit code is 1 when a check failed, 0 otherwise; the whole report is printed either way.

Result (--json): {checks: [{id, title, status: ok|warn|fail|skipped, detail, fix?}], plugins: [{name, version, type: core|user|link|dev, capabilities}], ok}; ok is false when a check failed.`

  static override examples = [
    {description: 'Check this machine, and the project of the current directory if there is one.', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Also build a tiny image to prove that BuildKit works.', command: '<%= config.bin %> <%= command.id %> --deep'},
    {description: 'Check another project.', command: '<%= config.bin %> <%= command.id %> --project-path ../my-os/Twoliter.toml'},
    {
      description: 'List the checks that did not pass, from a script.',
      command: `<%= config.bin %> <%= command.id %> --json | jq -r '.checks[] | select(.status != "ok") | "\\(.id): \\(.fix)"'`,
    },
  ]

  static override flags = {
    ...projectFlags,
    deep: Flags.boolean({summary: 'Also build a probe image with BuildKit (a fraction of a second; nothing is pulled).'}),
  }

  public async run(): Promise<DoctorReport> {
    const {flags} = await this.parse(Doctor)
    const report = await runDoctor({
      node: {version: process.version, execPath: process.execPath},
      nodeRequirement: this.nodeRequirement(),
      connectEngine: () => Engine.connect(this.logger),
      cwd: process.cwd(),
      projectPath: flags['project-path'],
      deep: flags.deep,
      plugins: this.installedPlugins(),
    })
    if (!this.jsonEnabled()) this.log(renderReport(report))
    // Not thrown: the report, or its JSON, is the output even when a check failed.
    if (!report.ok) process.exitCode = 1
    return report
  }

  /** Every plugin but twoliter itself, with the hook events its package.json declares. */
  private installedPlugins(): InstalledPlugin[] {
    return this.config
      .getPluginsList()
      .filter((plugin) => !plugin.isRoot)
      .map((plugin) => ({name: plugin.name, version: plugin.version, type: plugin.type, hookEvents: Object.keys(plugin.hooks)}))
  }

  private nodeRequirement(): string {
    const engines: unknown = this.config.pjson.engines
    const node = typeof engines === 'object' && engines !== null ? (engines as {node?: unknown}).node : undefined
    if (typeof node !== 'string') throw new Error('twoliter\'s package.json has no engines.node range')
    return node
  }
}
