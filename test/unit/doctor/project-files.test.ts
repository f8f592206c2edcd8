import path from 'node:path'

import {expect} from 'chai'

import {checkDependencyCycles, checkProjectFile, checkWorkspace, searchProject} from '../../../src/lib/doctor/project-files.js'
import {loadWorkspace} from '../../../src/lib/manifest/index.js'
import {REPO} from '../../helpers/cli.js'
import {lineOf} from '../manifest/helpers.js'
import {temporaryDirectories} from '../project/helpers.js'

const FIXTURES = path.join(REPO, 'test', 'fixtures')
const PACKAGES_PROJECT = path.join(FIXTURES, 'build', 'packages-project')
const CYCLE = path.join(FIXTURES, 'manifest', 'cycle')
const LOCAL_KIT = path.join(FIXTURES, 'manifest', 'local-kit')
const SYNTAX_ERROR = path.join(FIXTURES, 'project', 'syntax-error')

function at(root: string) {
  return {file: path.join(root, 'Twoliter.toml'), root}
}

describe('doctor: project files', () => {
  const directories = temporaryDirectories()

  describe('searchProject', () => {
    it('finds the project upward from the working directory', async () => {
      expect(await searchProject({cwd: path.join(PACKAGES_PROJECT, 'packages', 'pkg-a')})).to.deep.equal({kind: 'found', location: at(PACKAGES_PROJECT)})
    })

    it('says when there is no project, so that its checks are skipped', async () => {
      const cwd = await directories.create()
      expect(await searchProject({cwd})).to.deep.equal({kind: 'outside', cwd})
    })

    it('reports a --project-path that names no file as the error it is', async () => {
      const cwd = await directories.create()
      const search = await searchProject({cwd, projectPath: 'nowhere/Twoliter.toml'})
      expect(search.kind).to.equal('failed')
      expect(search.kind === 'failed' && (search.error as Error).message).to.equal('--project-path nowhere/Twoliter.toml: no such file.')
    })
  })

  describe('Twoliter.toml', () => {
    it('is ok when it loads without warnings, with what it declares', async () => {
      const {check, value} = await checkProjectFile(at(PACKAGES_PROJECT))
      expect(check).to.deep.equal({
        id: 'project-file',
        title: 'Twoliter.toml',
        status: 'ok',
        detail: `${path.join(PACKAGES_PROJECT, 'Twoliter.toml')}: release 1.0.0, SDK sdk-0.1.0@local, 0 kits`,
      })
      expect(value?.sdk?.name).to.equal('sdk')
    })

    it('fails a broken file with its position and how to fix it', async () => {
      const {check, value} = await checkProjectFile(at(SYNTAX_ERROR))
      expect(value).to.equal(undefined)
      expect(check.status).to.equal('fail')
      expect(check.detail).to.equal(`${path.join(SYNTAX_ERROR, 'Twoliter.toml')}:3:5: this is not valid TOML: illegal character in key.`)
      expect(check.fix).to.equal('Fix the syntax at that position and run the command again.')
    })

    it('warns with every warning loading it printed, and still yields the project', async () => {
      const root = await directories.create({
        'Twoliter.toml': 'schema-version = 1\nrelease-version = "1.0.0"\nlookaside-cache = []\n',
        'Release.toml': 'version = "1.0.0"\n',
      })
      const {check, value} = await checkProjectFile(at(root))
      expect(value?.releaseVersion).to.equal('1.0.0')
      expect(check.status).to.equal('warn')
      expect(check.detail).to.match(/^.*Twoliter\.toml: release 1\.0\.0, no \[sdk\], 0 kits; 2 warnings: /)
      expect(check.detail).to.include("Twoliter.toml:3:1: unknown key 'lookaside-cache' is ignored; did you mean lookaside-caches?")
      expect(check.detail).to.include('Release.toml is deprecated')
      expect(check.fix).to.include('Do what each warning says')
    })
  })

  describe('Cargo workspace', () => {
    it('is ok with how many packages, kits and variants it has', async () => {
      expect((await checkWorkspace(PACKAGES_PROJECT)).check.detail).to.equal(`${path.join(PACKAGES_PROJECT, 'Cargo.toml')}: 6 packages, 0 kits, 0 variants`)
      expect((await checkWorkspace(LOCAL_KIT)).check.detail).to.equal(`${path.join(LOCAL_KIT, 'Cargo.toml')}: 7 packages, 4 kits, 1 variant`)
    })

    it('fails when the root Cargo.toml is missing', async () => {
      const {check, value} = await checkWorkspace(SYNTAX_ERROR)
      expect(value).to.equal(undefined)
      expect(check.status).to.equal('fail')
      expect(check.detail).to.include(`${path.join(SYNTAX_ERROR, 'Cargo.toml')}`)
      expect(check.fix).to.include('[workspace] members')
    })

    it('warns about a member that does not say what it builds', async () => {
      const root = await directories.create({
        'Cargo.toml': '[workspace]\nmembers = ["packages/plain"]\n',
        'packages/plain/Cargo.toml': '[package]\nname = "plain"\nversion = "0.1.0"\n',
      })
      const {check, value} = await checkWorkspace(root)
      expect(value?.members.map((member) => member.name)).to.deep.equal(['plain'])
      expect(check.status).to.equal('warn')
      expect(check.detail).to.include('1 package, 0 kits, 0 variants; 1 warning: ').and.include('no [package.metadata.build-package]')
    })
  })

  describe('dependency cycles', () => {
    it('fails on the cycle of the fixture, at the dependency to remove', async () => {
      const check = checkDependencyCycles(await loadWorkspace(CYCLE))
      const pkgA = path.join(CYCLE, 'packages', 'pkg-a', 'Cargo.toml')
      expect(check.status).to.equal('fail')
      expect(check.detail).to.equal(`${pkgA}:${lineOf(pkgA, 'pkg-b = ')}:1: the dependencies form a cycle: pkg-a → pkg-b → pkg-c → pkg-a. A package, kit or variant cannot depend on itself, even indirectly.`)
      expect(check.fix).to.include('Remove one of these dependencies')
    })

    it('is ok for a workspace without cycles', async () => {
      expect(checkDependencyCycles(await loadWorkspace(LOCAL_KIT))).to.deep.include({status: 'ok', detail: 'none among the 12 members'})
    })
  })
})
