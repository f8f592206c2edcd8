/**
 * `WWW-Authenticate` challenges (RFC 9110 §11.6.1): what a registry answering 401 wants, e.g.
 * `Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"`.
 * One header may carry several challenges.
 */

export interface AuthChallenge {
  /** Lowercase: `bearer`, `basic`, ... */
  scheme: string
  /** Parameter names lowercase, values unquoted. */
  params: Record<string, string>
}

const TOKEN = "[!#$%&'*+.^_`|~0-9A-Za-z-]+"
const SCHEME = new RegExp(`^(${TOKEN})`)
// Unquoted values should be tokens; we also take the URLs some servers leave unquoted.
const PARAM = new RegExp(`^(${TOKEN})\\s*=\\s*(?:"((?:[^"\\\\]|\\\\.)*)"|([^\\s,"=][^\\s,"]*))`)
const TOKEN68 = /^[\w.~+/-]+=*/

export function parseChallenges(header: string): AuthChallenge[] {
  const challenges: AuthChallenge[] = []
  let rest = header
  const skip = (pattern: RegExp): void => {
    rest = rest.replace(pattern, '')
  }

  for (skip(/^[\s,]+/); rest !== ''; skip(/^[\s,]+/)) {
    const scheme = SCHEME.exec(rest)
    if (scheme === null) break
    rest = rest.slice(scheme[0].length)
    const challenge: AuthChallenge = {scheme: scheme[1].toLowerCase(), params: {}}
    challenges.push(challenge)
    skip(/^ +/)
    if (!PARAM.test(rest)) {
      // No parameters: a bare scheme, or one with a token68 credential, as Negotiate uses.
      const token68 = TOKEN68.exec(rest)
      if (token68 !== null && /^\s*(?:,|$)/.test(rest.slice(token68[0].length))) rest = rest.slice(token68[0].length)
      continue
    }

    for (let param = PARAM.exec(rest); param !== null; param = PARAM.exec(rest)) {
      challenge.params[param[1].toLowerCase()] = param[2] === undefined ? param[3] : param[2].replaceAll(/\\(.)/g, '$1')
      rest = rest.slice(param[0].length)
      const separator = /^\s*,\s*/.exec(rest)
      if (separator === null) break
      const afterSeparator = rest.slice(separator[0].length)
      // A token that is not followed by `=` starts the next challenge.
      if (!PARAM.test(afterSeparator)) break
      rest = afterSeparator
    }
  }

  return challenges
}

/** The scopes a Bearer challenge asks for (space-separated in one `scope` parameter). */
export function challengeScopes(challenge: AuthChallenge): string[] {
  return (challenge.params.scope ?? '').split(' ').filter((scope) => scope !== '')
}
