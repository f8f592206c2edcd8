import {Flags} from '@oclif/core'

/** Flags shared by the commands that work on a project. */
export const projectFlags = {
  'project-path': Flags.file({
    summary: 'Path of the project\'s Twoliter.toml file. By default it is searched for upward from the current directory.',
    helpValue: 'FILE',
  }),
}
