import {readFile} from 'node:fs/promises'

import {Args, Flags} from '@oclif/core'

import {signImage} from '../../cosign/attach.js'
import {decryptPrivateKey} from '../../cosign/keys.js'
import {SignCommand} from '../../command.js'
import {resolveDigestReference} from '../../image-reference.js'
import {readPassword} from '../../password.js'
import {registrySignatureStore} from '../../signers/registry-store.js'
import {twoliterContext} from '../../twoliter-context.js'

export interface SignImageCommandResult {
  reference: string
  digest: string
  /** The tag the signature is stored under, in the image's repository. */
  signatureTag: string
  keyId: string
  /** False when the image already carried this signature. */
  added: boolean
}

export default class SignImage extends SignCommand {
  static override summary = 'Sign an image in its registry with a cosign private key.'

  static override description = `REF is an image in a registry, by tag or by digest; a tag is resolved to its digest first, and the signature names that digest and the repository. The signature is stored as cosign stores key-pair signatures: in the tag sha256-<hex>.sig of the same repository (added to the signatures already there). \`twoliter publish kit\` signs kits itself when Infra.toml names a cosign-key; this command signs anything else (an SDK image, a kit published before the key existed).

The password comes from the environment variable --password-env names (default COSIGN_PASSWORD) or from --password-file.

Result (--json): {reference, digest, signatureTag, keyId, added}.`

  static override examples = [
    {description: 'Sign a published kit', command: 'COSIGN_PASSWORD=... <%= config.bin %> sign image registry.example.com/vendor/my-kit:v1.2.0 --key keys/vendor.key'},
  ]

  static override args = {
    ref: Args.string({description: 'The image: registry/repository:tag or registry/repository@sha256:<hex>.', required: true}),
  }

  static override flags = {
    key: Flags.file({summary: 'The cosign private key (as `sign keygen --type cosign` or `cosign generate-key-pair` write it).', required: true, exists: true, helpValue: 'FILE'}),
    'password-env': Flags.string({summary: 'Environment variable that holds the key\'s password.', default: 'COSIGN_PASSWORD', helpValue: 'VAR'}),
    'password-file': Flags.file({summary: 'File whose first line is the password (instead of the environment).', helpValue: 'FILE', exists: true}),
  }

  public async run(): Promise<SignImageCommandResult> {
    const {args, flags} = await this.parse(SignImage)
    const privateKey = await decryptPrivateKey(await readFile(flags.key, 'utf8'), await readPassword(flags['password-env'], flags['password-file']))
    const context = await twoliterContext(this.config)
    const {repository, digest} = await resolveDigestReference(context.registry, args.ref)
    const signed = await signImage({store: registrySignatureStore(context.registry), repository, dockerReference: repository, manifestDigest: digest, privateKey})
    this.log(`${repository}@${digest} ${signed.added ? 'is now signed' : 'was already signed'} by key ${signed.keyId.slice(0, 16)} (${repository}:${signed.tag}).`)
    return {reference: args.ref, digest, signatureTag: signed.tag, keyId: signed.keyId, added: signed.added}
  }
}
