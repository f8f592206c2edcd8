import {expect} from 'chai'

import {EngineAbortError, engineMessage, engineRequestFailed} from '../../../src/lib/engine/engine-errors.js'

describe('engine errors', () => {
  it('say why a run was aborted when the reason says it, once punctuated', () => {
    expect(new EngineAbortError('The build of pkg-a', new Error('the build was interrupted (SIGINT).')).message).to.equal(
      'The build of pkg-a was aborted: the build was interrupted (SIGINT).',
    )
    expect(new EngineAbortError('The build of pkg-a', AbortSignal.abort().reason).message).to.equal('The build of pkg-a was aborted.')
    expect(new EngineAbortError('The build of pkg-a').code).to.equal('engine.aborted')
  })

  it('use the engine\'s own message rather than dockerode\'s wrapping', () => {
    const answered = Object.assign(new Error('(HTTP code 400) unexpected - invalid mount config'), {statusCode: 400, json: {message: 'invalid mount config for type "bind": bind source path does not exist: /x'}})
    expect(engineMessage(answered)).to.equal('invalid mount config for type "bind": bind source path does not exist: /x')
    expect(engineMessage(new Error('(HTTP code 500) server error - boom'))).to.equal('server error - boom')
    const error = engineRequestFailed('Creating a container from sdk', answered)
    expect(error.message).to.equal('Creating a container from sdk failed: invalid mount config for type "bind": bind source path does not exist: /x.')
    expect(error.code).to.equal('engine.request')
  })
})
