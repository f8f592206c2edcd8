/**
 * OLPC canonical JSON exactly as the Rust `olpc-cjson` crate writes it (twoliter 0.5 hashes manifest
 * lists and encodes kit metadata with it, so our bytes must match bit for bit):
 * - no whitespace;
 * - object members sorted by the bytes of their serialized keys (quotes and escapes included), which is
 *   neither JavaScript's UTF-16 order nor plain code-point order;
 * - strings normalized to Unicode NFC, with only `\` and `"` escaped: control characters and non-ASCII are
 *   written raw as UTF-8 (so the output is not always valid JSON);
 * - integers only: floats, NaN and infinities are errors, as are integers outside i64/u64.
 */

import {TwoliterError} from '../errors.js'

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | {readonly [key: string]: JsonValue}

const I64_MIN = -(2n ** 63n)
const U64_MAX = 2n ** 64n - 1n

export function canonicalJson(value: JsonValue): Buffer {
  return Buffer.from(serialize(value, '$'), 'utf8')
}

/**
 * Parses JSON text the way twoliter 0.5 does (serde_json into a generic value) and writes it as canonical
 * JSON. Integers keep every digit; a float anywhere is an error, as in the reference.
 */
export function canonicalizeJsonText(text: string | Uint8Array): Buffer {
  return canonicalJson(parseJsonExactly(text))
}

function serialize(value: JsonValue, where: string): string {
  if (value === null) return 'null'
  switch (typeof value) {
    case 'boolean': {
      return value ? 'true' : 'false'
    }

    case 'number': {
      if (!Number.isInteger(value)) throw notCanonical(`${where} is the number ${value}, but floating point numbers are not allowed in canonical JSON`)
      return integerText(BigInt(value), where)
    }

    case 'bigint': {
      return integerText(value, where)
    }

    case 'string': {
      return quote(value, where)
    }

    case 'object': {
      if (Array.isArray(value)) return `[${value.map((item, index) => serialize(item, `${where}[${index}]`)).join(',')}]`
      return serializeObject(value, where)
    }

    default: {
      throw notCanonical(`${where} is not a JSON value`)
    }
  }
}

function serializeObject(object: {readonly [key: string]: JsonValue}, where: string): string {
  // olpc-cjson collects members in a map keyed by the serialized key, in the order serde_json gives them
  // (by the raw key's UTF-8 bytes); two keys equal after NFC therefore keep the value of the later one.
  const members = new Map<string, string>()
  const rawKeys = Object.keys(object).sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')))
  for (const key of rawKeys) {
    members.set(quote(key, where), serialize(object[key], `${where}[${JSON.stringify(key)}]`))
  }

  const sortedKeys = [...members.keys()].sort((a, b) => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')))
  return `{${sortedKeys.map((key) => `${key}:${members.get(key)}`).join(',')}}`
}

function integerText(value: bigint, where: string): string {
  if (value < I64_MIN || value > U64_MAX) throw notCanonical(`${where} is the integer ${value}, which does not fit in 64 bits`)
  return value.toString()
}

function quote(text: string, where: string): string {
  if (hasLoneSurrogate(text)) throw notCanonical(`${where} contains a lone UTF-16 surrogate, which is not Unicode text`)
  return `"${text.normalize('NFC').replaceAll(/["\\]/g, '\\$&')}"`
}

// A Rust string cannot hold one, so serde_json refuses such escapes; JavaScript strings can.
function hasLoneSurrogate(text: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text)
}

const utf8 = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true})

function parseJsonExactly(input: string | Uint8Array): JsonValue {
  let text: string
  try {
    text = typeof input === 'string' ? input : utf8.decode(input)
  } catch {
    throw notJson('it is not valid UTF-8')
  }

  try {
    return JSON.parse(text, reviveExactly) as JsonValue
  } catch (error) {
    if (error instanceof TwoliterError) throw error
    throw notJson((error as Error).message)
  }
}

/**
 * serde_json reads an integer that fits i64/u64 exactly and anything else (a fraction, an exponent, `-0`,
 * a larger integer) as a float, which canonical JSON then refuses. JSON.parse would silently round, so
 * numbers are rebuilt from their source text.
 */
function reviveExactly(this: unknown, key: string, value: unknown, context?: {source?: string}): unknown {
  if (typeof value === 'number') {
    const source = context?.source ?? String(value)
    if (/[.eE]/.test(source) || source === '-0') {
      throw notCanonical(`the number ${source} is a float, but floating point numbers are not allowed in canonical JSON`)
    }

    const integer = BigInt(source)
    if (integer < I64_MIN || integer > U64_MAX) throw notCanonical(`the integer ${source} does not fit in 64 bits`)
    return Number.isSafeInteger(Number(integer)) ? Number(integer) : integer
  }

  if (typeof value === 'string' && hasLoneSurrogate(value)) throw notJson('a string contains a lone UTF-16 surrogate escape')
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    if (Object.keys(value).some((member) => hasLoneSurrogate(member))) throw notJson('a key contains a lone UTF-16 surrogate escape')
  }

  return value
}

function notCanonical(reason: string): TwoliterError {
  return new TwoliterError(`cannot write canonical JSON: ${reason}.`, {code: 'json.not-canonical'})
}

function notJson(reason: string): TwoliterError {
  return new TwoliterError(`this is not valid JSON: ${reason}.`, {code: 'json.invalid'})
}
