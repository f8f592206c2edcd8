import {Flags} from '@oclif/core'

import {NewMemberCommand} from '../../cli/new-member-command.js'
import type {NewMemberResult} from '../../lib/scaffold/new-member.js'

export default class NewPackage extends NewMemberCommand {
  static override summary = 'Add an RPM package to the project.'

  static override description = `Creates packages/NAME with a Cargo.toml, a spec file using the Bottlerocket %_cross_* macros and a placeholder source, adds it to the Cargo workspace and Cargo.lock, and with --kit adds it to that kit. Nothing that exists is overwritten.

Result (--json): {kind, name, directory, created, changed}.`

  static override examples = [
    {description: 'A package on its own', command: '<%= config.bin %> new package --name my-agent'},
    {description: 'A package bundled in a kit and installed in a variant', command: '<%= config.bin %> new package --name my-agent --kit my-kit --variant my-variant'},
  ]

  static override flags = {
    kit: Flags.string({summary: 'Kit that bundles the package (adds it to the kit\'s build-dependencies).', helpValue: 'KIT'}),
    variant: Flags.string({summary: 'Variant whose included-packages the package joins (and, without --kit, whose build-dependencies).', helpValue: 'VARIANT'}),
  }

  public async run(): Promise<NewMemberResult> {
    const {flags} = await this.parse(NewPackage)
    return this.addMember({kind: 'package', name: flags.name, kit: flags.kit, variant: flags.variant}, flags['project-path'])
  }
}
