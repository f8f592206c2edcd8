import {expect} from 'chai'
import {copyFile, mkdir} from 'node:fs/promises'
import path from 'node:path'

import {findProject} from '../../../src/lib/project/discovery.js'
import {openProject} from '../../../src/lib/project/project.js'
import {expectTwoliterError, fixture, recordingLogger, temporaryDirectories} from './helpers.js'

describe('findProject', () => {
  const directories = temporaryDirectories()

  async function projectWithNestedDirectory() {
    const root = await directories.create()
    await copyFile(path.join(fixture('valid'), 'Twoliter.toml'), path.join(root, 'Twoliter.toml'))
    const nested = path.join(root, 'a', 'b', 'c')
    await mkdir(nested, {recursive: true})
    return {root, nested}
  }

  it('searches upward from a nested a/b/c directory', async () => {
    const {root, nested} = await projectWithNestedDirectory()
    expect(await findProject({cwd: nested})).to.deep.equal({file: path.join(root, 'Twoliter.toml'), root})
  })

  it('finds Twoliter.toml in the working directory itself', async () => {
    const {root} = await projectWithNestedDirectory()
    expect(await findProject({cwd: root})).to.deep.equal({file: path.join(root, 'Twoliter.toml'), root})
  })

  it('takes the nearest Twoliter.toml when projects are nested', async () => {
    const {root, nested} = await projectWithNestedDirectory()
    const inner = path.join(root, 'a')
    await copyFile(path.join(root, 'Twoliter.toml'), path.join(inner, 'Twoliter.toml'))
    expect((await findProject({cwd: nested})).root).to.equal(inner)
  })

  it('does not take a directory named Twoliter.toml for the project file', async () => {
    const {root, nested} = await projectWithNestedDirectory()
    await mkdir(path.join(root, 'a', 'Twoliter.toml'))
    expect((await findProject({cwd: nested})).root).to.equal(root)
  })

  it('fails with a hint when there is no Twoliter.toml up to /', async () => {
    const empty = await directories.create()
    const error = await expectTwoliterError(findProject({cwd: empty}), 'project.not-found')
    expect(error.message).to.contain(`Unable to find a Twoliter.toml file in ${empty}`)
    expect(error.hint).to.contain('--project-path')
  })

  describe('--project-path', () => {
    it('names the project file, whatever its name; the root is its directory', async () => {
      const file = path.join(fixture('custom-name'), 'Project.toml')
      expect(await findProject({projectPath: file})).to.deep.equal({file, root: fixture('custom-name')})
    })

    it('is resolved against the working directory', async () => {
      expect(await findProject({cwd: fixture('.'), projectPath: 'custom-name/Project.toml'})).to.deep.equal({
        file: path.join(fixture('custom-name'), 'Project.toml'),
        root: fixture('custom-name'),
      })
    })

    it('does not search upward even when a Twoliter.toml is above', async () => {
      const {root, nested} = await projectWithNestedDirectory()
      await expectTwoliterError(findProject({cwd: nested, projectPath: 'Twoliter.toml'}), 'project.not-found')
      expect((await findProject({cwd: nested, projectPath: '../../../Twoliter.toml'})).root).to.equal(root)
    })

    it('naming a directory is a usage error whose hint names the file inside it', async () => {
      const error = await expectTwoliterError(findProject({projectPath: fixture('valid')}), 'project.not-found')
      expect(error.message).to.contain('this is a directory')
      expect(error.hint).to.contain(`--project-path ${path.join(fixture('valid'), 'Twoliter.toml')}`)
      expect(error.exitCode).to.equal(2)
    })

    it('naming a missing file is a usage error', async () => {
      const missing = path.join(fixture('valid'), 'Nope.toml')
      const error = await expectTwoliterError(findProject({projectPath: missing}), 'project.not-found')
      expect(error.message).to.contain(`--project-path ${missing}: no such file`)
      expect(error.exitCode).to.equal(2)
    })
  })
})

describe('openProject', () => {
  const directories = temporaryDirectories()

  it('finds the project upward and loads it', async () => {
    const root = await directories.create({'Twoliter.toml': 'schema-version = 1\nrelease-version = "3.1.4"\n'})
    await mkdir(path.join(root, 'packages', 'hello'), {recursive: true})
    const project = await openProject({cwd: path.join(root, 'packages', 'hello'), logger: recordingLogger().logger})
    expect(project.root).to.equal(root)
    expect(project.releaseVersion).to.equal('3.1.4')
  })

  it('loads a project file with another name given by --project-path', async () => {
    const project = await openProject({projectPath: path.join(fixture('custom-name'), 'Project.toml'), logger: recordingLogger().logger})
    expect(project.file).to.equal(path.join(fixture('custom-name'), 'Project.toml'))
    expect(project.root).to.equal(fixture('custom-name'))
    expect(project.releaseVersion).to.equal('2.0.0')
  })
})
