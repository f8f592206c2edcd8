import {Args, Flags} from '@oclif/core'
import type {Signer} from '@twoliter/plugin-api'

import {BaseCommand} from '../../cli/base-command.js'
import {projectFlags} from '../../cli/flags.js'
import {commandRegistryClient} from '../../cli/registry-client.js'
import {hookContext, registryCredentialProvider} from '../../lib/extensions/index.js'
import {findSigner, signingFailure} from '../../lib/signing/signers.js'
import {listenForInterrupt} from '../../lib/cli/interrupt.js'
import {projectBuildId} from '../../lib/build/build-id.js'
import {BuildLayout} from '../../lib/build/layout.js'
import {hostArch} from '../../lib/build/arch.js'
import {publishLifecycle} from '../../lib/extensions/publish-lifecycle.js'
import {type PublishedKit, publishKit} from '../../lib/kits/publish.js'
import {readInfraVendors} from '../../lib/project/infra-toml.js'
import type {SourceLocation} from '../../lib/errors.js'
import {openProject} from '../../lib/project/project.js'

export default class PublishKit extends BaseCommand {
  static override aliases = ['kit:publish']

  static override summary = 'Push a built kit to its vendor\'s registry: one image per architecture and the multi-arch index.'

  static override description = `Every architecture's archive of the kit at the project's release-version (build/kits/KIT/KIT-vVERSION-BUILDID-ARCH.tar, made by \`twoliter build kit\`) is pushed as REGISTRY/REPO:vVERSION-BUILDID-ARCH (blobs the registry has are skipped), then the OCI index over them is tagged REGISTRY/REPO:vVERSION, the tag consumers' Twoliter.toml resolves. REPO is the kit's name unless given (it may differ: the kit's metadata keeps its name).

The registry is Infra.toml's [vendor.VENDOR] registry when Infra.toml names the vendor, else Twoliter.toml's [vendor.VENDOR] registry, so a project needs no Infra.toml just to publish; a warning says so when both name the vendor with different registries. Credentials come from plugins (twoliter:registry-auth), else docker's config.json and credential helpers. Plugins hear twoliter:pre-publish and twoliter:post-publish; the project's [hooks] pre-publish-kit and post-publish-kit steps run around the push.

When Infra.toml's [vendor.VENDOR] has cosign-key = "FILE" (a cosign private key, e.g. from \`twoliter sign keygen --type cosign\`, its password in COSIGN_PASSWORD), the index and each image are signed after the push with the cosign signer of @twoliter/sign: cosign-compatible signatures under the tag sha256-<hex>.sig, which \`twoliter verify\` and cosign check. The key is opened with its password before anything is pushed: a key file that cannot be read, or a wrong password, stops the publication with nothing pushed.

Result (--json): {reference, digest, lockDigest, images: [{arch, reference, digest, blobs: {existed, mounted, uploaded}}], signatures}.`

  static override examples = [
    {description: 'Publish my-kit to the registry of vendor my-vendor', command: '<%= config.bin %> publish kit my-kit my-vendor'},
    {description: 'Publish it under another repository name', command: '<%= config.bin %> publish kit my-kit my-vendor my-kit-testing'},
  ]

  static override args = {
    kit: Args.string({description: 'The kit to publish (its kit-name).', required: true}),
    vendor: Args.string({description: 'The vendor whose registry receives it.', required: true}),
    repo: Args.string({description: 'The repository under the vendor\'s registry; the kit\'s name by default.'}),
  }

  static override flags = {
    ...projectFlags,
    'infra-toml': Flags.file({summary: 'The Infra.toml to read vendors from (default: Infra.toml in the project root).', helpValue: 'FILE'}),
  }

  public async run(): Promise<PublishedKit> {
    const {args, flags} = await this.parse(PublishKit)
    const project = await openProject({projectPath: flags['project-path'], logger: this.logger})
    const infra = await readInfraVendors(project.root, flags['infra-toml'])
    const interrupt = listenForInterrupt(this.logger, 'the publication', 'Run it again: blobs already pushed are skipped.')
    try {
      const published = await publishKit({
        project,
        infra,
        kitName: args.kit,
        vendor: args.vendor,
        repo: args.repo,
        kitDir: new BuildLayout(project.root, hostArch()).kitDir(args.kit),
        buildId: (await projectBuildId(project.root)).id,
        client: commandRegistryClient(this.config, {logger: this.logger, projectRoot: project.root}),
        signImage: (reference, keyFile) => this.signImage(project.root, reference, keyFile),
        checkSigningKey: (keyFile, location) => this.checkSigningKey(project.root, keyFile, location),
        logger: this.logger,
        lifecycle: publishLifecycle(this.config, project, {logger: this.logger, signal: interrupt.signal}),
      })
      this.log(`Published ${published.reference} (${published.digest}) for ${published.images.map((image) => image.arch).join(', ')}.`)
      return published
    } finally {
      interrupt.dispose()
    }
  }

  private cosignLookup: Promise<Signer> | undefined

  /** The cosign signer of the plugins (the bundled @twoliter/sign), looked up once. */
  private cosignSigner(projectRoot: string): Promise<Signer> {
    if (this.cosignLookup === undefined) {
      const credentialProvider = registryCredentialProvider(this.config, {logger: this.logger, projectRoot})
      const context = hookContext({logger: this.logger, projectRoot, credentialProvider})
      this.cosignLookup = findSigner(this.config, 'cosign', {context, logger: this.logger})
    }

    return this.cosignLookup
  }

  /** Opens the key with the password from COSIGN_PASSWORD before the push; signers without checkKey are not asked. */
  private async checkSigningKey(projectRoot: string, keyFile: string, location: SourceLocation): Promise<void> {
    const signer = await this.cosignSigner(projectRoot)
    if (signer.checkKey === undefined) return
    try {
      const {keyId} = await signer.checkKey({ref: keyFile, passphrase: process.env.COSIGN_PASSWORD})
      this.logger.debug(`the cosign key ${keyFile} opens (key ${keyId.slice(0, 16)})`)
    } catch (error) {
      throw signingFailure(error, `The cosign-key ${keyFile} cannot sign, so nothing was published`, 'publish.cosign-key', location)
    }
  }

  /** With the cosign signer, the password from COSIGN_PASSWORD. */
  private async signImage(projectRoot: string, reference: string, keyFile: string): Promise<string> {
    const signer = await this.cosignSigner(projectRoot)
    try {
      return (await signer.signImage({reference, key: {ref: keyFile, passphrase: process.env.COSIGN_PASSWORD}})).signature
    } catch (error) {
      throw signingFailure(error, `Signing ${reference} failed (the kit is pushed; run the publish again once fixed, it only signs)`, 'publish.sign')
    }
  }
}
