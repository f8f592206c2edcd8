/**
 * JSON as Go's encoding/json writes it, which is what cosign's payloads and manifests are. Byte-exact
 * output matters: the signature covers the payload's bytes, and the `.sig` manifest's digest is its
 * bytes' digest, so the same inputs should give the same bytes as cosign (reproducible signature images,
 * no spurious re-pushes). Two differences from JSON.stringify: Go escapes `<`, `>`, `&`, U+2028 and
 * U+2029, and Go writes map keys sorted by their UTF-8 bytes (struct fields keep declaration order, so
 * callers write those in order themselves).
 */

const GO_ESCAPES: Record<string, string> = {'<': '\\u003c', '>': '\\u003e', '&': '\\u0026', '\u2028': '\\u2028', '\u2029': '\\u2029'}

/** A JSON string literal, escaped as Go escapes it. */
export function goString(value: string): string {
  return JSON.stringify(value).replaceAll(/[<>&\u2028\u2029]/g, (character) => GO_ESCAPES[character])
}

/** Keys in the order Go writes a map's keys: by their UTF-8 bytes. */
export function goSortedKeys(object: object): string[] {
  return Object.keys(object).sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')))
}

/** A map (a plain object) with Go's key order; values through {@link goValue}. */
export function goMap(object: Record<string, unknown>): string {
  return `{${goSortedKeys(object)
    .filter((key) => object[key] !== undefined)
    .map((key) => `${goString(key)}:${goValue(object[key])}`)
    .join(',')}}`
}

/** Any JSON value; objects are written as Go maps (sorted keys). */
export function goValue(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return goString(value)
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`${value} cannot be written as JSON`)
    return JSON.stringify(value)
  }

  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (Array.isArray(value)) return `[${value.map((item) => goValue(item)).join(',')}]`
  if (typeof value === 'object') return goMap(value as Record<string, unknown>)
  throw new TypeError(`a ${typeof value} cannot be written as JSON`)
}

/** An object with its fields in the given order (a Go struct); undefined fields are left out (`omitempty`). */
export function goStruct(fields: ReadonlyArray<readonly [string, string | undefined]>): string {
  return `{${fields
    .filter((field): field is readonly [string, string] => field[1] !== undefined)
    .map(([key, json]) => `${goString(key)}:${json}`)
    .join(',')}}`
}
