import {rm} from 'node:fs/promises'

import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {projectFlags} from '../../cli/flags.js'
import {cleanBuildDirectory} from '../../lib/build/clean.js'
import {BuildLayout, downloadCacheDir} from '../../lib/build/layout.js'
import {acquireBuildLock} from '../../lib/build/project-lock.js'
import {Engine} from '../../lib/engine/index.js'
import {openProject} from '../../lib/project/project.js'
import {removeLocalSdkImages} from '../../lib/sdk/index.js'

export interface BuildCleanResult {
  removed: string[]
  /** With --all: the shared download cache and the local SDK images that were removed. */
  caches: string[]
}

export default class BuildClean extends BaseCommand {
  static override summary = 'Remove build outputs and build state.'

  static override description = `Removes everything under the project's build/ directory: RPMs, kits, images, build records and logs, so the next build starts from scratch. With --all it also removes twoliter's download cache (external files, shared by all projects) and the local SDK images. A build running in the project is not disturbed: the command refuses while one holds the build lock.

Result (--json): {removed, caches}.`

  static override examples = [
    {description: 'Start the next build from scratch', command: '<%= config.bin %> build clean'},
    {description: 'Also forget downloads and the local SDK', command: '<%= config.bin %> build clean --all'},
  ]

  static override flags = {
    ...projectFlags,
    all: Flags.boolean({summary: 'Also remove the download cache and the local SDK images.'}),
  }

  public async run(): Promise<BuildCleanResult> {
    const {flags} = await this.parse(BuildClean)
    const project = await openProject({projectPath: flags['project-path'], logger: this.logger})
    // The arch does not matter for the directories cleaned; the layout only needs the root.
    const layout = new BuildLayout(project.root, 'x86_64')
    const release = await acquireBuildLock(layout.lockFile, 'twoliter build clean', this.logger)
    try {
      const removed = await cleanBuildDirectory(layout)
      const caches: string[] = []
      if (flags.all) {
        const downloads = downloadCacheDir(this.config.cacheDir)
        await rm(downloads, {recursive: true, force: true})
        caches.push(downloads)
        caches.push(...(await removeLocalSdkImages(await Engine.connect(this.logger), this.logger)))
      }

      for (const entry of [...removed, ...caches]) this.logger.info(`removed ${entry}`)
      if (removed.length === 0 && caches.length === 0) this.logger.info('nothing to remove')
      return {removed, caches}
    } finally {
      await release()
    }
  }
}
