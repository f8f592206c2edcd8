import {expect} from 'chai'

import {isStrictSemver, strictSemverProblem} from '../../../src/lib/project/semver.js'

describe('strict semver', () => {
  const valid = [
    '0.0.0',
    '1.2.3',
    '10.20.30',
    '1.2.3-0',
    '1.2.3-rc.1',
    '1.2.3-0a.x-y.--',
    '1.2.3+build.001',
    '1.2.3-alpha+001',
    '1.0.0-x.7.z.92+exp.sha.5114f85',
    '18446744073709551615.0.0',
  ]
  for (const version of valid) {
    it(`accepts ${version}`, () => {
      expect(isStrictSemver(version)).to.equal(true)
      expect(strictSemverProblem(version)).to.equal(undefined)
    })
  }

  const invalid: Array<[string, string]> = [
    ['', 'it is empty'],
    ['v1.2.3', "remove the leading 'v'"],
    ['V1.2.3', "remove the leading 'V'"],
    ['=1.2.3', "remove the leading '='"],
    [' 1.2.3', 'remove the surrounding whitespace'],
    ['1.2.3 ', 'remove the surrounding whitespace'],
    ['1.2', 'it has 2 dot-separated numbers where MAJOR.MINOR.PATCH needs 3'],
    ['1', 'it has 1 dot-separated number where MAJOR.MINOR.PATCH needs 3'],
    ['1.2.3.4', 'it has 4 dot-separated numbers where MAJOR.MINOR.PATCH needs 3'],
    ['01.2.3', "the number '01' has a leading zero"],
    ['1.02.3', "the number '02' has a leading zero"],
    ['1.2.03', "the number '03' has a leading zero"],
    ['1.x.3', "'x' is not a number"],
    ['18446744073709551616.0.0', "the number '18446744073709551616' is too large"],
    ['1.2.3-', 'the pre-release part has an empty identifier'],
    ['1.2.3-a..b', 'the pre-release part has an empty identifier'],
    ['1.2.3-01', "the numeric pre-release identifier '01' has a leading zero"],
    ['1.2.3-a_b', "the pre-release identifier 'a_b' may only contain letters, digits and '-'"],
    ['1.2.3+', 'the build-metadata part has an empty identifier'],
    ['1.2.3+a+b', "the build-metadata identifier 'a+b' may only contain letters, digits and '-'"],
  ]
  for (const [version, problem] of invalid) {
    it(`rejects ${JSON.stringify(version)}: ${problem}`, () => {
      expect(isStrictSemver(version)).to.equal(false)
      expect(strictSemverProblem(version)).to.equal(problem)
    })
  }
})
