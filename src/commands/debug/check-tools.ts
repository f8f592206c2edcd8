import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {type InstalledTools, defaultToolsDir, installSdkTools} from '../../lib/sdk/tools.js'

export type CheckToolsResult = InstalledTools

export default class DebugCheckTools extends BaseCommand {
  static override summary = 'Write the files that twoliter runs inside the SDK to a directory, and print it.'

  static override description = `Writes the scripts twoliter mounts into SDK containers (assets/sdk-tools, modes kept) and the recipe of the local SDK (as sdk/) to DIR, so that you can read or try them, then prints DIR. As in the Rust twoliter, DIR defaults to $TMPDIR/twoliter-tools-<8 hex digits>. A DIR that exists must be empty or written by an earlier check-tools (it is then replaced); any other directory is refused, never deleted.

Result (--json): {dir, files}, files being paths relative to dir.`

  static override examples = [
    {description: 'Write the tools to a new temporary directory and print it', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Write them to ./tools and list them', command: '<%= config.bin %> <%= command.id %> --install-dir ./tools && ls -lR ./tools'},
    {description: 'Try the package build script by hand in the SDK', command: 'docker run --rm -it -v "$(<%= config.bin %> <%= command.id %>):/twoliter/tools:ro" twoliter-local-sdk:latest bash'},
  ]

  static override flags = {
    'install-dir': Flags.directory({summary: 'Where to write the files. Default: $TMPDIR/twoliter-tools-<8 hex>.', helpValue: 'DIR'}),
  }

  public async run(): Promise<CheckToolsResult> {
    const {flags} = await this.parse(DebugCheckTools)
    const result = await installSdkTools(flags['install-dir'] ?? defaultToolsDir())
    if (!this.jsonEnabled()) this.log(result.dir)
    return result
  }
}
