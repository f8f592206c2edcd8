import {expect} from 'chai'
import {readFile, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {SDK_RECIPE_DIR} from '../../../src/lib/sdk/recipe.js'
import {SDK_TOOLS_DIR, defaultToolsDir, installSdkTools} from '../../../src/lib/sdk/tools.js'
import {expectTwoliterError, temporaryDirectories} from '../project/helpers.js'

describe('installSdkTools', () => {
  const directories = temporaryDirectories()

  it('writes assets/sdk-tools with its modes and the sdk/ recipe', async () => {
    const dir = path.join(await directories.create(), 'tools')
    const installed = await installSdkTools(dir)
    expect(installed.dir).to.equal(dir)
    expect(installed.files).to.include.members(['README.txt', 'sdk/Dockerfile', 'sdk/packages.txt', 'sdk/macros/shared', 'sdk/macros/x86_64', 'sdk/macros/aarch64'])
    expect(installed.files).not.to.include('.twoliter-tools')
    for (const file of installed.files.filter((name) => !name.startsWith('sdk/'))) {
      const [source, copy] = await Promise.all([stat(path.join(SDK_TOOLS_DIR, file)), stat(path.join(dir, file))])
      expect(copy.mode, file).to.equal(source.mode)
    }

    expect(await readFile(path.join(dir, 'sdk', 'macros', 'shared'), 'utf8')).to.equal(await readFile(path.join(SDK_RECIPE_DIR, 'macros', 'shared'), 'utf8'))
  })

  it('replaces a directory it wrote before, dropping stale files', async () => {
    const dir = await directories.create()
    await installSdkTools(dir)
    await writeFile(path.join(dir, 'stale.sh'), 'old\n')
    const again = await installSdkTools(dir)
    expect(again.files).not.to.include('stale.sh')
  })

  it('refuses a directory with other files in it, and leaves them alone', async () => {
    const dir = await directories.create({'notes.txt': 'mine'})
    const error = await expectTwoliterError(installSdkTools(dir), 'tools.dir-not-empty')
    expect(error.exitCode).to.equal(2)
    expect(await readFile(path.join(dir, 'notes.txt'), 'utf8')).to.equal('mine')
  })

  it('chooses $TMPDIR/twoliter-tools-<8 hex> by default', () => {
    expect(path.basename(defaultToolsDir())).to.match(/^twoliter-tools-[0-9a-f]{8}$/)
  })
})
