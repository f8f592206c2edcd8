/**
 * Whether an external kit image may be used: signed by one of the cosign keys its vendor's
 * `signing-keys` lists (checked by the `cosign` signer of the plugins), or from a vendor without such
 * keys, which is accepted with one warning per vendor unless `require-signatures = true`.
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

/** How a kit image was accepted. */
export type KitVerdict =
  /** Signed: the ids (`sha256:` of the key file) of the trusted keys whose signature verified. */
  | {verified: true; keyIds: string[]}
  /** Its vendor lists no cosign key: accepted (with a warning) because signatures are not required. */
  | {verified: false}

/**
 * The project's trust in external kits, checking signatures with the `cosign` signer of the plugins
 * known to `config` (looked up when a kit first needs it).
 */
export function projectKitTrust(project: Pick<Project, 'trust' | 'file' | 'root'>, options: {config?: HookRunner; logger: Logger; engine?: Engine}): KitTrust {
  const {config, logger, engine} = options
  return new KitTrust(project.trust, {
    logger,
    projectFile: basename(project.file),
    async findSigner() {
      if (config === undefined) throw new TwoliterError('kit signatures cannot be checked here: no plugins are loaded.', {hint: 'Run twoliter from its command line.', code: 'sign.no-signer'})
      const projectRoot = project.root
      const context = hookContext({logger, engine, projectRoot, credentialProvider: registryCredentialProvider(config, {logger, engine, projectRoot})})
      return findSigner(config, 'cosign', {context, logger})
    },
  })
}

export class KitTrust {
  private readonly warned = new Set<string>()
  private signer?: Promise<Signer>

  constructor(
    private readonly settings: TrustSettings,
    private readonly options: {findSigner: () => Promise<Signer>; logger: Logger; projectFile: string},
  ) {}

  /** The cosign public keys that kit images of `vendor` must be signed with. */
  imageKeys(vendor: string): TrustedKey[] {
    return (this.settings.signingKeys[vendor] ?? []).filter((key) => key.kind === 'cosign')
  }

  /**
   * Whether an earlier verification, recorded with the ids of the keys that verified it, still stands for
   * the vendor's keys as they are now. For a vendor without keys it says whether the kit is acceptable.
   */
  acceptsRecorded(kit: ImageRef, recordedKeyIds: readonly string[] | undefined): boolean {
    const keys = this.imageKeys(kit.vendor)
    if (keys.length === 0) return true
    return recordedKeyIds !== undefined && keys.some((key) => recordedKeyIds.includes(key.id))
  }

  /**
   * Checks the kit's image index, `reference` by digest (`registry/repository@sha256:…`), against the
   * vendor's keys. Throws a TwoliterError when it is not signed by any of them, or when unsigned kits are
   * not accepted; warns once per vendor when the vendor has no keys.
   */
  async verify(kit: ImageRef, reference: string): Promise<KitVerdict> {
    const keys = this.imageKeys(kit.vendor)
    if (keys.length === 0) {
      this.acceptUnsigned(kit)
      return {verified: false}
    }

    const signer = await (this.signer ??= this.options.findSigner())
    const failures: string[] = []
    const keyIds: string[] = []
    for (const key of keys) {
      const result = await signer.verifyImage({reference, publicKey: key.text}).catch((error: unknown) => {
        throw signingFailure(error, `Checking the signature of kit ${describeKit(kit)} (${reference}) failed`, 'trust.verify-failed')
      })
      if (result.verified) keyIds.push(key.id)
      else failures.push(`${key.file}: ${(result.reason ?? 'not verified').replace(/\.+$/, '')}`)
    }

    if (keyIds.length > 0) {
      this.options.logger.debug(`kit ${describeKit(kit)} (${reference}) is signed by ${keyIds.join(', ')}`)
      return {verified: true, keyIds}
    }

    throw new TwoliterError(
      `the kit ${describeKit(kit)} is not signed by a key Twoliter.toml trusts for vendor '${kit.vendor}', so it is refused: ${reference} — ${failures.join('; ')}.`,
      {
        location: keys[0].location,
        hint: `Do not use this image until its vendor confirms it: it may have been replaced or tampered with in the registry. If the vendor has rotated its signing key, add the new public key to [vendor.${kit.vendor}] signing-keys; \`twoliter verify ${reference} --key FILE\` shows what the image carries.`,
        code: 'trust.kit-not-signed',
      },
    )
  }

  private acceptUnsigned(kit: ImageRef): void {
    const file = this.options.projectFile
    if (this.settings.requireSignatures) {
      throw new TwoliterError(
        `the kit ${describeKit(kit)} cannot be verified: require-signatures = true in ${file}, and vendor '${kit.vendor}' lists no cosign public key in signing-keys.`,
        {
          hint: `Add the vendor's cosign public key, e.g. \`[vendor.${kit.vendor}] signing-keys = ["keys/${kit.vendor}-cosign.pub"]\`, or remove require-signatures to accept unsigned kits (with a warning).`,
          code: 'trust.signatures-required',
        },
      )
    }

    if (this.warned.has(kit.vendor)) return
    this.warned.add(kit.vendor)
    this.options.logger.warn(
      `kits of vendor '${kit.vendor}' (such as ${describeKit(kit)}) are used without checking their signatures: ${file} lists no cosign public key for the vendor. Add [vendor.${kit.vendor}] signing-keys = ["keys/${kit.vendor}-cosign.pub"] to verify them, and require-signatures = true to refuse unsigned kits.`,
    )
  }
}

function describeKit(kit: ImageRef): string {
  return `${kit.name}-${kit.version}@${kit.vendor}`
}
