import os from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {REPO, expectNoStackTrace, twoliter} from '../../helpers/cli.js'
import {lineOf} from '../manifest/helpers.js'

const LOCAL_KIT = path.join(REPO, 'test', 'fixtures', 'manifest', 'local-kit')
const CYCLE = path.join(REPO, 'test', 'fixtures', 'manifest', 'cycle')

const EXTRA_3_KIT = {
  target: {name: 'extra-3-kit', kind: 'kit'},
  dependencies: ['extra-1-kit', 'extra-2-kit', 'pkg-e', 'pkg-g'],
  packages: ['pkg-e', 'pkg-f', 'pkg-g'],
  kits: ['core-kit', 'extra-1-kit', 'extra-2-kit'],
}

describe('twoliter graph (child process)', function () {
  // Each run starts Node and oclif from TypeScript sources.
  this.timeout(120_000)

  it('prints the JSON result for a target found from the working directory', () => {
    const run = twoliter(['graph', 'extra-3-kit', '--json'], path.join(LOCAL_KIT, 'kits'))
    expect(run.status, run.stderr).to.equal(0)
    expect(JSON.parse(run.stdout)).to.deep.equal(EXTRA_3_KIT)
  })

  it('prints the same result with --format json', () => {
    const run = twoliter(['graph', 'extra-3-kit', '--format', 'json'], LOCAL_KIT)
    expect(run.status, run.stderr).to.equal(0)
    expect(JSON.parse(run.stdout)).to.deep.equal(EXTRA_3_KIT)
  })

  it('shows every variant without a target, with --project-path naming Twoliter.toml', () => {
    const run = twoliter(['graph', '--json', '--project-path', path.join(LOCAL_KIT, 'Twoliter.toml')], os.tmpdir())
    expect(run.status, run.stderr).to.equal(0)
    expect(JSON.parse(run.stdout)).to.deep.equal({
      graphs: [
        {
          target: {name: 'hello-ootb', kind: 'variant'},
          dependencies: ['extra-3-kit'],
          packages: [],
          kits: ['core-kit', 'extra-1-kit', 'extra-2-kit', 'extra-3-kit'],
        },
      ],
    })
  })

  it('accepts a Cargo name as TARGET and answers --why with the paths', () => {
    const run = twoliter(['graph', 'pkg-a-1_27', '--json'], LOCAL_KIT)
    expect(JSON.parse(run.stdout).target).to.deep.equal({name: 'pkg-a-1.27', kind: 'package'})
    const why = twoliter(['graph', 'hello-ootb', '--why', 'pkg-f', '--json'], LOCAL_KIT)
    expect(why.status, why.stderr).to.equal(0)
    expect(JSON.parse(why.stdout).why).to.deep.equal({
      package: 'pkg-f',
      truncated: false,
      // hello-ootb is a variant, never built here: no package audit.
      audit: null,
      installed: null,
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

  it('prints only a Graphviz digraph on stdout with --format dot', () => {
    const run = twoliter(['graph', 'extra-2-kit', '--format', 'dot'], LOCAL_KIT)
    expect(run.status, run.stderr).to.equal(0)
    const lines = run.stdout.trimEnd().split('\n')
    expect(lines[0]).to.equal('digraph dependencies {')
    expect(lines.at(-1)).to.equal('}')
    expect(lines.filter((line) => line.includes(' -> '))).to.deep.equal([
      '  "core-kit" -> "pkg-a-1.27";',
      '  "extra-2-kit" -> "core-kit";',
      '  "extra-2-kit" -> "pkg-c";',
      '  "pkg-c" -> "core-kit";',
    ])
  })

  it('prints the tree by default', () => {
    const run = twoliter(['graph', 'core-kit'], LOCAL_KIT)
    expect(run.status, run.stderr).to.equal(0)
    expect(run.stdout).to.equal('core-kit (kit)\n└── pkg-a-1.27 (package)\n')
  })

  it('rejects an unknown TARGET with exit code 2, close names and no stack trace', () => {
    const run = twoliter(['graph', 'hello-otb'], LOCAL_KIT)
    expect(run.status).to.equal(2)
    expect(run.stdout).to.equal('')
    expect(run.stderr).to.include('TARGET "hello-otb" is not a package, kit or variant').and.include('Did you mean hello-ootb?')
    expectNoStackTrace(run)
  })

  it('reports an unknown --why package as a JSON error under --json', () => {
    const run = twoliter(['graph', 'hello-ootb', '--why', 'pkg-z', '--json'], LOCAL_KIT)
    expect(run.status).to.equal(2)
    const {error} = JSON.parse(run.stdout)
    expect(error.code).to.equal('graph.unknown-member')
    expect(error.message).to.include('--why "pkg-z"')
    expectNoStackTrace(run)
  })

  it('reports a cycle with its path and where it is declared, exit code 1', () => {
    const run = twoliter(['graph', 'cycle-kit'], CYCLE)
    expect(run.status).to.equal(1)
    const pkgA = path.join(CYCLE, 'packages', 'pkg-a', 'Cargo.toml')
    expect(run.stderr).to.include(`Error: ${pkgA}:${lineOf(pkgA, 'pkg-b = ')}:1: the dependencies form a cycle: pkg-a → pkg-b → pkg-c → pkg-a.`)
    expectNoStackTrace(run)
  })
})
