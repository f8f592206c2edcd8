import {Flags} from '@oclif/core'

import {NewMemberCommand} from '../../cli/new-member-command.js'
import type {NewMemberResult} from '../../lib/scaffold/new-member.js'

export default class NewVariant extends NewMemberCommand {
  static override summary = 'Add a variant to the project.'

  static override description = `Creates variants/NAME with a Cargo.toml ([package.metadata.build-variant] with included-packages, image layout and features), adds it to the Cargo workspace and Cargo.lock. With --kit the variant is composed from that kit and includes the kit's packages. Nothing that exists is overwritten.

Result (--json): {kind, name, directory, created, changed}.`

  static override examples = [
    {description: 'An empty variant', command: '<%= config.bin %> new variant --name my-variant'},
    {description: 'A variant that installs the packages of a kit', command: '<%= config.bin %> new variant --name my-variant --kit my-kit'},
  ]

  static override flags = {
    kit: Flags.string({summary: 'Kit the variant is composed from.', helpValue: 'KIT'}),
  }

  public async run(): Promise<NewMemberResult> {
    const {flags} = await this.parse(NewVariant)
    return this.addMember({kind: 'variant', name: flags.name, kit: flags.kit}, flags['project-path'])
  }
}
