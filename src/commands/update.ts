import {Flags} from '@oclif/core'

import {BaseCommand} from '../cli/base-command.js'
import {projectFlags} from '../cli/flags.js'
import {commandRegistryClient} from '../cli/registry-client.js'
import {type LockChange, renderLockDiff} from '../lib/kits/lock-diff.js'
import {updateLock} from '../lib/kits/update.js'
import {LOCK_FILE, type Lock} from '../lib/project/lock.js'
import {openProject} from '../lib/project/project.js'
import {projectImageTrust} from '../lib/signing/image-trust.js'

export interface UpdateCommandResult {
  lock: Lock
  changes: LockChange[]
  /** Whether Twoliter.lock was written (never with --dry-run, nor when nothing changed). */
  written: boolean
}

export default class Update extends BaseCommand {
  static override summary = 'Resolve the kits and the SDK against their registries and write Twoliter.lock.'

  static override description = `Starting from the [[kit]] entries of Twoliter.toml, every kit is looked up in its vendor's registry (Twoliter.override applied), its metadata read, and the kits it was built with followed, breadth first. Every kit may appear in one version only, all kits and [sdk] must agree on one SDK (a project without [sdk] takes the SDK its kits were built with), every vendor must be declared, and each kit's metadata must be the same for all its architectures. A conflict is shown with the dependency paths that brought in each side.

The lock pins each image by the digest of its manifest list, exactly as the Rust twoliter does, so either tool can use the other's lock. It also records what it was resolved from: while Twoliter.toml and Twoliter.override still match, builds use the lock without asking any registry.

--dry-run resolves and prints what would change in the lock (kits and SDK added, removed, changed) without writing it.

Result (--json): {lock: {schemaVersion, sdk, kit[], projectInputs}, changes: [{kind: sdk|kit, change: added|removed|changed, before?, after?}], written}.`

  static override examples = [
    {description: 'Pin the kits and the SDK', command: '<%= config.bin %> update'},
    {description: 'See what a change to Twoliter.toml would do to the lock', command: '<%= config.bin %> update --dry-run'},
  ]

  static override flags = {
    ...projectFlags,
    'dry-run': Flags.boolean({summary: 'Print how the lock would change, without writing it.'}),
  }

  public async run(): Promise<UpdateCommandResult> {
    const {flags} = await this.parse(Update)
    const project = await openProject({projectPath: flags['project-path'], logger: this.logger})
    const client = commandRegistryClient(this.config, {logger: this.logger, projectRoot: project.root})
    const result = await updateLock(project, {client, logger: this.logger, dryRun: flags['dry-run'], trust: projectImageTrust(project, {config: this.config, logger: this.logger})})
    const lines = renderLockDiff(result.changes)
    if (flags['dry-run']) {
      this.log(lines.length === 0 ? `${LOCK_FILE} would not change.` : `${LOCK_FILE} would change:`)
    } else if (result.written === undefined) {
      this.log(`${LOCK_FILE} is up to date.`)
    } else {
      this.log(`Wrote ${result.written}${lines.length === 0 ? '.' : ':'}`)
    }

    for (const line of lines) this.log(`  ${line}`)
    return {lock: result.lock, changes: result.changes, written: result.written !== undefined}
  }
}
