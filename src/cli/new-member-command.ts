import {Flags} from '@oclif/core'

import {type NewMemberOptions, type NewMemberResult, addMember} from '../lib/scaffold/new-member.js'
import {openProject} from '../lib/project/project.js'
import {BaseCommand} from './base-command.js'
import {projectFlags} from './flags.js'

/** `twoliter new package|kit|variant`: the same steps for each kind of member. */
export abstract class NewMemberCommand extends BaseCommand {
  static override baseFlags = {
    ...BaseCommand.baseFlags,
    ...projectFlags,
    name: Flags.string({summary: 'Name of the new member (letters, digits, - and _).', required: true}),
  }

  protected async addMember(options: NewMemberOptions, projectPath: string | undefined): Promise<NewMemberResult> {
    const project = await openProject({projectPath, logger: this.logger})
    const result = await addMember(project, options, this.logger)
    this.log(`Created ${result.kind} ${result.name} in ${result.directory}`)
    for (const file of result.changed) this.log(`  updated ${file}`)
    return result
  }
}
