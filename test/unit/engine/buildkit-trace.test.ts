import {expect} from 'chai'

import {TraceRenderer, decodeTraceStatus} from '../../../src/lib/engine/buildkit-trace.js'

// A trace line Docker 20.10 sent for `RUN echo before-fail && exit 3`: one log message of the step.
const REAL_LOG_TRACE =
  'GmcKR3NoYTI1NjpiYmIwODU1NmFjMjMzOTZhOTJiN2RmYWZkMWZhMjVmOWVlODM2YmIyZDJiNDI3ZWRiNDJiMTg3ZjZiMGNjZTNmEgwIw62J2AYQhtSOyAMYASIMYmVmb3JlLWZhaWwK'
const REAL_DIGEST = 'sha256:bbb08556ac23396a92b7dfafd1fa25f9ee836bb2d2b427edb42b187f6b0cce3f'

// The protobuf wire format, enough to write StatusResponse messages.
function varint(value: number): number[] {
  const bytes: number[] = []
  do {
    bytes.push((value & 0x7f) | (value > 0x7f ? 0x80 : 0))
    value >>>= 7
  } while (value > 0)
  return bytes
}

function bytesField(number: number, content: Uint8Array | string): number[] {
  const data = typeof content === 'string' ? Buffer.from(content) : content
  return [...varint((number << 3) | 2), ...varint(data.length), ...data]
}

function varintField(number: number, value: number): number[] {
  return [...varint(number << 3), ...varint(value)]
}

const timestamp = Uint8Array.from(varintField(1, 1_700_000_000))

function vertex(fields: {digest: string; name: string; started?: boolean; completed?: boolean; cached?: boolean; error?: string}): number[] {
  return bytesField(
    1,
    Uint8Array.from([
      ...bytesField(1, fields.digest),
      ...bytesField(3, fields.name),
      ...(fields.cached ? varintField(4, 1) : []),
      ...(fields.started ? bytesField(5, timestamp) : []),
      ...(fields.completed ? bytesField(6, timestamp) : []),
      ...(fields.error ? bytesField(7, fields.error) : []),
    ]),
  )
}

function log(digest: string, text: string, stream = 1): number[] {
  return bytesField(3, Uint8Array.from([...bytesField(1, digest), ...bytesField(2, timestamp), ...varintField(3, stream), ...bytesField(4, text)]))
}

const encode = (...parts: number[][]): string => Buffer.from(parts.flat()).toString('base64')

describe('decodeTraceStatus', () => {
  it('decodes the output of a RUN step as Docker sent it', () => {
    const status = decodeTraceStatus(REAL_LOG_TRACE)
    expect(status.vertexes).to.deep.equal([])
    expect(status.logs).to.have.length(1)
    expect(status.logs[0].vertex).to.equal(REAL_DIGEST)
    expect(status.logs[0].stream).to.equal(1)
    expect(Buffer.from(status.logs[0].data).toString()).to.equal('before-fail\n')
  })

  it('decodes vertexes with their state and error, and warnings', () => {
    const status = decodeTraceStatus(
      encode(vertex({digest: 'sha256:a', name: '[1/2] FROM base', started: true, completed: true, cached: true}), vertex({digest: 'sha256:b', name: '[2/2] RUN false', started: true, completed: true, error: 'exit code: 1'}), bytesField(4, Uint8Array.from(bytesField(3, 'deprecated syntax')))),
    )
    expect(status.vertexes).to.deep.equal([
      {digest: 'sha256:a', name: '[1/2] FROM base', cached: true, started: true, completed: true, error: ''},
      {digest: 'sha256:b', name: '[2/2] RUN false', cached: false, started: true, completed: true, error: 'exit code: 1'},
    ])
    expect(status.warnings).to.deep.equal(['deprecated syntax'])
  })

  it('fails on a truncated message instead of inventing content', () => {
    const bytes = Buffer.from(REAL_LOG_TRACE, 'base64')
    expect(() => decodeTraceStatus(bytes.subarray(0, bytes.length - 3).toString('base64'))).to.throw(/truncated/)
  })
})

describe('TraceRenderer', () => {
  it('prints steps when they start, their output as whole lines, and how they ended', () => {
    const lines: string[] = []
    const renderer = new TraceRenderer((line) => lines.push(line))
    renderer.render(decodeTraceStatus(encode(vertex({digest: 'sha256:a', name: '[1/2] FROM base', started: true}))))
    renderer.render(decodeTraceStatus(encode(vertex({digest: 'sha256:a', name: '[1/2] FROM base', started: true, completed: true, cached: true}))))
    renderer.render(decodeTraceStatus(encode(vertex({digest: 'sha256:b', name: '[2/2] RUN make', started: true}), log('sha256:b', 'compiling\nlin'))))
    renderer.render(decodeTraceStatus(encode(log('sha256:b', 'king\n', 2), log('sha256:b', 'no newline at the end'))))
    renderer.render(decodeTraceStatus(encode(vertex({digest: 'sha256:b', name: '[2/2] RUN make', started: true, completed: true, error: 'exit code: 2'}))))
    renderer.flush()
    expect(lines).to.deep.equal([
      '#1 [1/2] FROM base',
      '#1 CACHED',
      '#2 [2/2] RUN make',
      '#2 compiling',
      '#2 linking',
      '#2 ERROR: exit code: 2',
      '#2 no newline at the end',
    ])
  })
})
