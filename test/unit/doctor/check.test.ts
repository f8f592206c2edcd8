import {expect} from 'chai'

import {defineCheck, describeError} from '../../../src/lib/doctor/check.js'
import {TwoliterError} from '../../../src/lib/errors.js'

describe('doctor: check results', () => {
  it('carries a fix for every status but ok', () => {
    const check = defineCheck('thing', 'Thing')
    expect(check.ok('fine')).to.deep.equal({id: 'thing', title: 'Thing', status: 'ok', detail: 'fine'})
    for (const status of ['warn', 'fail', 'skipped'] as const) {
      expect(check[status]('not fine', 'do this')).to.deep.equal({id: 'thing', title: 'Thing', status, detail: 'not fine', fix: 'do this'})
    }
  })

  it('turns an error into one line with its location, and its hint into the fix', () => {
    const error = new TwoliterError('bad key.\nmore about it', {location: {file: '/p/Twoliter.toml', line: 3, column: 5}, hint: 'Rename it.'})
    expect(describeError(error, 'fallback')).to.deep.equal({detail: '/p/Twoliter.toml:3:5: bad key.', fix: 'Rename it.'})
  })

  it('falls back to the given fix for errors without a hint and for foreign errors', () => {
    expect(describeError(new TwoliterError('no hint here.'), 'fallback')).to.deep.equal({detail: 'no hint here.', fix: 'fallback'})
    expect(describeError(new Error('EACCES: permission denied, statfs \'/x\''), 'fallback')).to.deep.equal({detail: 'EACCES: permission denied, statfs \'/x\'', fix: 'fallback'})
  })

  it('drops the sentence that introduced what the first line cut off', () => {
    const error = new TwoliterError('Building the image x failed: exit code 1. The last lines of the build:\n  #3 ERROR')
    expect(describeError(error, 'f').detail).to.equal('Building the image x failed: exit code 1.')
  })
})
