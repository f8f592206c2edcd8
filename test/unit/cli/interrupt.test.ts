import {expect} from 'chai'

import {listenForInterrupt} from '../../../src/lib/cli/interrupt.js'
import {TwoliterError} from '../../../src/lib/errors.js'
import {Logger} from '../../../src/lib/ui/logger.js'

describe('listenForInterrupt', () => {
  it('aborts its signal on SIGINT with an error that exits 130, and stops listening when disposed', () => {
    const lines: string[] = []
    const listeners = process.listenerCount('SIGINT')
    const interrupt = listenForInterrupt(new Logger('warn', {write: (line) => lines.push(line)}), 'the test build', 'Run it again.')
    expect(process.listenerCount('SIGINT')).to.equal(listeners + 1)
    try {
      process.emit('SIGINT', 'SIGINT')
      expect(interrupt.signal.aborted).to.equal(true)
      const reason = interrupt.signal.reason as TwoliterError
      expect(reason).to.be.instanceOf(TwoliterError)
      expect(reason).to.include({message: 'the test build was interrupted (SIGINT).', hint: 'Run it again.', exitCode: 130, code: 'interrupted'})
      expect(lines).to.deep.equal(['warning: SIGINT: stopping the test build and cleaning up (press Ctrl-C again to quit at once)'])
    } finally {
      interrupt.dispose()
    }

    expect(process.listenerCount('SIGINT')).to.equal(listeners)
  })
})
