import type {RegistryAccess} from '@twoliter/plugin-api'

import {SigningError} from './errors.js'

/** `ref` (by tag, `:latest` when it has none, or by digest) as the repository and the digest its registry holds. */
export async function resolveDigestReference(registry: Pick<RegistryAccess, 'headManifest'>, ref: string): Promise<{repository: string; digest: string}> {
  const at = ref.lastIndexOf('@')
  if (at > 0) return {repository: ref.slice(0, at), digest: ref.slice(at + 1)}
  const colon = ref.lastIndexOf(':')
  const tagged = colon > ref.lastIndexOf('/')
  const repository = tagged ? ref.slice(0, colon) : ref
  const info = await registry.headManifest(tagged ? ref : `${ref}:latest`)
  if (info === undefined) throw new SigningError(`${ref} is not in its registry.`, {hint: 'Check the repository and the tag (twoliter publish kit pushes tags like v1.2.0).', code: 'sign.no-image'})
  return {repository, digest: info.digest}
}
