/**
 * The argv and environment twoliter gives the cosign CLI, by version: pinned to the legacy `.sig` format,
 * no transparency log, the password never on the command line.
 */

import {expect} from 'chai'

import {
  annotationFlag,
  checkSupportedVersion,
  classifyVerifyFailure,
  type CosignVersion,
  cosignEnv,
  legacyFormatFlags,
  parseCosignVersion,
  signArgs,
  usesPlainHttp,
  verifyArgs,
} from '../../src/cosign-cli/args.js'
import {isSigningError} from '../../src/errors.js'

const v = (text: string): CosignVersion => parseCosignVersion(JSON.stringify({gitVersion: text, gitCommit: 'abc', platform: 'linux/amd64'}), 'cosign')
const REF = '127.0.0.1:5000/vendor/kit@sha256:' + 'a'.repeat(64)

function expectCode(action: () => unknown, code: string): Error & {hint?: string} {
  try {
    action()
  } catch (error) {
    expect(isSigningError(error), String(error)).to.equal(true)
    expect((error as {code: string}).code).to.equal(code)
    expect((error as {hint: string}).hint).to.be.a('string').and.not.equal('')
    return error as Error
  }

  return expect.fail(`expected a ${code} error`)
}

describe('cosign CLI arguments', () => {
  describe('version', () => {
    it('reads `cosign version --json` as cosign 2 and 3 print it, with or without the v', () => {
      const printed = '{\n  "gitVersion": "v2.4.1",\n  "gitCommit": "9a4cfe1aae777984c07ce373d97a65428bbff734",\n  "gitTreeState": "clean",\n  "buildDate": "2024-10-03T17:59:35Z",\n  "goVersion": "go1.23.2",\n  "compiler": "gc",\n  "platform": "linux/amd64"\n}\n'
      expect(parseCosignVersion(printed, 'cosign')).to.deep.equal({major: 2, minor: 4, patch: 1, text: 'v2.4.1'})
      expect(parseCosignVersion('{"gitVersion":"2.0.1"}', 'cosign')).to.include({major: 2, minor: 0, patch: 1})
      expect(parseCosignVersion('{"gitVersion":"v3.0.4-0.20260101-abcdef"}', 'cosign')).to.include({major: 3, minor: 0, patch: 4})
    })

    it('refuses output that is not cosign\'s version, naming the program', () => {
      expect(expectCode(() => parseCosignVersion('version --json\n', '/opt/bin/cosign'), 'sign.cosign-version').message).to.include('/opt/bin/cosign')
      expect(expectCode(() => parseCosignVersion('{"gitVersion":"devel"}', 'cosign'), 'sign.cosign-version').message).to.include('"devel"')
      expectCode(() => parseCosignVersion('', 'cosign'), 'sign.cosign-version')
    })

    it('drives 2.x and 3.x, and refuses 1.x and 4.x with the reason', () => {
      for (const text of ['v2.0.0', 'v2.5.3', 'v2.6.1', 'v3.0.0', 'v3.1.3']) checkSupportedVersion(v(text), 'cosign')
      expect(expectCode(() => checkSupportedVersion(v('v1.13.6'), 'cosign'), 'sign.cosign-version').message).to.match(/cosign v1\.13\.6; twoliter drives cosign 2\.x and 3\.x only \(older ones lack/)
      expect(expectCode(() => checkSupportedVersion(v('v4.0.0'), 'cosign'), 'sign.cosign-version').message).to.include('newer ones may not write the legacy sha256-<hex>.sig')
    })
  })

  describe('legacy format flags', () => {
    it('are none before 2.6, which knows no bundle format for images', () => {
      expect(legacyFormatFlags(v('v2.0.0'), 'sign')).to.deep.equal([])
      expect(legacyFormatFlags(v('v2.5.3'), 'verify')).to.deep.equal([])
    })

    it('turn off the bundle format (and, to sign, the TUF signing config) from 2.6 on, where 3.0 made them the default', () => {
      for (const text of ['v2.6.0', 'v3.0.4', 'v3.1.3']) {
        expect(legacyFormatFlags(v(text), 'sign')).to.deep.equal(['--new-bundle-format=false', '--use-signing-config=false'])
        expect(legacyFormatFlags(v(text), 'verify')).to.deep.equal(['--new-bundle-format=false'])
      }
    })
  })

  describe('sign', () => {
    it('signs with the key file, no transparency log, no prompt, HTTP for a loopback registry, the reference last', () => {
      expect(signArgs({version: v('v2.2.4'), keyFile: '/keys/cosign.key', reference: REF, plainHttp: true})).to.deep.equal([
        'sign',
        '--key',
        '/keys/cosign.key',
        '--tlog-upload=false',
        '--yes',
        '--allow-http-registry=true',
        REF,
      ])
      expect(signArgs({version: v('v3.0.4'), keyFile: 'k', reference: REF, plainHttp: false})).to.deep.equal([
        'sign',
        '--key',
        'k',
        '--tlog-upload=false',
        '--yes',
        '--new-bundle-format=false',
        '--use-signing-config=false',
        REF,
      ])
    })

    it('passes annotations as -a, quoting those cobra would split at a comma', () => {
      const args = signArgs({version: v('v2.4.1'), keyFile: 'k', reference: REF, plainHttp: false, annotations: {build: '42', list: 'a,b', quote: 'say "hi"'}})
      expect(args.slice(5, -1)).to.deep.equal(['-a', 'build=42', '-a', '"list=a,b"', '-a', '"quote=say ""hi"""'])
      expectCode(() => annotationFlag('a=b', 'c'), 'sign.annotation')
      expectCode(() => annotationFlag('', 'c'), 'sign.annotation')
    })

    it('never puts the password in argv: it goes in COSIGN_PASSWORD, set even when empty, and verify gets none', () => {
      const base = {PATH: '/usr/bin', DOCKER_CONFIG: '/home/me/.docker', COSIGN_PASSWORD: 'from the shell'}
      expect(cosignEnv(base, 'secret')).to.deep.equal({PATH: '/usr/bin', DOCKER_CONFIG: '/home/me/.docker', COSIGN_PASSWORD: 'secret'})
      expect(cosignEnv(base, '')).to.include({COSIGN_PASSWORD: ''})
      expect(cosignEnv(base)).to.not.have.property('COSIGN_PASSWORD')
      expect(base.COSIGN_PASSWORD).to.equal('from the shell')
      const args = signArgs({version: v('v3.0.4'), keyFile: 'k', reference: REF, plainHttp: false, annotations: {a: 'b'}})
      expect(args.join(' ')).to.not.include('secret')
    })
  })

  describe('verify', () => {
    it('checks with the public key file without the transparency log, pinned to the .sig format from 2.6', () => {
      expect(verifyArgs({version: v('v2.1.0'), publicKeyFile: '/tmp/x/cosign.pub', reference: REF, plainHttp: true})).to.deep.equal([
        'verify',
        '--key',
        '/tmp/x/cosign.pub',
        '--insecure-ignore-tlog=true',
        '--allow-http-registry=true',
        REF,
      ])
      expect(verifyArgs({version: v('v3.0.2'), publicKeyFile: 'p', reference: REF, plainHttp: false})).to.deep.equal(['verify', '--key', 'p', '--insecure-ignore-tlog=true', '--new-bundle-format=false', REF])
    })

    it('tells a missing or non-matching signature (an answer) from other failures (errors)', () => {
      expect(classifyVerifyFailure('Error: no signatures found\nmain.go:69: error during command execution: no signatures found')).to.equal('missing')
      expect(classifyVerifyFailure('Error: no matching signatures: invalid signature when validating ASN.1 encoded signature')).to.equal('no-match')
      expect(classifyVerifyFailure('Error: GET http://127.0.0.1:1/v2/: dial tcp 127.0.0.1:1: connect: connection refused')).to.equal(undefined)
    })
  })

  describe('plain HTTP registries', () => {
    it('are loopback ones and those in TWOLITER_INSECURE_REGISTRIES, as twoliter\'s client decides', () => {
      expect(usesPlainHttp('127.0.0.1:5000/vendor/kit', {})).to.equal(true)
      expect(usesPlainHttp('localhost:5000/kit', {})).to.equal(true)
      expect(usesPlainHttp('[::1]:5000/kit', {})).to.equal(true)
      expect(usesPlainHttp('registry.example.com/kit', {})).to.equal(false)
      expect(usesPlainHttp('registry.lan:5000/kit', {TWOLITER_INSECURE_REGISTRIES: 'other.lan, registry.lan:5000'})).to.equal(true)
      expect(usesPlainHttp('registry.lan:5001/kit', {TWOLITER_INSECURE_REGISTRIES: 'registry.lan:5000'})).to.equal(false)
      expect(usesPlainHttp('registry.lan:5001/kit', {TWOLITER_INSECURE_REGISTRIES: 'registry.lan'})).to.equal(true)
    })
  })
})
