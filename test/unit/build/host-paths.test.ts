import {expect} from 'chai'

import {checkMountableHostPath} from '../../../src/lib/build/host-paths.js'
import {TwoliterError} from '../../../src/lib/errors.js'

describe('checkMountableHostPath', () => {
  for (const refused of ['/', '/usr', '/etc/', '/var/lib/docker', '/proc/1', '/sys/fs', '/dev']) {
    it(`refuses ${refused}`, () => {
      expect(() => checkMountableHostPath(refused, 'the project root')).to.throw(TwoliterError, 'system directory')
    })
  }

  for (const allowed of ['/home/me/my-os', '/root/my-os', '/usr/src/my-os', '/var/tmp/build', '/tmp/x']) {
    it(`allows ${allowed}`, () => {
      expect(() => checkMountableHostPath(allowed, 'the project root')).not.to.throw()
    })
  }
})
