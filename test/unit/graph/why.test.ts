import {expect} from 'chai'

import {DependencyGraph, whyPaths} from '../../../src/lib/graph/index.js'
import {loadWorkspace} from '../../../src/lib/manifest/index.js'
import {fixture, memoryWorkspace, thrown} from '../manifest/helpers.js'

describe('whyPaths', () => {
  let graph: DependencyGraph

  before(async () => {
    graph = new DependencyGraph(await loadWorkspace(fixture('local-kit')))
  })

  it('gives the one chain from hello-ootb to pkg-f, with kinds and the table of each link', () => {
    expect(whyPaths(graph, 'hello-ootb', 'pkg-f')).to.deep.equal({
      package: 'pkg-f',
      truncated: false,
      paths: [
        [
          {name: 'hello-ootb', kind: 'variant'},
          {name: 'extra-3-kit', kind: 'kit', via: ['build-dependencies']},
          {name: 'pkg-g', kind: 'package', via: ['build-dependencies']},
          {name: 'pkg-f', kind: 'package', via: ['dependencies']},
        ],
      ],
    })
  })

  it('gives every chain to a shared kit', () => {
    // Counted by hand from the fixture: from extra-3-kit, core-kit is reached through extra-1-kit (directly,
    // via pkg-b, via pkg-d: 3), extra-2-kit (directly, via pkg-c: 2), pkg-e (through extra-1-kit or
    // extra-2-kit: 3 + 2) and pkg-g (directly, via pkg-f: 2): 12 chains.
    const why = whyPaths(graph, 'hello-ootb', 'core-kit')
    expect(why.paths).to.have.length(12)
    expect(why.truncated).to.equal(false)
    const rendered = why.paths.map((steps) => steps.map((step) => step.name).join(' '))
    expect(new Set(rendered).size).to.equal(12)
    for (const steps of why.paths) {
      expect(steps[0].name).to.equal('hello-ootb')
      expect(steps.at(-1)?.name).to.equal('core-kit')
    }

    expect(rendered).to.include('hello-ootb extra-3-kit pkg-e extra-1-kit pkg-d core-kit')
  })

  it('accepts Cargo names and answers with the member name', () => {
    const why = whyPaths(graph, 'core-kit', 'pkg-a-1_27')
    expect(why.package).to.equal('pkg-a-1.27')
    expect(why.paths.map((steps) => steps.map((step) => step.name))).to.deep.equal([['core-kit', 'pkg-a-1.27']])
  })

  it('returns no paths when the package is not reachable', () => {
    expect(whyPaths(graph, 'core-kit', 'pkg-b')).to.deep.equal({package: 'pkg-b', paths: [], truncated: false})
    // pkg-e depends on kits, not the other way round.
    expect(whyPaths(graph, 'extra-1-kit', 'pkg-e').paths).to.deep.equal([])
  })

  it('does not flag truncation when the limit is exactly the number of paths', () => {
    const why = whyPaths(graph, 'hello-ootb', 'core-kit', 12)
    expect(why.paths).to.have.length(12)
    expect(why.truncated).to.equal(false)
  })

  it('stops at the limit on a graph with exponentially many paths, and says so', () => {
    // 30 diamonds in a row: 2^30 paths from start to end.
    const kinds: Record<string, 'package'> = {}
    const links: Record<string, string[]> = {}
    for (let index = 0; index < 30; index++) {
      kinds[`n${index}`] = 'package'
      kinds[`l${index}`] = 'package'
      kinds[`r${index}`] = 'package'
      links[`n${index}`] = [`l${index}`, `r${index}`]
      links[`l${index}`] = [`n${index + 1}`]
      links[`r${index}`] = [`n${index + 1}`]
    }

    kinds.n30 = 'package'
    const diamonds = new DependencyGraph(memoryWorkspace(kinds, links))
    const why = whyPaths(diamonds, 'n0', 'n30', 50)
    expect(why.paths).to.have.length(50)
    expect(why.truncated).to.equal(true)
    expect(why.paths[0]).to.have.length(61)
  })

  it('rejects a name that is not a member', () => {
    const error = thrown(() => whyPaths(graph, 'hello-ootb', 'pkg-z'))
    expect(error.code).to.equal('graph.unknown-member')
    expect(error.exitCode).to.equal(2)
  })

  it('refuses to walk a cycle', async () => {
    const cyclic = new DependencyGraph(await loadWorkspace(fixture('cycle')))
    expect(thrown(() => whyPaths(cyclic, 'cycle-kit', 'pkg-c')).code).to.equal('graph.cycle')
  })
})
