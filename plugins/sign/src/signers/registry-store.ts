import type {RegistryAccess} from '@twoliter/plugin-api'

import type {SignatureStore} from '../cosign/attach.js'
import {SigningError} from '../errors.js'

/** The cosign module's four registry calls, made with the registry client twoliter lends to plugins. */
export function registrySignatureStore(registry: RegistryAccess): SignatureStore {
  return {
    async getManifest(repository, reference) {
      const ref = referenceIn(repository, reference)
      if ((await registry.headManifest(ref)) === undefined) return undefined
      const manifest = await registry.getManifest(ref)
      return {bytes: Buffer.from(manifest.bytes), mediaType: manifest.mediaType}
    },
    getBlob: async (repository, digest) => Buffer.from(await registry.getBlob(repository, digest)),
    putBlob: (repository, bytes) => registry.pushBlob(repository, bytes),
    async putManifest(repository, tag, bytes, mediaType) {
      await registry.pushManifest(`${repository}:${tag}`, bytes, mediaType)
    },
  }
}

function referenceIn(repository: string, reference: string): string {
  return reference.startsWith('sha256:') ? `${repository}@${reference}` : `${repository}:${reference}`
}

/** `registry/path@sha256:<hex>` split into the repository and the digest. */
export function splitDigestReference(reference: string): {repository: string; digest: string} {
  const at = reference.lastIndexOf('@')
  const digest = at === -1 ? '' : reference.slice(at + 1)
  if (at <= 0 || !/^sha256:[\da-f]{64}$/.test(digest)) {
    throw new SigningError(`${reference} does not name an image by digest (registry/repository@sha256:<hex>).`, {code: 'sign.reference', hint: 'Sign and verify images by digest: resolve the tag to its digest first.'})
  }

  return {repository: reference.slice(0, at), digest}
}
