import {stat} from 'node:fs/promises'

import {Args, Flags} from '@oclif/core'

import {SignCommand} from '../command.js'
import {SigningError} from '../errors.js'
import {verifyImage} from '../cosign/attach.js'
import {keyId} from '../cosign/keys.js'
import {resolveDigestReference} from '../image-reference.js'
import {cosignKeys, gpgKeys, readVerifyKey} from '../kit-archive/keys.js'
import {archiveNotVerified, type ArchiveVerifyResult, verifyKitArchive} from '../kit-archive/verify.js'
import {LOCAL_SDK_IMAGE} from '../sdk-image.js'
import {gpgSigner} from '../signers/gpg-signer.js'
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
  static override summary = 'Check the cosign signature of an image in its registry, or the RPM signatures of a local kit archive.'

  static override description = `REF is an image in a registry, by tag or by digest (a tag is resolved to its digest first, and the digest is what the signature must name). The image verifies when one of its signatures (cosign's key-pair format, stored under the tag sha256-<hex>.sig of the same repository) is valid for one of the --key public keys (cosign PEM public keys; a GPG key is refused here) and names this image's digest and repository. Exit code 0 when it verifies, 1 when it does not (the reason is printed).

KIT-ARCHIVE is an existing kit archive file, as \`twoliter build kit\` writes it (build/kits/<kit>/<kit>-v<version>-<build>-<arch>.tar). Every RPM in it is checked with rpmkeys in the SDK (--sdk-image; the host needs only the container engine) against the --key armored GPG public keys (a cosign key is refused here). Without --key, the RPMs are checked against the archive's own RPM-GPG-KEY, with a warning: that only proves they were not modified after they were signed, not who signed them. An archive without RPM-GPG-KEY and without --key is refused as not signed. Exit code 1, naming each RPM and its problem, when any RPM does not verify; with --json the result is printed and the exit code is 1.

Result (--json): REF: {reference, digest, verified, signatures, keyId?, reason?}; KIT-ARCHIVE: {archive, manifestDigest, verified, rpms: [{rpm, ok, problem?, reason?}], keySource: given|archive, warning?}.`

  static override usage = ['<%= command.id %> REF --key FILE... [--json]', '<%= command.id %> KIT-ARCHIVE [--key FILE...] [--sdk-image IMAGE] [--json]']

  static override examples = [
    {description: 'Check a published kit with its vendor\'s public key', command: '<%= config.bin %> verify registry.example.com/vendor/my-kit:v1.2.0 --key keys/vendor.pub'},
    {description: 'Check the RPMs of a kit archive against the publisher\'s GPG public key', command: '<%= config.bin %> verify build/kits/my-kit/my-kit-v1.2.0-abc1234-x86_64.tar --key keys/signing.public.asc'},
    {description: 'Check that no RPM of a kit archive was modified since it was signed (against its own RPM-GPG-KEY)', command: '<%= config.bin %> verify build/kits/my-kit/my-kit-v1.2.0-abc1234-x86_64.tar'},
  ]

  static override args = {
    ref: Args.string({description: 'An image (registry/repository:tag or registry/repository@sha256:<hex>), or the path of a kit archive file.', required: true}),
  }

  static override flags = {
    key: Flags.file({
      summary: 'A public key: cosign PEM for REF, armored GPG for KIT-ARCHIVE; repeat for several. Required for REF.',
      multiple: true,
      exists: true,
      helpValue: 'FILE',
    }),
    'sdk-image': Flags.string({summary: 'KIT-ARCHIVE: the image rpmkeys runs in.', default: LOCAL_SDK_IMAGE, aliases: ['sdk'], helpValue: 'IMAGE'}),
  }

  public async run(): Promise<ArchiveVerifyResult | VerifyResult> {
    const {args, flags} = await this.parse(Verify)
    const keys = await Promise.all((flags.key ?? []).map((file) => readVerifyKey(file)))
    if (await isArchivePath(args.ref)) return this.verifyArchive(args.ref, gpgKeys(keys, args.ref), flags['sdk-image'])
    return this.verifyRef(args.ref, cosignKeys(keys, args.ref))
  }

  private async verifyArchive(archive: string, publicKeys: string[], sdkImage: string): Promise<ArchiveVerifyResult> {
    const context = await twoliterContext(this.config)
    const result = await verifyKitArchive({archive, publicKeys, signer: gpgSigner(context), sdkImage})
    if (result.warning !== undefined) context.logger.warn(result.warning)
    if (!result.verified) {
      if (!this.jsonEnabled()) throw archiveNotVerified(result)
      // Not thrown: the result, with each RPM's problem, is the output.
      process.exitCode = 1
      return result
    }

    const against = result.keySource === 'archive' ? 'its own RPM-GPG-KEY' : `the given GPG key${publicKeys.length === 1 ? '' : 's'}`
    this.log(`${result.archive}: all ${result.rpms.length} RPM${result.rpms.length === 1 ? '' : 's'} verify against ${against}.`)
    return result
  }

  private async verifyRef(ref: string, keys: ReturnType<typeof cosignKeys>): Promise<VerifyResult> {
    const context = await twoliterContext(this.config)
    const {repository, digest} = await resolveDigestReference(context.registry, ref)
    const result = await verifyImage({store: registrySignatureStore(context.registry), repository, dockerReference: repository, manifestDigest: digest, publicKeys: keys})
    if (result.verified) {
      this.log(`${repository}@${digest} is signed by key ${result.keyId.slice(0, 16)} (${result.signatures} signature${result.signatures === 1 ? '' : 's'}).`)
      return {reference: ref, digest, verified: true, signatures: result.signatures, keyId: result.keyId}
    }

    const known = keys.map((key) => keyId(key).slice(0, 16)).join(', ')
    throw new SigningError(`${repository}@${digest} does not verify: ${result.detail}`, {hint: `It has ${result.signatures} signature${result.signatures === 1 ? '' : 's'}; the keys given are ${known}. Check that the publisher signed this image with the key you trust.`, code: `sign.verify-${result.reason}`})
  }
}

/**
 * An existing file is a kit archive. What is clearly a path but names nothing (it starts with `/`, `./`
 * or `../`, or ends in `.tar` without a tag or digest) is refused as such rather than parsed as an image.
 */
async function isArchivePath(ref: string): Promise<boolean> {
  const found = await stat(ref).catch(() => undefined)
  if (found?.isFile()) return true
  if (found?.isDirectory()) {
    throw new SigningError(`${ref} is a directory, not a kit archive.`, {code: 'sign.archive-missing', hint: 'Give the kit archive file itself, e.g. build/kits/<kit>/<kit>-v<version>-<build>-<arch>.tar.'})
  }

  if (/^(\/|\.\.?\/)/.test(ref) || (ref.endsWith('.tar') && !ref.includes(':') && !ref.includes('@'))) {
    throw new SigningError(`The kit archive ${ref} does not exist.`, {code: 'sign.archive-missing', hint: 'Check the path; `twoliter build kit` writes kit archives under build/kits/<kit>/.'})
  }

  return false
}
