import {Flags} from '@oclif/core'

import {BaseCommand} from '../../cli/base-command.js'
import {projectFlags} from '../../cli/flags.js'
import {listenForInterrupt} from '../../lib/cli/interrupt.js'
import {Engine} from '../../lib/engine/index.js'
import {type LocalSdkBuild, buildLocalSdk} from '../../lib/sdk/index.js'
import {defaultLocalSdkTag} from '../../lib/sdk/default-tag.js'
import {type PushedSdk, pushLocalSdk} from '../../lib/sdk/push.js'
import {rememberVerifiedSdk} from '../../lib/build/sdk-image.js'
import {registryCredentialProvider} from '../../lib/extensions/index.js'
import {RegistryClient} from '../../lib/oci/index.js'

export type SdkBuildLocalResult = LocalSdkBuild & {pushed?: PushedSdk}

export default class SdkBuildLocal extends BaseCommand {
  static override summary = 'Build the local SDK image from Debian packages, or reuse it when it is already built.'

  static override description = `The local SDK is a small SDK for machines that cannot pull Bottlerocket's: a Debian bookworm root file system made with debootstrap from the host's Debian mirror (the packages of sdk/packages.txt), imported into the Docker engine, plus the builder user (uid 1000) with its rpmbuild tree and the Bottlerocket RPM macros of x86_64 and aarch64. It builds packages that need no cross compiler (data, scripts, prebuilt files) and makes kits and images to inspect; anything compiled for the target needs the Bottlerocket SDK.

The image is cached by the SHA-256 of the recipe files in sdk/ (label dev.twoliter.sdk.recipe, tag twoliter-local-sdk:<12 hex digits>): when the engine has it, the command only tags it and returns. A build needs root (debootstrap does) and a reachable Debian mirror (the first deb source of /etc/apt whose URI ends in /debian and that has the main component, or TWOLITER_DEBIAN_MIRROR); afterwards any user of the engine can use the image offline.

--tag defaults to the image the project's [sdk] names (<vendor registry>/<name>:v<version>, Twoliter.override applied), so that builds of the project find it; outside a project (or without [sdk]) it is twoliter-local-sdk:latest.

With --push the image is then pushed to the registry its tag names, as a one-entry image index (manifest list) for the host's architecture, the form in which twoliter reads SDKs; loopback registries are spoken to over plain HTTP, credentials come from plugins (twoliter:registry-auth), else from docker's config.json.

Result (--json): {image, id, recipeHash, cached, pushed?: {reference, digest, lockDigest}}.`

  static override examples = [
    {description: 'Build the SDK the current project names (e.g. 127.0.0.1:5000/twoliter-sdk:v0.1.0)', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Build it outside a project under a name of your choice', command: '<%= config.bin %> <%= command.id %> --tag my-sdk:latest'},
    {description: 'Build it and push it to a registry on this machine', command: '<%= config.bin %> <%= command.id %> --tag 127.0.0.1:5000/twoliter-sdk:v0.1.0 --push'},
    {description: 'Check whether it is already built, as JSON (a cached build prints cached: true)', command: '<%= config.bin %> <%= command.id %> --json'},
    {description: 'Build it from another Debian mirror, showing every debootstrap line', command: 'TWOLITER_DEBIAN_MIRROR=http://mirror.example.com/debian <%= config.bin %> <%= command.id %> --log-level debug'},
  ]

  static override flags = {
    ...projectFlags,
    tag: Flags.string({
      summary: 'Tag the image so. Default: the image the project\'s [sdk] names, else twoliter-local-sdk:latest.',
      helpValue: 'REF',
    }),
    push: Flags.boolean({summary: 'Push the image to the registry its tag names, as a one-entry image index.'}),
  }

  public async run(): Promise<SdkBuildLocalResult> {
    const {flags} = await this.parse(SdkBuildLocal)
    const tag = flags.tag ?? (await defaultLocalSdkTag({projectPath: flags['project-path'], logger: this.logger}))
    const engine = await Engine.connect(this.logger)
    const started = Date.now()
    const interrupt = listenForInterrupt(this.logger, 'the local SDK build', 'Run it again: nothing half-built was kept.')
    let result: LocalSdkBuild
    try {
      result = await buildLocalSdk(engine, {tag, logger: this.logger, onOutput: (line) => this.logger.debug(line), signal: interrupt.signal})
    } finally {
      interrupt.dispose()
    }

    const summary = `${result.image} (${result.id.slice(7, 19)}, recipe ${result.recipeHash.slice(0, 12)})`
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    if (!this.jsonEnabled()) {
      this.log(result.cached ? `The local SDK ${summary} is up to date.` : `Built the local SDK ${summary} in ${seconds} s.`)
    }

    if (!flags.push) return result
    const client = new RegistryClient({logger: this.logger, credentialProvider: registryCredentialProvider(this.config, {logger: this.logger, engine})})
    try {
      const pushed = await pushLocalSdk(engine, client, result.image)
      // Builds of projects locked to this push then use the engine's copy without pulling it back.
      await rememberVerifiedSdk(this.config.cacheDir, pushed.lockDigest, result.id)
      this.log(`Pushed ${pushed.reference} (${pushed.digest}).`)
      return {...result, pushed}
    } finally {
      client.close()
    }
  }
}
