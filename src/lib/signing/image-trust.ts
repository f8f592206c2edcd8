/**
 * Whether an image from a vendor (an external kit or the SDK) may be used: signed by one of the cosign
 * keys its vendor's `signing-keys` lists (checked by the `cosign` signer of the plugins), or from a
 * vendor without such keys, which is accepted with one warning per vendor unless `require-signatures = true`.
 */

import {basename} from 'node:path'

import type {Signer} from '@twoliter/plugin-api'

import {TwoliterError} from '../errors.js'
import type {Engine} from '../engine/index.js'
import {hookContext} from '../extensions/hook-context.js'
import type {HookRunner} from '../extensions/hook-runner.js'
import {registryCredentialProvider} from '../extensions/registry-auth.js'
import type {ImageRef, Project} from '../project/project.js'
import type {TrustedKey, TrustSettings} from '../project/signing-keys.js'
import type {Logger} from '../ui/logger.js'
import {findSigner, signingFailure} from './signers.js'

/** What a vendor's image is to the project: it says so in messages. */
export type VendorImageKind = 'kit' | 'SDK'

/** How a vendor's image was accepted. */
export type ImageVerdict =
  /** Signed: the ids (`sha256:` of the key file) of the trusted keys whose signature verified. */
  | {verified: true; keyIds: string[]}
  /** Its vendor lists no cosign key: accepted (with a warning) because signatures are not required. */
  | {verified: false}

/**
 * The project's trust in vendors' images, checking signatures with the `cosign` signer of the plugins
 * known to `config` (looked up when an image first needs it).
 */
export function projectImageTrust(project: Pick<Project, 'trust' | 'file' | 'root'>, options: {config?: HookRunner; logger: Logger; engine?: Engine}): ImageTrust {
  const {config, logger, engine} = options
  return new ImageTrust(project.trust, {
    logger,
    projectFile: basename(project.file),
    async findSigner() {
      if (config === undefined) throw new TwoliterError('image signatures cannot be checked here: no plugins are loaded.', {hint: 'Run twoliter from its command line.', code: 'sign.no-signer'})
      const projectRoot = project.root
      const context = hookContext({logger, engine, projectRoot, credentialProvider: registryCredentialProvider(config, {logger, engine, projectRoot})})
      return findSigner(config, 'cosign', {context, logger})
    },
  })
}

export class ImageTrust {
  private readonly warned = new Set<string>()
  private signer?: Promise<Signer>
  /** Signed images already verified by this command (an update before a fetch checks each one once). */
  private readonly verified = new Map<string, ImageVerdict>()

  constructor(
    private readonly settings: TrustSettings,
    private readonly options: {findSigner: () => Promise<Signer>; logger: Logger; projectFile: string},
  ) {}

  /** The cosign public keys that images of `vendor` must be signed with. */
  imageKeys(vendor: string): TrustedKey[] {
    return (this.settings.signingKeys[vendor] ?? []).filter((key) => key.kind === 'cosign')
  }

  /**
   * Whether an earlier verification, recorded with the ids of the keys that verified it, still stands for
   * the vendor's keys as they are now. For a vendor without keys it says whether the image is acceptable.
   */
  acceptsRecorded(image: ImageRef, recordedKeyIds: readonly string[] | undefined): boolean {
    const keys = this.imageKeys(image.vendor)
    if (keys.length === 0) return true
    return recordedKeyIds !== undefined && keys.some((key) => recordedKeyIds.includes(key.id))
  }

  /**
   * Checks the image index of a kit or the SDK, `reference` by digest (`registry/repository@sha256:…`),
   * against the vendor's keys. Throws a TwoliterError when it is not signed by any of them, or when
   * unsigned images are not accepted; warns once per vendor when the vendor has no keys.
   */
  async verify(image: ImageRef, reference: string, kind: VendorImageKind = 'kit'): Promise<ImageVerdict> {
    const keys = this.imageKeys(image.vendor)
    if (keys.length === 0) {
      this.acceptUnsigned(image, kind)
      return {verified: false}
    }

    const known = this.verified.get(reference)
    if (known !== undefined) return known
    const signer = await (this.signer ??= this.options.findSigner())
    const failures: string[] = []
    const keyIds: string[] = []
    for (const key of keys) {
      const result = await signer.verifyImage({reference, publicKey: key.text}).catch((error: unknown) => {
        throw signingFailure(error, `Checking the signature of ${kind} ${describeImage(image)} (${reference}) failed`, 'trust.verify-failed')
      })
      if (result.verified) keyIds.push(key.id)
      else failures.push(`${key.file}: ${(result.reason ?? 'not verified').replace(/\.+$/, '')}`)
    }

    if (keyIds.length > 0) {
      this.options.logger.debug(`${kind} ${describeImage(image)} (${reference}) is signed by ${keyIds.join(', ')}`)
      this.verified.set(reference, {verified: true, keyIds})
      return {verified: true, keyIds}
    }

    throw new TwoliterError(
      `the ${kind} ${describeImage(image)} is not signed by a key Twoliter.toml trusts for vendor '${image.vendor}', so it is refused: ${reference} — ${failures.join('; ')}.`,
      {
        location: keys[0].location,
        hint: `Do not use this image until its vendor confirms it: it may have been replaced or tampered with in the registry. If the vendor has rotated its signing key, add the new public key to [vendor.${image.vendor}] signing-keys; \`twoliter verify ${reference} --key FILE\` shows what the image carries.`,
        code: 'trust.not-signed',
      },
    )
  }

  private acceptUnsigned(image: ImageRef, kind: VendorImageKind): void {
    const file = this.options.projectFile
    if (this.settings.requireSignatures) {
      throw new TwoliterError(
        `the ${kind} ${describeImage(image)} cannot be verified: require-signatures = true in ${file}, and vendor '${image.vendor}' lists no cosign public key in signing-keys.`,
        {
          hint: `Add the vendor's cosign public key, e.g. \`[vendor.${image.vendor}] signing-keys = ["keys/${image.vendor}-cosign.pub"]\`, or remove require-signatures to accept unsigned images (with a warning).`,
          code: 'trust.signatures-required',
        },
      )
    }

    if (this.warned.has(image.vendor)) return
    this.warned.add(image.vendor)
    this.options.logger.warn(
      `${kind}s of vendor '${image.vendor}' (such as ${describeImage(image)}) are used without checking their signatures: ${file} lists no cosign public key for the vendor. Add [vendor.${image.vendor}] signing-keys = ["keys/${image.vendor}-cosign.pub"] to verify them, and require-signatures = true to refuse unsigned images.`,
    )
  }
}

function describeImage(image: ImageRef): string {
  return `${image.name}-${image.version}@${image.vendor}`
}
