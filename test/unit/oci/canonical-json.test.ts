import {expect} from 'chai'

import {type JsonValue, canonicalJson, canonicalizeJsonText} from '../../../src/lib/oci/canonical-json.js'
import {expectThrownTwoliterError} from '../project/helpers.js'

function text(value: JsonValue): string {
  return canonicalJson(value).toString('utf8')
}

describe('canonical JSON (olpc-cjson)', () => {
  // The smoke tests olpc-cjson shares with securesystemslib, the TUF reference implementation.
  it('writes arrays, objects and literals without whitespace', () => {
    expect(text([1, 2, 3])).to.equal('[1,2,3]')
    expect(text([])).to.equal('[]')
    expect(text({})).to.equal('{}')
    expect(text({A: [99]})).to.equal('{"A":[99]}')
    expect(text({A: true})).to.equal('{"A":true}')
    expect(text({B: false})).to.equal('{"B":false}')
    expect(text({x: 3, y: 2})).to.equal('{"x":3,"y":2}')
    expect(text({x: 3, y: null})).to.equal('{"x":3,"y":null}')
  })

  it('sorts the members of nested objects', () => {
    const value = {nested: {good: false, bad: true}, b: 2, a: 1, c: {x: {}, h: {i: 3, h: -5}, a: null}}
    expect(text(value)).to.equal('{"a":1,"b":2,"c":{"a":null,"h":{"h":-5,"i":3},"x":{}},"nested":{"bad":true,"good":false}}')
  })

  it('sorts keys by their UTF-8 bytes, not by UTF-16 code units', () => {
    // U+FF21 is EF BC A1 in UTF-8 and sorts before U+1F600 (F0 9F 98 80); in UTF-16 the emoji's D83D comes first.
    expect(text({'\u{1F600}': 2, '\uFF21': 1})).to.equal('{"\uFF21":1,"\u{1F600}":2}')
  })

  it('sorts keys by their serialized bytes, closing quote and escapes included', () => {
    // `"a!"` < `"a"` because '!' (0x21) < '"' (0x22); `"a#"` < `"a\""` because '#' (0x23) < '\' (0x5C).
    expect(text({a: 2, 'a!': 1})).to.equal('{"a!":1,"a":2}')
    expect(text({'a"': 1, 'a#': 2})).to.equal('{"a#":2,"a\\"":1}')
  })

  it('escapes only the quote and the backslash', () => {
    expect(text('say "hi" \\ bye / done')).to.equal('"say \\"hi\\" \\\\ bye / done"')
  })

  it('writes control characters raw, each as one byte between the quotes', () => {
    for (let code = 0; code < 0x20; code++) {
      const bytes = canonicalJson(String.fromCharCode(code))
      expect([...bytes]).to.deep.equal([0x22, code, 0x22])
    }

    expect(text({'\t': '\n'})).to.equal('{"\t":"\n"}')
  })

  it('writes non-ASCII characters raw as UTF-8', () => {
    expect([...canonicalJson('é\u{1F600}')]).to.deep.equal([0x22, 0xC3, 0xA9, 0xF0, 0x9F, 0x98, 0x80, 0x22])
  })

  it('normalizes strings and keys to NFC', () => {
    expect(text('e\u0301')).to.equal('"\u00E9"')
    expect(text({'e\u0301': 1})).to.equal('{"\u00E9":1}')
  })

  it('keeps the member whose raw key sorts last when two keys are equal after NFC', () => {
    // serde_json hands members over in raw-key order: "e\u0301" (65 CC 81) before "\u00E9" (C3 A9).
    expect(text({'\u00E9': 'precomposed', 'e\u0301': 'decomposed'})).to.equal('{"\u00E9":"precomposed"}')
  })

  it('writes integers exactly, up to the 64-bit limits', () => {
    expect(text([0, -0, -5, 2 ** 53 + 2, 18_446_744_073_709_551_615n, -9_223_372_036_854_775_808n])).to.equal(
      '[0,0,-5,9007199254740994,18446744073709551615,-9223372036854775808]',
    )
  })

  it('refuses floats, non-finite numbers and integers beyond 64 bits', () => {
    for (const value of [1.5, {x: 8.5}, Number.NaN, Number.POSITIVE_INFINITY, [2n ** 64n], -(2n ** 63n) - 1n]) {
      expectThrownTwoliterError(() => canonicalJson(value), 'json.not-canonical')
    }
  })

  it('names where a float is in its error', () => {
    const error = expectThrownTwoliterError(() => canonicalJson({manifests: [{size: 1.5}]}), 'json.not-canonical')
    expect(error.message).to.contain('$["manifests"][0]["size"]')
    expect(error.message).to.contain('floating point numbers are not allowed')
  })

  it('refuses strings with lone surrogates', () => {
    expectThrownTwoliterError(() => canonicalJson('\uD800'), 'json.not-canonical')
    expectThrownTwoliterError(() => canonicalJson({'\uDC00': 1}), 'json.not-canonical')
  })
})

describe('canonicalizeJsonText', () => {
  it('re-serializes JSON text canonically', () => {
    const input = '{\n  "b": [1, {"z": true, "y": null}],\n  "a": "x\\u0041\\"\\/"\n}'
    expect(canonicalizeJsonText(input).toString('utf8')).to.equal('{"a":"xA\\"/","b":[1,{"y":null,"z":true}]}')
  })

  it('accepts bytes and keeps integers beyond 2^53 exact', () => {
    const bytes = Buffer.from('{"size": 18446744073709551615, "n": -9223372036854775808, "s": 9007199254740993}')
    expect(canonicalizeJsonText(bytes).toString('utf8')).to.equal(
      '{"n":-9223372036854775808,"s":9007199254740993,"size":18446744073709551615}',
    )
  })

  it('keeps the last of duplicate keys, like serde_json', () => {
    expect(canonicalizeJsonText('{"a": 1, "a": 2}').toString('utf8')).to.equal('{"a":2}')
  })

  it('refuses every number serde_json reads as a float', () => {
    for (const input of ['8.0', '{"x": 1.5}', '[1e3]', '[1E3]', '-0', '18446744073709551616', '-9223372036854775809']) {
      expectThrownTwoliterError(() => canonicalizeJsonText(input), 'json.not-canonical')
    }
  })

  it('refuses text that is not JSON or not UTF-8', () => {
    expectThrownTwoliterError(() => canonicalizeJsonText('{"a": '), 'json.invalid')
    expectThrownTwoliterError(() => canonicalizeJsonText(Buffer.from([0x22, 0xFF, 0x22])), 'json.invalid')
    expectThrownTwoliterError(() => canonicalizeJsonText(Buffer.from('\uFEFF{}')), 'json.invalid')
    expectThrownTwoliterError(() => canonicalizeJsonText('"\\ud800"'), 'json.invalid')
  })
})
