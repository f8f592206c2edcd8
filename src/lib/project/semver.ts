/**
 * Versions as Rust's `semver` crate accepts them (what twoliter 0.5 uses for kit and SDK versions):
 * exactly MAJOR.MINOR.PATCH with optional -PRERELEASE and +BUILD, no leading 'v', no leading zeros, numbers
 * that fit in 64 bits. The npm `semver` package is more lenient (it accepts 'v1.2.3'), so it cannot be used
 * to validate.
 */

const NUMBER = '0|[1-9]\\d*'
const PRERELEASE_IDENTIFIER = `(?:${NUMBER}|\\d*[a-zA-Z-][0-9a-zA-Z-]*)`
const BUILD_IDENTIFIER = '[0-9a-zA-Z-]+'

// The grammar of semver.org 2.0.0.
const STRICT_SEMVER = new RegExp(
  `^(${NUMBER})\\.(${NUMBER})\\.(${NUMBER})` +
    `(?:-${PRERELEASE_IDENTIFIER}(?:\\.${PRERELEASE_IDENTIFIER})*)?` +
    `(?:\\+${BUILD_IDENTIFIER}(?:\\.${BUILD_IDENTIFIER})*)?$`,
)

const U64_MAX = 2n ** 64n - 1n

export function isStrictSemver(text: string): boolean {
  const match = STRICT_SEMVER.exec(text)
  return match !== null && match.slice(1, 4).every((part) => BigInt(part) <= U64_MAX)
}

/** Why `text` is not a strict semver version, in words a user can act on; undefined when it is one. */
export function strictSemverProblem(text: string): string | undefined {
  if (isStrictSemver(text)) return undefined
  if (text === '') return 'it is empty'
  if (/^[vV=]/.test(text)) return `remove the leading '${text[0]}'`
  if (text.trim() !== text) return 'remove the surrounding whitespace'

  const coreEnd = text.search(/[-+]/)
  const core = coreEnd === -1 ? text : text.slice(0, coreEnd)
  const parts = core.split('.')
  if (parts.length !== 3) return `it has ${parts.length} dot-separated number${parts.length === 1 ? '' : 's'} where MAJOR.MINOR.PATCH needs 3`
  for (const part of parts) {
    if (!/^\d+$/.test(part)) return `'${part}' is not a number`
    if (part.length > 1 && part.startsWith('0')) return `the number '${part}' has a leading zero`
    if (BigInt(part) > U64_MAX) return `the number '${part}' is too large`
  }

  const buildStart = text.indexOf('+')
  const prerelease = coreEnd !== -1 && text[coreEnd] === '-' ? text.slice(coreEnd + 1, buildStart === -1 ? undefined : buildStart) : undefined
  const build = buildStart === -1 ? undefined : text.slice(buildStart + 1)
  for (const identifier of prerelease?.split('.') ?? []) {
    if (identifier === '') return 'the pre-release part has an empty identifier'
    if (!/^[0-9a-zA-Z-]+$/.test(identifier)) return `the pre-release identifier '${identifier}' may only contain letters, digits and '-'`
    if (/^\d+$/.test(identifier) && identifier.length > 1 && identifier.startsWith('0')) {
      return `the numeric pre-release identifier '${identifier}' has a leading zero`
    }
  }

  for (const identifier of build?.split('.') ?? []) {
    if (identifier === '') return 'the build-metadata part has an empty identifier'
    if (!/^[0-9a-zA-Z-]+$/.test(identifier)) return `the build-metadata identifier '${identifier}' may only contain letters, digits and '-'`
  }

  return 'it is not of the form MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]'
}
