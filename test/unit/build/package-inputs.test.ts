import {expect} from 'chai'
import {cp, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {packageInputs} from '../../../src/lib/build/package-inputs.js'
import {type PackageMember, loadWorkspace} from '../../../src/lib/manifest/index.js'
import {REPO} from '../../helpers/cli.js'

describe('package inputs', () => {
  let root: string
  const context = {arch: 'x86_64', sdkImageId: 'sha256:sdk', recipeDigest: 'recipe', dependencyOutputs: {'pkg-a': 'a-out'}}
  const inputsOf = async () => {
    const workspace = await loadWorkspace(root)
    const member = workspace.members.find((m) => m.name === 'pkg-b') as PackageMember
    return packageInputs(member, {...context, projectRoot: root})
  }

  beforeEach(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'twoliter-inputs-'))
    await cp(path.join(REPO, 'test/fixtures/build/packages-project'), root, {recursive: true})
    const manifest = path.join(root, 'packages/pkg-b/Cargo.toml')
    await writeFile(manifest, (await import('node:fs/promises').then((fs) => fs.readFile(manifest, 'utf8'))).replace('[package.metadata.build-package]', '[package.metadata.build-package]\nsource-groups = ["shared"]'))
    await mkdir(path.join(root, 'sources/shared/target'), {recursive: true})
    await writeFile(path.join(root, 'sources/shared/main.c'), 'int main() {}\n')
  })
  afterEach(() => rm(root, {recursive: true, force: true}))

  it('covers the package directory, its source groups, its dependencies, the SDK, the arch and the recipe', async () => {
    const inputs = await inputsOf()
    expect(Object.keys(inputs).sort()).to.deep.equal([
      'arch',
      'dependency:pkg-a',
      'file:Cargo.toml',
      'file:pkg-b.spec',
      'file:pkg-b.txt',
      'recipe',
      'sdk',
      'source:shared/main.c',
    ])
    expect(inputs['dependency:pkg-a']).to.equal('a-out')
  })

  it('changes when a source-group file changes, and ignores what buildsys ignores there', async () => {
    const before = await inputsOf()
    await writeFile(path.join(root, 'sources/shared/README.md'), 'docs')
    await writeFile(path.join(root, 'sources/shared/.hidden'), 'x')
    await writeFile(path.join(root, 'sources/shared/target/out.o'), 'object')
    expect(await inputsOf()).to.deep.equal(before)
    await writeFile(path.join(root, 'sources/shared/main.c'), 'int main() { return 1; }\n')
    const after = await inputsOf()
    expect(after['source:shared/main.c']).to.not.equal(before['source:shared/main.c'])
  })

  it('records a missing source group so that creating it rebuilds', async () => {
    await rm(path.join(root, 'sources/shared'), {recursive: true})
    expect((await inputsOf())['source-group:shared']).to.equal('missing')
  })
})
