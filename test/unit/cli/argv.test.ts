import {expect} from 'chai'

import {hoistGlobalFlags} from '../../../src/lib/cli/argv.js'

describe('hoistGlobalFlags', () => {
  it('lifts --log-level LEVEL placed before the command', () => {
    expect(hoistGlobalFlags(['--log-level', 'debug', 'graph', 'core-kit'])).to.deep.equal({
      argv: ['graph', 'core-kit'],
      logLevel: 'debug',
    })
  })

  it('lifts the --log-level=LEVEL spelling', () => {
    expect(hoistGlobalFlags(['--log-level=trace', 'update'])).to.deep.equal({argv: ['update'], logLevel: 'trace'})
  })

  it('leaves a --log-level after the command to the command', () => {
    expect(hoistGlobalFlags(['graph', '--log-level', 'warn'])).to.deep.equal({
      argv: ['graph', '--log-level', 'warn'],
      logLevel: undefined,
    })
  })

  it('does not mistake a longer flag for --log-level', () => {
    expect(hoistGlobalFlags(['--log-levels', 'x']).argv).to.deep.equal(['--log-levels', 'x'])
  })
})
