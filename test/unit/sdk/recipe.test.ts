import {expect} from 'chai'
import {cp, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {SDK_RECIPE_DIR, parsePackageList, readLocalSdkRecipe} from '../../../src/lib/sdk/recipe.js'
import {temporaryDirectories} from '../project/helpers.js'

describe('the local SDK recipe', () => {
  const directories = temporaryDirectories()

  async function recipeCopy(): Promise<string> {
    const dir = await directories.create()
    await cp(SDK_RECIPE_DIR, dir, {recursive: true})
    return dir
  }

  it('lists the packages of sdk/packages.txt, among them the tools the SDK contract promises', async () => {
    const recipe = await readLocalSdkRecipe()
    expect(recipe.packages).to.include.members(['rpm', 'dnf', 'dnf-plugins-core', 'createrepo-c', 'gnupg', 'gdisk', 'erofs-utils', 'cryptsetup-bin', 'qemu-utils', 'mtools'])
    expect(recipe.packages.every((name) => /^[a-z0-9][a-z0-9+.-]+$/.test(name)), recipe.packages.join(' ')).to.equal(true)
    expect(recipe.hash).to.match(/^[0-9a-f]{64}$/)
  })

  it('hashes the same recipe to the same value wherever it lives', async () => {
    const here = await readLocalSdkRecipe()
    const copy = await readLocalSdkRecipe(await recipeCopy())
    expect(copy.hash).to.equal(here.hash)
    expect(copy.rootfsHash).to.equal(here.rootfsHash)
  })

  it('changes the hash when a macro file changes, but not the root file system hash', async () => {
    const dir = await recipeCopy()
    const before = await readLocalSdkRecipe(dir)
    await writeFile(path.join(dir, 'macros', 'shared'), `${await readFile(path.join(dir, 'macros', 'shared'), 'utf8')}\n%_twoliter_test 1\n`)
    const after = await readLocalSdkRecipe(dir)
    expect(after.hash).not.to.equal(before.hash)
    expect(after.rootfsHash).to.equal(before.rootfsHash)
  })

  it('changes both hashes when the package set changes, and neither for a new comment or the README', async () => {
    const dir = await recipeCopy()
    const before = await readLocalSdkRecipe(dir)
    const packages = path.join(dir, 'packages.txt')
    await writeFile(path.join(dir, 'README.md'), 'changed\n')
    expect((await readLocalSdkRecipe(dir)).hash).to.equal(before.hash)

    await writeFile(packages, `# a new comment\n${await readFile(packages, 'utf8')}`)
    const commented = await readLocalSdkRecipe(dir)
    expect(commented.rootfsHash).to.equal(before.rootfsHash)

    await writeFile(packages, `${await readFile(packages, 'utf8')}\njq\n`)
    const added = await readLocalSdkRecipe(dir)
    expect(added.hash).not.to.equal(before.hash)
    expect(added.rootfsHash).not.to.equal(before.rootfsHash)
  })

  it('reads one package a line, without comments or blank lines', () => {
    expect(parsePackageList('# tools\nbash\n\n  rpm   # rpmbuild\n#dnf\nzstd\n')).to.deep.equal(['bash', 'rpm', 'zstd'])
  })
})
