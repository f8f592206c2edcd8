import {readFile} from 'node:fs/promises'

import {Args, Flags} from '@oclif/core'

import {SignCommand} from '../command.js'
import {SigningError} from '../errors.js'
import {verifyImage} from '../cosign/attach.js'
import {keyId, readPublicKey} from '../cosign/keys.js'
import {resolveDigestReference} from '../image-reference.js'
import {registrySignatureStore} from '../signers/registry-store.js'
import {twoliterContext} from '../twoliter-context.js'

export interface VerifyResult {
  reference: string
  digest: string
  verified: boolean
  /** How many signatures the image has, valid or not. */
  signatures: number
  /** The key id (sha256 of the public key) whose signature is valid. */
  keyId?: string
  reason?: string
}

export default class Verify extends SignCommand {
  static override summary = 'Check the cosign signature of an image in its registry.'

  static override description = `REF is an image in a registry, by tag or by digest (a tag is resolved to its digest first, and the digest is what the signature must name). The image verifies when one of its signatures (cosign's key-pair format, stored under the tag sha256-<hex>.sig of the same repository) is valid for one of the --key public keys and names this image's digest and repository. Exit code 0 when it verifies, 1 when it does not (the reason is printed).

Result (--json): {reference, digest, verified, signatures, keyId?, reason?}.`

  static override examples = [
    {description: 'Check a published kit with its vendor\'s public key', command: '<%= config.bin %> verify registry.example.com/vendor/my-kit:v1.2.0 --key keys/vendor.pub'},
  ]

  static override args = {
    ref: Args.string({description: 'The image: registry/repository:tag or registry/repository@sha256:<hex>.', required: true}),
  }

  static override flags = {
    key: Flags.file({summary: 'A public key (PEM) whose signature counts; repeat for several.', required: true, multiple: true, exists: true, helpValue: 'FILE'}),
  }

  public async run(): Promise<VerifyResult> {
    const {args, flags} = await this.parse(Verify)
    const keys = await Promise.all(flags.key.map(async (file) => readPublicKey(await readFile(file, 'utf8'))))
    const context = await twoliterContext(this.config)
    const {repository, digest} = await resolveDigestReference(context.registry, args.ref)
    const result = await verifyImage({store: registrySignatureStore(context.registry), repository, dockerReference: repository, manifestDigest: digest, publicKeys: keys})
    if (result.verified) {
      this.log(`${repository}@${digest} is signed by key ${result.keyId.slice(0, 16)} (${result.signatures} signature${result.signatures === 1 ? '' : 's'}).`)
      return {reference: args.ref, digest, verified: true, signatures: result.signatures, keyId: result.keyId}
    }

    const known = keys.map((key) => keyId(key).slice(0, 16)).join(', ')
    throw new SigningError(`${repository}@${digest} does not verify: ${result.detail}`, {hint: `It has ${result.signatures} signature${result.signatures === 1 ? '' : 's'}; the keys given are ${known}. Check that the publisher signed this image with the key you trust.`, code: `sign.verify-${result.reason}`})
  }
}
