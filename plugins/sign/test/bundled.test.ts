/**
 * @twoliter/sign ships inside twoliter, and users update it the way they install any plugin: its packed
 * tarball installed with `twoliter plugins install` replaces the bundled copy, and uninstalling brings the
 * bundled one back.
 */

import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {mkdir, mkdtemp, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {REPO, type Run, expectNoStackTrace, twoliter} from '../../../test/helpers/cli.js'

// The npm that @oclif/plugin-plugins itself runs.
const NPM_CLI = path.join(path.dirname(fileURLToPath(import.meta.resolve('npm/package.json'))), 'bin/npm-cli.js')
const PLUGIN_DIR = path.join(REPO, 'plugins/sign')
// Where twoliter finds it: npm links the workspace package into node_modules.
const BUNDLED_ROOT = path.join(REPO, 'node_modules/@twoliter/sign')

interface PluginListing {
  name: string
  type: string
  version: string
  root: string
}

function succeeded(run: Run): Run {
  expect(run.status, `${run.stderr}\n${run.stdout}`).to.equal(0)
  expectNoStackTrace(run)
  return run
}

describe('@twoliter/sign, bundled and replaceable', function () {
  this.timeout(300_000)
  let work: string
  let env: NodeJS.ProcessEnv
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) => twoliter(args, work, {...env, ...extra})
  const signPlugin = () => (JSON.parse(succeeded(cli(['plugins', '--core', '--json'])).stdout) as PluginListing[]).filter((plugin) => plugin.name === '@twoliter/sign')

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'twoliter-sign-bundled-'))
    // Isolated from the developer's own plugins; npm uses its cache first and the registry for what it lacks.
    env = {
      TWOLITER_DATA_DIR: path.join(work, 'data'),
      TWOLITER_CACHE_DIR: path.join(work, 'cache'),
      TWOLITER_CONFIG_DIR: path.join(work, 'config'),
      npm_config_prefer_offline: 'true',
    }
  })
  after(() => rm(work, {recursive: true, force: true}))

  it('is a core plugin with the sign commands, replaced by its installed tarball and back after uninstall', async () => {
    const [bundled, ...more] = signPlugin()
    expect(more).to.deep.equal([])
    expect(bundled).to.include({type: 'core'})
    expect(bundled!.root).to.equal(BUNDLED_ROOT)

    const destination = path.join(work, 'pack')
    await mkdir(destination)
    const pack = spawnSync(process.execPath, [NPM_CLI, 'pack', '--pack-destination', destination], {
      cwd: PLUGIN_DIR,
      encoding: 'utf8',
      // The prepack script finds tsc and oclif in the repository's node_modules/.bin, and runs them with this node.
      env: {...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`},
    })
    expect(pack.status, pack.stderr).to.equal(0)
    const [tarball] = await readdir(destination)
    const listing = spawnSync('tar', ['-tzf', path.join(destination, tarball!)], {encoding: 'utf8'}).stdout.split('\n')
    expect(listing).to.include.members(['package/oclif.manifest.json', 'package/dist/commands/sign/keygen.js', 'package/package.json'])
    expect(listing.filter((entry) => entry.startsWith('package/src/') || entry.startsWith('package/test/'))).to.deep.equal([])

    succeeded(cli(['plugins', 'install', `file://${path.join(destination, tarball!)}`]))
    const [installed, ...others] = signPlugin()
    expect(others).to.deep.equal([])
    expect(installed).to.include({type: 'user', version: bundled!.version})
    expect(installed!.root.startsWith(path.join(work, 'data'))).to.equal(true)
    // The installed copy runs the command.
    const keys = path.join(work, 'keys')
    await mkdir(keys)
    succeeded(cli(['sign', 'keygen', '--type', 'cosign', '--output-dir', keys], {COSIGN_PASSWORD: 'pw'}))
    expect((await readdir(keys)).sort()).to.deep.equal(['cosign.key', 'cosign.pub'])

    succeeded(cli(['plugins', 'uninstall', '@twoliter/sign']))
    expect(signPlugin().map((plugin) => [plugin.type, plugin.root])).to.deep.equal([['core', BUNDLED_ROOT]])
  })
})
