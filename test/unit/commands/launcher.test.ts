import {expect} from 'chai'
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {REPO, twoliterBuilt} from '../../helpers/cli.js'

const LOCAL_KIT = path.join(REPO, 'test', 'fixtures', 'manifest', 'local-kit')
const {version} = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as {version: string}

describe('bin/run.js', () => {
  it('answers --version without loading oclif, in oclif\'s format', () => {
    for (const flag of ['--version', '-v']) {
      const run = twoliterBuilt([flag], REPO)
      expect(run.status).to.equal(0)
      expect(run.stdout).to.equal(`twoliter/${version} ${process.platform}-${process.arch} node-${process.version}\n`)
    }
  })

  it('accepts the Rust twoliter\'s --log-level before the command', () => {
    const quiet = twoliterBuilt(['--log-level', 'off', 'graph', 'hello-ootb', '--json'], LOCAL_KIT)
    expect(quiet.status, quiet.stderr).to.equal(0)
    expect(JSON.parse(quiet.stdout).target).to.deep.equal({name: 'hello-ootb', kind: 'variant'})
    expect(quiet.stderr).to.equal('')

    const debug = twoliterBuilt(['--log-level=debug', 'graph', 'hello-ootb'], LOCAL_KIT)
    expect(debug.status, debug.stderr).to.equal(0)
    expect(debug.stderr).to.match(/^debug: /m)
  })

  it('refuses an unknown global log level as a usage error', () => {
    const run = twoliterBuilt(['--log-level', 'loud', 'graph'], LOCAL_KIT)
    expect(run.status).to.equal(2)
    expect(run.stderr).to.include('loud')
  })

  it('has help with examples for every command of its own', () => {
    const manifest = JSON.parse(readFileSync(path.join(REPO, 'oclif.manifest.json'), 'utf8')) as {
      commands: Record<string, {summary?: string; examples?: unknown[]; pluginName: string}>
    }
    const ids = Object.keys(manifest.commands)
    expect(ids).to.include.members(['graph', 'new:project', 'new:package', 'new:kit', 'new:variant'])
    for (const id of ids) {
      expect(manifest.commands[id].summary, id).to.be.a('string').and.not.empty
      expect(manifest.commands[id].examples, id).to.be.an('array').and.not.empty
      const help = twoliterBuilt([...id.split(':'), '--help'], REPO)
      expect(help.status, id).to.equal(0)
      expect(help.stdout, id).to.include('EXAMPLES')
      expect(help.stdout, id).to.include('--json')
    }
  })
})
