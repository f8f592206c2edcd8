import {expect} from 'chai'

import {challengeScopes, parseChallenges} from '../../../src/lib/oci/challenge.js'

describe('WWW-Authenticate challenges', () => {
  it('reads a Bearer challenge as registries send it', () => {
    const [challenge, ...rest] = parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"')
    expect(rest).to.deep.equal([])
    expect(challenge).to.deep.equal({
      scheme: 'bearer',
      params: {realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/busybox:pull'},
    })
  })

  it('reads an insufficient-scope challenge with several scopes', () => {
    const [challenge] = parseChallenges('Bearer realm="https://r.example/token",service="r",scope="repository:a:pull,push repository:b:pull",error="insufficient_scope"')
    expect(challenge.params.error).to.equal('insufficient_scope')
    expect(challengeScopes(challenge)).to.deep.equal(['repository:a:pull,push', 'repository:b:pull'])
  })

  it('reads Basic, unquoted values, odd spacing and case', () => {
    expect(parseChallenges('Basic realm="twoliter-test"')).to.deep.equal([{scheme: 'basic', params: {realm: 'twoliter-test'}}])
    expect(parseChallenges('BEARER  Realm = https://r.example/token , Service=r')).to.deep.equal([{scheme: 'bearer', params: {realm: 'https://r.example/token', service: 'r'}}])
  })

  it('unescapes quoted strings', () => {
    const [challenge] = parseChallenges(String.raw`Basic realm="say \"hi\", then \\ leave"`)
    expect(challenge.params.realm).to.equal(String.raw`say "hi", then \ leave`)
  })

  it('splits several challenges in one header, bare schemes and token68 ones included', () => {
    const challenges = parseChallenges('Negotiate abc123==, Basic realm="a", Bearer realm="https://t.example",service="s", NTLM')
    expect(challenges.map((challenge) => challenge.scheme)).to.deep.equal(['negotiate', 'basic', 'bearer', 'ntlm'])
    expect(challenges[0].params).to.deep.equal({})
    expect(challenges[2].params).to.deep.equal({realm: 'https://t.example', service: 's'})
    expect(challengeScopes(challenges[2])).to.deep.equal([])
  })

  it('finds nothing in an empty or garbled header', () => {
    expect(parseChallenges('')).to.deep.equal([])
    expect(parseChallenges('   ,  ')).to.deep.equal([])
    expect(parseChallenges('"quoted"')).to.deep.equal([])
  })
})
