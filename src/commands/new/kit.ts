import {Flags} from '@oclif/core'

import {NewMemberCommand} from '../../cli/new-member-command.js'
import type {NewMemberResult} from '../../lib/scaffold/new-member.js'

export default class NewKit extends NewMemberCommand {
  static override summary = 'Add a kit to the project.'

  static override description = `Creates kits/NAME with a Cargo.toml whose [package.metadata.build-kit] names the vendor, adds it to the Cargo workspace and Cargo.lock, and with --variant makes that variant depend on it. Add packages to it with \`twoliter new package --kit NAME\`. Nothing that exists is overwritten.

Result (--json): {kind, name, directory, created, changed}.`

  static override examples = [
    {description: 'A kit of the project\'s vendor', command: '<%= config.bin %> new kit --name my-kit'},
    {description: 'A kit of a given vendor, used by a variant', command: '<%= config.bin %> new kit --name my-kit --vendor acme --variant my-variant'},
  ]

  static override flags = {
    vendor: Flags.string({summary: 'Vendor of the kit, declared in Twoliter.toml. Default: the vendor of the other kits.', helpValue: 'VENDOR'}),
    variant: Flags.string({summary: 'Variant to build from this kit (adds it to the variant\'s build-dependencies).', helpValue: 'VARIANT'}),
  }

  public async run(): Promise<NewMemberResult> {
    const {flags} = await this.parse(NewKit)
    return this.addMember({kind: 'kit', name: flags.name, vendor: flags.vendor, variant: flags.variant}, flags['project-path'])
  }
}
