import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {projectFlags} from '../cli/flags.js'
import {commandRegistryClient} from '../cli/registry-client.js'
import {hostArch, parseArch} from '../lib/build/arch.js'
import {BuildLayout} from '../lib/build/layout.js'
import {acquireBuildLock} from '../lib/build/project-lock.js'
import {type FetchedKit, fetchKits} from '../lib/kits/fetch.js'
import {updateLock} from '../lib/kits/update.js'
import {assertLockFits} from '../lib/project/lock-inputs.js'
import {LOCK_FILE, readLock} from '../lib/project/lock.js'
import {openProject} from '../lib/project/project.js'
import {projectImageTrust} from '../lib/signing/image-trust.js'

export interface FetchResult {
  arch: string
  kits: FetchedKit[]
}

export default class Fetch extends BaseCommand {
  static override summary = 'Download the external kits of Twoliter.lock for one architecture.'

  static override description = `Each locked kit's image for the architecture is pulled into the OCI layout cache build/external-kits/cache/ (every blob checked against its digest, the manifest list against the lock) and its yum repository extracted into build/external-kits/VENDOR/KIT/ARCH/; build/external-kits/external-kit-metadata.json lists the lock. A kit whose extracted copy is already that image is skipped, and a warm cache needs no network at all. Extraction refuses absolute paths, '..' and links that leave the kit's directory.

Builds fetch what they need by themselves; this command does it ahead of time (e.g. before going offline). When Twoliter.lock is missing, \`twoliter update\` runs first.

Result (--json): {arch, kits: [{name, vendor, version, dir, digest, action: extracted|up-to-date|local}]}.`

  static override examples = [
    {description: 'Fetch the kits for this machine\'s architecture', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Fetch the aarch64 kits', command: '<%= config.bin %> <%= command.id %> --arch aarch64'},
  ]

  static override flags = {
    ...projectFlags,
    arch: Flags.string({summary: 'Architecture to fetch for: x86_64 or aarch64.', default: hostArch()}),
  }

  public async run(): Promise<FetchResult> {
    const {flags} = await this.parse(Fetch)
    const arch = parseArch(flags.arch)
    const project = await openProject({projectPath: flags['project-path'], logger: this.logger})
    const client = commandRegistryClient(this.config, {logger: this.logger, projectRoot: project.root})
    const trust = projectImageTrust(project, {config: this.config, logger: this.logger})
    let lock = await readLock(project.root)
    if (lock === undefined) {
      this.logger.info(`${LOCK_FILE} does not exist: running \`twoliter update\` first to resolve the kits and the SDK.`)
      lock = (await updateLock(project, {client, logger: this.logger, trust})).lock
    } else {
      assertLockFits(project, lock)
    }

    const layout = new BuildLayout(project.root, arch)
    // A build of the project extracts kits too: one at a time.
    const release = await acquireBuildLock(layout.lockFile, 'twoliter fetch', this.logger)
    let kits: FetchedKit[]
    try {
      kits = await fetchKits(project, lock, {client, layout, logger: this.logger, trust})
    } finally {
      await release()
    }

    const extracted = kits.filter((kit) => kit.action !== 'up-to-date').length
    this.log(kits.length === 0 ? 'The project has no external kits.' : `${kits.length} kit${kits.length === 1 ? '' : 's'} for ${arch}: ${extracted} extracted, ${kits.length - extracted} up to date.`)
    return {arch, kits}
  }
}
