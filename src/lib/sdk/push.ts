import {hostArch} from '../build/arch.js'
import type {Engine} from '../engine/index.js'
import {type RegistryClient, linuxPlatform, pushDockerArchive} from '../oci/index.js'
import {lockDigest} from '../project/lock.js'

export interface PushedSdk {
  reference: string
  /** Registry digest of the one-entry image index the tag names. */
  digest: string
  /** What Twoliter.lock records for this SDK: base64 SHA-256 of the index's canonical JSON. */
  lockDigest: string
}

/**
 * Pushes a local image to its registry as a one-entry image index (a manifest list), the form in which
 * the Rust twoliter reads every SDK and kit, for the host's architecture.
 */
export async function pushLocalSdk(engine: Engine, client: RegistryClient, image: string): Promise<PushedSdk> {
  const archive = await engine.docker.getImage(image).get()
  const pushed = await pushDockerArchive(client, archive, image, linuxPlatform(hostArch()))
  return {reference: image, digest: pushed.index.digest, lockDigest: lockDigest(pushed.index.bytes)}
}
