import {expect} from 'chai'

import {runSchedule, type ScheduledNode} from '../../../src/lib/build/scheduler.js'

const delay = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(new Error('aborted'))
    const timer = setTimeout(resolve, ms)
    signal?.addEventListener('abort', () => {
      clearTimeout(timer)
      reject(new Error('aborted'))
    })
  })

// a ← b ← d, a ← c ← d, e independent
const DIAMOND: ScheduledNode[] = [
  {id: 'a', dependencies: []},
  {id: 'b', dependencies: ['a']},
  {id: 'c', dependencies: ['a']},
  {id: 'd', dependencies: ['b', 'c']},
  {id: 'e', dependencies: []},
]

describe('runSchedule', () => {
  it('runs every node after its dependencies', async () => {
    const finished: string[] = []
    const started = new Map<string, string[]>()
    const outcomes = await runSchedule(
      DIAMOND,
      async (id) => {
        started.set(id, [...finished])
        await delay(5)
        finished.push(id)
        return id.toUpperCase()
      },
      {jobs: 4},
    )
    expect([...outcomes.values()].every((o) => o.status === 'done')).to.equal(true)
    expect(outcomes.get('d')).to.deep.equal({status: 'done', result: 'D'})
    for (const node of DIAMOND) {
      for (const dependency of node.dependencies) expect(started.get(node.id), node.id).to.include(dependency)
    }
  })

  it('never runs more than `jobs` nodes at once, and does run them in parallel', async () => {
    const nodes = Array.from({length: 12}, (_, i) => ({id: `n${i}`, dependencies: []}))
    let current = 0
    let peak = 0
    await runSchedule(
      nodes,
      async () => {
        current++
        peak = Math.max(peak, current)
        await delay(10)
        current--
      },
      {jobs: 3},
    )
    expect(peak).to.equal(3)
  })

  it('fails fast: stops starting nodes and aborts the running ones', async () => {
    const aborted: string[] = []
    const outcomes = await runSchedule(
      DIAMOND,
      async (id, signal) => {
        if (id === 'a') throw new Error('a broke')
        try {
          await delay(200, signal)
        } catch (error) {
          aborted.push(id)
          throw error
        }
      },
      {jobs: 2},
    )
    expect(outcomes.get('a')?.status).to.equal('failed')
    expect(outcomes.get('b')).to.deep.equal({status: 'not-run', blockedBy: 'a'})
    expect(outcomes.get('d')?.status).to.equal('not-run')
    // e ran beside a and was aborted when a failed
    expect(aborted).to.deep.equal(['e'])
    expect(outcomes.get('e')?.status).to.equal('failed')
  })

  it('keeps going: everything that does not depend on the failure still runs', async () => {
    const outcomes = await runSchedule(
      DIAMOND,
      async (id) => {
        await delay(1)
        if (id === 'b') throw new Error('b broke')
      },
      {jobs: 2, keepGoing: true},
    )
    expect(outcomes.get('b')?.status).to.equal('failed')
    expect(outcomes.get('c')?.status).to.equal('done')
    expect(outcomes.get('e')?.status).to.equal('done')
    expect(outcomes.get('d')).to.deep.equal({status: 'not-run', blockedBy: 'b'})
  })

  it('stops when the caller aborts, leaving the rest not run', async () => {
    const controller = new AbortController()
    const outcomes = await runSchedule(
      DIAMOND,
      async (id, signal) => {
        if (id === 'a') controller.abort(new Error('interrupted'))
        await delay(5, signal)
      },
      {jobs: 1, signal: controller.signal},
    )
    expect(outcomes.get('a')?.status).to.equal('failed')
    expect(['b', 'c', 'd', 'e'].map((id) => outcomes.get(id)?.status)).to.deep.equal(['not-run', 'not-run', 'not-run', 'not-run'])
  })

  it('refuses a dependency on a node it does not know', async () => {
    const error = await runSchedule([{id: 'a', dependencies: ['zz']}], async () => {}, {jobs: 1}).catch((e: unknown) => e)
    expect((error as Error).message).to.include('unknown node zz')
  })
})
