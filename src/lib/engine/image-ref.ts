/** `registry:5000/path/name:tag` → `{repository: 'registry:5000/path/name', tag: 'tag'}`; the tag defaults to `latest`. */
export function splitImageRef(ref: string): {repository: string; tag: string} {
  const withoutDigest = ref.split('@')[0]
  const lastSlash = withoutDigest.lastIndexOf('/')
  const colon = withoutDigest.lastIndexOf(':')
  if (colon > lastSlash) return {repository: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1)}
  return {repository: withoutDigest, tag: 'latest'}
}
