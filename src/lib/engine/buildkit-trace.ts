/**
 * BuildKit reports a build's progress as `{"id": "moby.buildkit.trace", "aux": "<base64>"}` lines whose
 * payload is a protobuf `moby.buildkit.v1.StatusResponse`. dockerode's own decoder hands the output of
 * RUN steps back still base64-encoded, so the few fields we show are decoded here from the wire format.
 */
import {TextDecoder} from 'node:util'

export interface TraceVertex {
  digest: string
  name: string
  cached: boolean
  started: boolean
  completed: boolean
  error: string
}

export interface TraceLog {
  vertex: string
  /** 1 for stdout, 2 for stderr. */
  stream: number
  data: Uint8Array
}

export interface TraceStatus {
  vertexes: TraceVertex[]
  logs: TraceLog[]
  warnings: string[]
}

/** Field numbers of moby/buildkit api/services/control/control.proto. */
const STATUS = {vertexes: 1, logs: 3, warnings: 4} as const
const VERTEX = {digest: 1, name: 3, cached: 4, started: 5, completed: 6, error: 7} as const
const LOG = {vertex: 1, stream: 3, msg: 4} as const
const WARNING = {short: 3} as const

const WIRE = {varint: 0, fixed64: 1, bytes: 2, fixed32: 5} as const

interface Field {
  number: number
  varint?: bigint
  bytes?: Uint8Array
}

const utf8 = new TextDecoder()

export function decodeTraceStatus(base64: string): TraceStatus {
  const status: TraceStatus = {vertexes: [], logs: [], warnings: []}
  for (const field of readFields(Buffer.from(base64, 'base64'))) {
    if (field.bytes === undefined) continue
    if (field.number === STATUS.vertexes) status.vertexes.push(decodeVertex(field.bytes))
    else if (field.number === STATUS.logs) status.logs.push(decodeLog(field.bytes))
    else if (field.number === STATUS.warnings) {
      const short = readFields(field.bytes).find((f) => f.number === WARNING.short)?.bytes
      if (short !== undefined) status.warnings.push(utf8.decode(short))
    }
  }

  return status
}

function decodeVertex(bytes: Uint8Array): TraceVertex {
  const vertex: TraceVertex = {digest: '', name: '', cached: false, started: false, completed: false, error: ''}
  for (const field of readFields(bytes)) {
    if (field.number === VERTEX.digest && field.bytes) vertex.digest = utf8.decode(field.bytes)
    else if (field.number === VERTEX.name && field.bytes) vertex.name = utf8.decode(field.bytes)
    else if (field.number === VERTEX.cached) vertex.cached = field.varint === 1n
    else if (field.number === VERTEX.started) vertex.started = true
    else if (field.number === VERTEX.completed) vertex.completed = true
    else if (field.number === VERTEX.error && field.bytes) vertex.error = utf8.decode(field.bytes)
  }

  return vertex
}

function decodeLog(bytes: Uint8Array): TraceLog {
  const log: TraceLog = {vertex: '', stream: 1, data: new Uint8Array()}
  for (const field of readFields(bytes)) {
    if (field.number === LOG.vertex && field.bytes) log.vertex = utf8.decode(field.bytes)
    else if (field.number === LOG.stream && field.varint !== undefined) log.stream = Number(field.varint)
    else if (field.number === LOG.msg && field.bytes) log.data = field.bytes
  }

  return log
}

/** The top-level fields of one protobuf message; nested messages stay as bytes. */
function readFields(bytes: Uint8Array): Field[] {
  const fields: Field[] = []
  let offset = 0
  const varint = (): bigint => {
    let value = 0n
    for (let shift = 0n; ; shift += 7n) {
      if (offset >= bytes.length) throw new Error('truncated protobuf varint')
      const byte = bytes[offset++]
      value |= BigInt(byte & 0x7f) << shift
      if ((byte & 0x80) === 0) return value
    }
  }

  while (offset < bytes.length) {
    const key = varint()
    const number = Number(key >> 3n)
    const wire = Number(key & 7n)
    if (wire === WIRE.varint) fields.push({number, varint: varint()})
    else if (wire === WIRE.bytes) {
      const length = Number(varint())
      if (offset + length > bytes.length) throw new Error('truncated protobuf field')
      fields.push({number, bytes: bytes.subarray(offset, offset + length)})
      offset += length
    } else if (wire === WIRE.fixed64) offset += 8
    else if (wire === WIRE.fixed32) offset += 4
    else throw new Error(`unsupported protobuf wire type ${wire}`)
  }

  return fields
}

/**
 * Turns a build's trace into plain lines, like `docker build --progress=plain`: `#N <step>` when a step
 * starts, its output as it comes, `#N CACHED` and `#N ERROR: ...`.
 */
export class TraceRenderer {
  private readonly numbers = new Map<string, number>()
  private readonly announced = new Set<string>()
  private readonly finished = new Set<string>()
  private readonly partial = new Map<string, string>()
  private readonly decoder = new Map<string, TextDecoder>()

  constructor(private readonly emit: (line: string) => void) {}

  render(status: TraceStatus): void {
    for (const vertex of status.vertexes) this.vertex(vertex)
    for (const log of status.logs) this.log(log)
    for (const warning of status.warnings) this.emit(`WARNING: ${warning.trimEnd()}`)
  }

  /** Emits what is left of unfinished output lines. */
  flush(): void {
    for (const [digest, text] of this.partial) if (text !== '') this.emit(`${this.prefix(digest)}${text}`)
    this.partial.clear()
  }

  private vertex(vertex: TraceVertex): void {
    const number = this.number(vertex.digest)
    if (vertex.started && !this.announced.has(vertex.digest)) {
      this.announced.add(vertex.digest)
      this.emit(`#${number} ${vertex.name}`)
    }

    if (vertex.completed && !this.finished.has(vertex.digest)) {
      this.finished.add(vertex.digest)
      if (!this.announced.has(vertex.digest)) {
        this.announced.add(vertex.digest)
        this.emit(`#${number} ${vertex.name}`)
      }

      if (vertex.error !== '') this.emit(`#${number} ERROR: ${vertex.error}`)
      else if (vertex.cached) this.emit(`#${number} CACHED`)
    }
  }

  private log(log: TraceLog): void {
    let decoder = this.decoder.get(log.vertex)
    if (decoder === undefined) {
      decoder = new TextDecoder()
      this.decoder.set(log.vertex, decoder)
    }

    const pieces = ((this.partial.get(log.vertex) ?? '') + decoder.decode(log.data, {stream: true})).split('\n')
    this.partial.set(log.vertex, pieces.pop() ?? '')
    for (const line of pieces) this.emit(`${this.prefix(log.vertex)}${line.replace(/\r$/, '')}`)
  }

  private prefix(digest: string): string {
    return `#${this.number(digest)} `
  }

  private number(digest: string): number {
    let number = this.numbers.get(digest)
    if (number === undefined) {
      number = this.numbers.size + 1
      this.numbers.set(digest, number)
    }

    return number
  }
}
