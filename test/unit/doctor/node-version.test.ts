import {expect} from 'chai'

import {checkNodeVersion} from '../../../src/lib/doctor/node-version.js'

const REQUIRED = '>=22.22.0'
const EXEC_PATH = '/opt/node/bin/node'

describe('doctor: Node.js version', () => {
  it('accepts the minimum and anything newer, showing the version and path', () => {
    for (const version of ['v22.22.0', 'v22.23.3', 'v24.1.0', 'v25.0.0-nightly20260101abcdef']) {
      const check = checkNodeVersion({version, execPath: EXEC_PATH}, REQUIRED)
      expect(check.status, version).to.equal('ok')
      expect(check.detail).to.equal(`${version} at ${EXEC_PATH} (twoliter needs >=22.22.0)`)
      expect(check).not.to.have.property('fix')
    }
  })

  it('fails an older Node with how to get a recent one', () => {
    for (const version of ['v22.21.9', 'v20.19.0', 'v18.20.4']) {
      const check = checkNodeVersion({version, execPath: EXEC_PATH}, REQUIRED)
      expect(check.status, version).to.equal('fail')
      expect(check.detail).to.equal(`${version} at ${EXEC_PATH} is too old: twoliter needs >=22.22.0.`)
      expect(check.fix).to.include('Node.js 22.22.0 or later').and.include('scripts/setup')
    }
  })

  it('fails a version it cannot read instead of guessing', () => {
    const check = checkNodeVersion({version: 'v22', execPath: EXEC_PATH}, REQUIRED)
    expect(check.status).to.equal('fail')
    expect(check.detail).to.include("'v22' is not a version")
  })

  it('takes the minimum from the range it is given', () => {
    expect(checkNodeVersion({version: 'v22.22.0', execPath: EXEC_PATH}, '>=24.0.0').fix).to.include('Node.js 24.0.0 or later')
  })
})
