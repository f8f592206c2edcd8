import {expect} from 'chai'
import {access, constants, readFile, rm} from 'node:fs/promises'
import path from 'node:path'

import {expectNoStackTrace, twoliter} from '../../helpers/cli.js'
import {temporaryDirectories} from '../project/helpers.js'

describe('twoliter debug check-tools (child process)', function () {
  this.timeout(120_000)
  const directories = temporaryDirectories()

  it('writes the SDK tools and the SDK recipe to a new temporary directory and prints it', async () => {
    const run = twoliter(['debug', 'check-tools'], await directories.create())
    expect(run.status, run.stderr).to.equal(0)
    const dir = run.stdout.trim()
    try {
      expect(path.basename(dir)).to.match(/^twoliter-tools-[0-9a-f]{8}$/)
      await access(path.join(dir, 'rpmbuild.sh'), constants.X_OK)
      expect(await readFile(path.join(dir, 'sdk', 'packages.txt'), 'utf8')).to.include('createrepo-c')
    } finally {
      await rm(dir, {recursive: true, force: true})
    }
  })

  it('writes to --install-dir and lists the files with --json', async () => {
    const dir = path.join(await directories.create(), 'tools')
    const run = twoliter(['debug', 'check-tools', '--install-dir', dir, '--json'], await directories.create())
    expect(run.status, run.stderr).to.equal(0)
    const result = JSON.parse(run.stdout) as {dir: string; files: string[]}
    expect(result.dir).to.equal(dir)
    expect(result.files).to.include.members(['README.txt', 'rpmbuild.sh', 'sdk/Dockerfile', 'sdk/macros/shared'])
  })

  it('refuses a directory that holds other files, as a usage error', async () => {
    const dir = await directories.create({'keep.txt': 'mine'})
    const run = twoliter(['debug', 'check-tools', '--install-dir', dir], dir)
    expect(run.status).to.equal(2)
    expect(run.stderr).to.include('not empty')
    expectNoStackTrace(run)
    expect(await readFile(path.join(dir, 'keep.txt'), 'utf8')).to.equal('mine')
  })
})
