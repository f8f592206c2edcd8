import {expect} from 'chai'

import {
  DependencyGraph,
  defaultTargets,
  renderDot,
  renderSummaries,
  renderTree,
  renderWhy,
  summarize,
  whyPaths,
} from '../../../src/lib/graph/index.js'
import {loadWorkspace} from '../../../src/lib/manifest/index.js'
import {fixture, memoryWorkspace} from '../manifest/helpers.js'

describe('graph rendering', () => {
  let graph: DependencyGraph

  before(async () => {
    graph = new DependencyGraph(await loadWorkspace(fixture('local-kit')))
  })

  describe('renderTree', () => {
    it('indents children sorted by name, marks kinds, [dependencies] links and subtrees already shown', () => {
      const lines = renderTree(graph, ['hello-ootb']).split('\n')
      expect(lines.slice(0, 20)).to.deep.equal([
        'hello-ootb (variant)',
        '└── extra-3-kit (kit)',
        '    ├── extra-1-kit (kit)',
        '    │   ├── core-kit (kit)',
        '    │   │   └── pkg-a-1.27 (package)',
        '    │   ├── pkg-b (package)',
        '    │   │   └── core-kit (kit) (*)',
        '    │   └── pkg-d (package)',
        '    │       └── core-kit (kit) (*)',
        '    ├── extra-2-kit (kit)',
        '    │   ├── core-kit (kit) (*)',
        '    │   └── pkg-c (package)',
        '    │       └── core-kit (kit) (*)',
        '    ├── pkg-e (package)',
        '    │   ├── extra-1-kit (kit) (*)',
        '    │   └── extra-2-kit (kit) (*)',
        '    └── pkg-g (package)',
        '        ├── core-kit (kit) (*)',
        '        └── pkg-f (package) [dependencies]',
        '            └── core-kit (kit) (*)',
      ])
      expect(lines[20]).to.equal('')
      expect(lines.slice(21).join('\n')).to.include('[dependencies]').and.include('(*)')
    })

    it('prints a member without dependencies as one line and no legend', () => {
      expect(renderTree(graph, ['pkg-a-1.27'])).to.equal('pkg-a-1.27 (package)')
    })

    it('does not expand a subtree again in a later root', () => {
      const lines = renderTree(graph, ['extra-1-kit', 'extra-3-kit']).split('\n')
      expect(lines).to.include('├── extra-1-kit (kit) (*)')
    })
  })

  describe('renderDot', () => {
    it('writes a digraph of every member and link reachable from the roots', () => {
      const dot = renderDot(graph, ['hello-ootb'])
      const lines = dot.split('\n')
      expect(lines[0]).to.equal('digraph dependencies {')
      expect(lines.at(-1)).to.equal('}')
      const nodes = lines.filter((line) => /^ {2}"[^"]+" \[/.test(line))
      const edges = lines.filter((line) => line.includes(' -> '))
      // Every member is reachable from the variant; the links are counted from the fixture's Cargo.toml files.
      expect(nodes).to.have.length(12)
      expect(edges).to.have.length(19)
      expect(lines).to.include('  "hello-ootb" [shape=doubleoctagon, tooltip="variant"];')
      expect(lines).to.include('  "core-kit" [shape=box3d, tooltip="kit"];')
      expect(lines).to.include('  "pkg-a-1.27" [shape=box, tooltip="package"];')
      expect(lines).to.include('  "core-kit" -> "pkg-a-1.27";')
      expect(edges.filter((line) => line.includes('dashed'))).to.deep.equal(['  "pkg-g" -> "pkg-f" [style=dashed];'])
    })

    it('limits the graph to a subtree', () => {
      const edges = renderDot(graph, ['extra-2-kit']).split('\n').filter((line) => line.includes(' -> '))
      expect(edges).to.deep.equal([
        '  "core-kit" -> "pkg-a-1.27";',
        '  "extra-2-kit" -> "core-kit";',
        '  "extra-2-kit" -> "pkg-c";',
        '  "pkg-c" -> "core-kit";',
      ])
    })

    it('draws only the members and links of --why paths', () => {
      const {paths} = whyPaths(graph, 'hello-ootb', 'pkg-f')
      const lines = renderDot(graph, ['hello-ootb'], paths).split('\n')
      expect(lines.filter((line) => line.includes(' -> '))).to.deep.equal([
        '  "extra-3-kit" -> "pkg-g";',
        '  "hello-ootb" -> "extra-3-kit";',
        '  "pkg-g" -> "pkg-f" [style=dashed];',
      ])
      expect(lines.filter((line) => /^ {2}"[^"]+" \[/.test(line))).to.have.length(4)
    })

    it('labels a link listed in both tables', () => {
      const both = new DependencyGraph(memoryWorkspace({a: 'package', b: 'package'}, {a: ['b', '~b']}))
      expect(renderDot(both, ['a'])).to.include('"a" -> "b" [label="build + runtime"];')
    })
  })

  describe('renderWhy', () => {
    it('prints one chain per line, marking [dependencies] links', () => {
      expect(renderWhy(whyPaths(graph, 'hello-ootb', 'pkg-f'), 'hello-ootb')).to.equal(
        'hello-ootb depends on pkg-f through:\n  hello-ootb → extra-3-kit → pkg-g → pkg-f [dependencies]',
      )
    })

    it('says so when there is no chain, or when more chains exist than are shown', () => {
      expect(renderWhy(whyPaths(graph, 'core-kit', 'pkg-b'), 'core-kit')).to.equal('pkg-b is not a dependency of core-kit.')
      expect(renderWhy(whyPaths(graph, 'hello-ootb', 'core-kit', 2), 'hello-ootb')).to.include('only the first 2 paths are shown')
    })
  })

  describe('summarize', () => {
    it('has the shape of `twoliter graph --json`', () => {
      expect(summarize(graph, 'extra-3-kit')).to.deep.equal({
        target: {name: 'extra-3-kit', kind: 'kit'},
        dependencies: ['extra-1-kit', 'extra-2-kit', 'pkg-e', 'pkg-g'],
        packages: ['pkg-e', 'pkg-f', 'pkg-g'],
        kits: ['core-kit', 'extra-1-kit', 'extra-2-kit'],
      })
    })

    it('names the target after its override and adds the why answer when asked', () => {
      const summary = summarize(graph, 'pkg-a-1_27', {why: 'pkg-a-1.27'})
      expect(summary.target).to.deep.equal({name: 'pkg-a-1.27', kind: 'package'})
      expect(summary.why?.package).to.equal('pkg-a-1.27')
    })

    it('renders the why answer instead of the tree when there is one', () => {
      const summary = summarize(graph, 'hello-ootb', {why: 'pkg-f'})
      expect(renderSummaries(graph, [summary], 'tree')).to.equal(renderWhy(summary.why!, 'hello-ootb'))
      expect(renderSummaries(graph, [summarize(graph, 'pkg-c')], 'tree')).to.equal(renderTree(graph, ['pkg-c']))
    })
  })

  describe('defaultTargets', () => {
    it('picks the variants', () => {
      expect(defaultTargets(graph).map((member) => member.name)).to.deep.equal(['hello-ootb'])
    })

    it('picks the kits when there is no variant, and the packages when there is no kit either', async () => {
      const kitsOnly = new DependencyGraph(await loadWorkspace(fixture('cycle')))
      expect(defaultTargets(kitsOnly).map((member) => member.name)).to.deep.equal(['clean-kit', 'cycle-kit'])
      const packagesOnly = new DependencyGraph(memoryWorkspace({a: 'package', b: 'package'}, {}))
      expect(defaultTargets(packagesOnly).map((member) => member.name)).to.deep.equal(['a', 'b'])
    })
  })
})
