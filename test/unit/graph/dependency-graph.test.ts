import path from 'node:path'

import {expect} from 'chai'

import {UsageError} from '../../../src/lib/errors.js'
import {DependencyGraph} from '../../../src/lib/graph/index.js'
import {loadWorkspace} from '../../../src/lib/manifest/index.js'
import {fixture, lineOf, memoryWorkspace, thrown} from '../manifest/helpers.js'

describe('DependencyGraph', () => {
  describe('on the reference local-kit project', () => {
    let graph: DependencyGraph

    before(async () => {
      graph = new DependencyGraph(await loadWorkspace(fixture('local-kit')))
    })

    // The expectations of buildsys's own unit tests (tools/buildsys/src/manifest.rs) on this project.
    it('pkg-g needs no packages: at the top level only [build-dependencies] count, and they hold only a kit', () => {
      expect(graph.packageDependencies('pkg-g')).to.deep.equal([])
    })

    it('core-kit contains pkg-a-1.27, named by its package-name override', () => {
      expect(graph.packageDependencies('core-kit')).to.deep.equal(['pkg-a-1.27'])
    })

    it('extra-3-kit contains pkg-e, pkg-f and pkg-g: below the top level [dependencies] count too', () => {
      expect(graph.packageDependencies('extra-3-kit')).to.deep.equal(['pkg-e', 'pkg-f', 'pkg-g'])
    })

    it('pkg-e needs the kits core-kit, extra-1-kit and extra-2-kit', () => {
      expect(graph.kitDependencies('pkg-e')).to.deep.equal(['core-kit', 'extra-1-kit', 'extra-2-kit'])
    })

    it('hello-ootb needs every kit', () => {
      expect(graph.kitDependencies('hello-ootb')).to.deep.equal(['core-kit', 'extra-1-kit', 'extra-2-kit', 'extra-3-kit'])
    })

    // Further consequences of the same rules.
    it('stops at kits when collecting packages', () => {
      // pkg-b and pkg-d depend on core-kit, whose pkg-a-1.27 is therefore not part of extra-1-kit.
      expect(graph.packageDependencies('extra-1-kit')).to.deep.equal(['pkg-b', 'pkg-d'])
      expect(graph.packageDependencies('extra-2-kit')).to.deep.equal(['pkg-c'])
      expect(graph.packageDependencies('hello-ootb')).to.deep.equal([])
    })

    it('follows [dependencies] of the target when collecting kits', () => {
      expect(graph.kitDependencies('pkg-g')).to.deep.equal(['core-kit'])
      expect(graph.kitDependencies('extra-1-kit')).to.deep.equal(['core-kit'])
      expect(graph.kitDependencies('core-kit')).to.deep.equal([])
    })

    it('lists direct dependencies from both tables, sorted by name', () => {
      expect(graph.directDependencies('pkg-g')).to.deep.equal(['core-kit', 'pkg-f'])
      expect(graph.directDependencies('extra-3-kit')).to.deep.equal(['extra-1-kit', 'extra-2-kit', 'pkg-e', 'pkg-g'])
      expect(graph.directDependencies('pkg-a-1.27')).to.deep.equal([])
    })

    it('finds a member by its Cargo name as well as by its name', () => {
      expect(graph.find('pkg-a-1_27')?.name).to.equal('pkg-a-1.27')
      expect(graph.find('pkg-a-1.27')?.cargoName).to.equal('pkg-a-1_27')
      expect(graph.find('pkg-z')).to.equal(undefined)
    })

    it('rejects an unknown name as a usage error that suggests close names and lists the members', () => {
      const error = thrown(() => graph.require('hello-otb', 'TARGET'))
      expect(error).to.be.instanceOf(UsageError)
      expect(error.exitCode).to.equal(2)
      expect(error.code).to.equal('graph.unknown-member')
      expect(error.message).to.include('TARGET "hello-otb" is not a package, kit or variant').and.include('Did you mean hello-ootb?')
      expect(error.hint).to.include('core-kit, extra-1-kit')
    })

    it('suggests nothing when no name is close', () => {
      const error = thrown(() => graph.require('kubernetes', '--why'))
      expect(error.message).not.to.include('Did you mean')
    })
  })

  describe('cycles', () => {
    let graph: DependencyGraph
    const root = fixture('cycle')

    before(async () => {
      graph = new DependencyGraph(await loadWorkspace(root))
    })

    it('reports a cycle reachable from the target with its path and the files to edit', () => {
      const error = thrown(() => graph.packageDependencies('cycle-kit'))
      expect(error.code).to.equal('graph.cycle')
      expect(error.message).to.include('pkg-a → pkg-b → pkg-c → pkg-a')
      const pkgA = path.join(root, 'packages', 'pkg-a', 'Cargo.toml')
      expect(error.location).to.deep.equal({file: pkgA, line: lineOf(pkgA, 'pkg-b = '), column: 1})
      for (const [from, to] of [['pkg-a', 'pkg-b'], ['pkg-b', 'pkg-c'], ['pkg-c', 'pkg-a']]) {
        const manifest = path.join(root, 'packages', from, 'Cargo.toml')
        expect(error.hint).to.include(`${to} in [build-dependencies] of ${manifest}:${lineOf(manifest, `${to} = `)}:1`)
      }
    })

    it('reports it from every query', () => {
      expect(thrown(() => graph.kitDependencies('cycle-kit')).code).to.equal('graph.cycle')
      expect(thrown(() => graph.packageDependencies('pkg-b')).message).to.include('pkg-b → pkg-c → pkg-a → pkg-b')
    })

    it('does not stop a target from which no cycle is reachable', () => {
      expect(graph.packageDependencies('clean-kit')).to.deep.equal(['pkg-d'])
      expect(graph.kitDependencies('clean-kit')).to.deep.equal([])
    })

    it('finds a member that depends on itself', () => {
      const selfish = new DependencyGraph(memoryWorkspace({a: 'package'}, {a: ['~a']}))
      expect(thrown(() => selfish.packageDependencies('a')).message).to.include('a → a')
    })
  })

  describe('edges', () => {
    it('merges a dependency listed in both tables into one edge that names both', () => {
      const graph = new DependencyGraph(memoryWorkspace({a: 'package', b: 'package'}, {a: ['b', '~b']}))
      expect(graph.outgoing('a').map((edge) => [edge.to, edge.sections])).to.deep.equal([
        ['b', ['build-dependencies', 'dependencies']],
      ])
    })

    it('counts a top-level dependency listed in both tables as a build dependency', () => {
      const graph = new DependencyGraph(memoryWorkspace({k: 'kit', a: 'package', b: 'package'}, {k: ['~a'], a: ['b', '~b']}))
      expect(graph.packageDependencies('a')).to.deep.equal(['b'])
      // The kit lists a only in [dependencies], so at the top level it does not count.
      expect(graph.packageDependencies('k')).to.deep.equal([])
    })

    it('uses the names after overrides throughout', async () => {
      const graph = new DependencyGraph(await loadWorkspace(fixture('every-key')))
      expect(graph.kitDependencies('my-variant')).to.deep.equal(['my-renamed-kit'])
      expect(graph.packageDependencies('my-renamed-kit')).to.deep.equal(['plain'])
      expect(graph.packageDependencies('my-kit')).to.deep.equal(['plain'])
    })
  })
})
