import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {type Workspace, loadWorkspace} from '../../../src/lib/manifest/index.js'
import {fixture, lineOf, member, recordingLogger} from './helpers.js'

describe('loadWorkspace', () => {
  describe('the reference local-kit project', () => {
    const root = fixture('local-kit')
    let workspace: Workspace

    before(async () => {
      workspace = await loadWorkspace(root)
    })

    it('loads every member listed in [workspace] members, sorted by name, with its kind', () => {
      expect(workspace.members.map((entry) => [entry.name, entry.kind])).to.deep.equal([
        ['core-kit', 'kit'],
        ['extra-1-kit', 'kit'],
        ['extra-2-kit', 'kit'],
        ['extra-3-kit', 'kit'],
        ['hello-ootb', 'variant'],
        ['pkg-a-1.27', 'package'],
        ['pkg-b', 'package'],
        ['pkg-c', 'package'],
        ['pkg-d', 'package'],
        ['pkg-e', 'package'],
        ['pkg-f', 'package'],
        ['pkg-g', 'package'],
      ])
    })

    it('names a package by its package-name override and keeps its Cargo name and paths', () => {
      const pkgA = member(workspace, 'pkg-a-1.27')
      expect(pkgA.cargoName).to.equal('pkg-a-1_27')
      expect(pkgA.version).to.equal('0.1.0')
      expect(pkgA.dir).to.equal(path.join(root, 'packages', 'pkg-a-1.27'))
      expect(pkgA.relativeDir).to.equal('packages/pkg-a-1.27')
      expect(pkgA.manifestPath).to.equal(path.join(root, 'packages', 'pkg-a-1.27', 'Cargo.toml'))
      expect(workspace.manifestPath).to.equal(path.join(root, 'Cargo.toml'))
    })

    it('resolves dependencies by path to member names, keeping the key and where it is written', () => {
      const coreKit = member(workspace, 'core-kit')
      const manifest = path.join(root, 'kits', 'core-kit', 'Cargo.toml')
      expect(coreKit.buildDependencies).to.deep.equal([
        {
          name: 'pkg-a-1.27',
          section: 'build-dependencies',
          key: 'pkg-a-1_27',
          location: {file: manifest, line: lineOf(manifest, 'pkg-a-1_27 = '), column: 1},
        },
      ])
      expect(coreKit.dependencies).to.deep.equal([])
    })

    it('separates [build-dependencies] from [dependencies]', () => {
      const pkgG = member(workspace, 'pkg-g')
      expect(pkgG.buildDependencies.map((link) => link.name)).to.deep.equal(['core-kit'])
      expect(pkgG.dependencies.map((link) => link.name)).to.deep.equal(['pkg-f'])
      expect(pkgG.dependencies[0].section).to.equal('dependencies')
    })

    it('reads the kit vendor and ignores the included-packages key of a kit', () => {
      for (const name of ['core-kit', 'extra-1-kit', 'extra-2-kit', 'extra-3-kit']) {
        expect(member(workspace, name).metadata, name).to.deep.equal({vendor: 'bottlerocket', kitName: undefined})
      }
    })

    it('reads the variant with the defaults of every key it leaves out', () => {
      const variant = member(workspace, 'hello-ootb')
      expect(variant.metadata).to.deep.equal({
        includedPackages: ['pkg-e'],
        imageFormat: 'raw',
        imageLayout: {osImageSizeGib: 2, dataImageSizeGib: 1, publishImageSizeHintGib: 22, partitionPlan: 'split'},
        supportedArches: undefined,
        kernelParameters: [],
        imageFeatures: {
          'in-place-updates': true,
          'host-containers': true,
          'grub-set-private-var': true,
          'uefi-secure-boot': true,
          'systemd-networkd': true,
          'xfs-data-partition': true,
          'erofs-root-partition': false,
          fips: false,
        },
        kitPriority: undefined,
      })
    })

    it('warns about nothing in a well-formed project', async () => {
      const {logger} = recordingLogger()
      await loadWorkspace(root, {logger})
      expect(logger.warnings).to.deep.equal([])
    })
  })

  describe('workspace features (every-key project)', () => {
    const root = fixture('every-key')
    let workspace: Workspace
    let warnings: string[]

    before(async () => {
      const {logger} = recordingLogger()
      workspace = await loadWorkspace(root, {logger})
      warnings = logger.warnings
    })

    it('expands a trailing /* to the directories holding a Cargo.toml, minus exclude', () => {
      const dirs = workspace.members.map((entry) => entry.relativeDir).sort()
      expect(dirs).to.deep.equal([
        'extras/no-metadata',
        'extras/two-tables',
        'kits/my-kit',
        'packages/full',
        'packages/plain',
        'variants/my-variant',
      ])
    })

    it('inherits version.workspace = true from [workspace.package] and defaults a missing version to 0.0.0', () => {
      expect(member(workspace, 'full.pkg').version).to.equal('1.2.3')
      expect(member(workspace, 'no-metadata').version).to.equal('0.0.0')
    })

    it('resolves { workspace = true } through [workspace.dependencies]', () => {
      const links = member(workspace, 'full.pkg').buildDependencies
      expect(links.map((link) => [link.name, link.key])).to.deep.equal([['my-renamed-kit', 'my-kit']])
    })

    it('accepts a dependency renamed with package = "..." and ignores registry dependencies', () => {
      const links = member(workspace, 'full.pkg').dependencies
      expect(links.map((link) => [link.name, link.key, link.section])).to.deep.equal([['plain', 'renamed', 'dependencies']])
    })

    it('names a kit by its kit-name override', () => {
      const kit = member(workspace, 'my-renamed-kit')
      expect(kit.cargoName).to.equal('my-kit')
      expect(kit.kind).to.equal('kit')
    })

    it('assumes a package, with a warning, when a member has no build-* table', () => {
      expect(member(workspace, 'no-metadata').kind).to.equal('package')
      expect(warnings.some((line) => line.includes('extras/no-metadata/Cargo.toml') && line.includes('treating it as a package'))).to.equal(true)
    })

    it('detects the type in buildsys order (build-package first) and warns that the other table is ignored', () => {
      expect(member(workspace, 'two-tables').kind).to.equal('package')
      expect(warnings.some((line) => line.includes('two-tables') && line.includes('[package.metadata.build-kit] is ignored'))).to.equal(true)
    })

    it('warns about an unknown key that looks like a typo of a known one, with its line', () => {
      const manifest = path.join(root, 'packages', 'plain', 'Cargo.toml')
      expect(warnings).to.include(
        `${manifest}:${lineOf(manifest, 'source-group =')}:1: unknown key 'source-group' is ignored; did you mean source-groups?`,
      )
    })
  })

  describe('exclude', () => {
    let dir: string

    beforeEach(async () => {
      dir = await mkdtemp(path.join(os.tmpdir(), 'twoliter-workspace-'))
    })

    afterEach(async () => {
      await rm(dir, {recursive: true, force: true})
    })

    async function writeMember(relative: string, name: string): Promise<void> {
      await mkdir(path.join(dir, relative), {recursive: true})
      await writeFile(path.join(dir, relative, 'Cargo.toml'), `[package]\nname = "${name}"\n\n[package.metadata.build-package]\n`)
    }

    it('keeps a member that is listed explicitly even when an exclude covers it, as cargo does', async () => {
      await writeMember('packages/a', 'a')
      await writeMember('packages/b', 'b')
      await writeMember('vendored/c', 'c')
      await writeFile(
        path.join(dir, 'Cargo.toml'),
        '[workspace]\nmembers = ["packages/*", "vendored/c"]\nexclude = ["packages/b", "vendored"]\n',
      )
      const workspace = await loadWorkspace(dir)
      expect(workspace.members.map((entry) => entry.name)).to.deep.equal(['a', 'c'])
    })

    it('treats an empty members list as an empty workspace', async () => {
      await writeFile(path.join(dir, 'Cargo.toml'), '[workspace]\nmembers = []\n')
      expect((await loadWorkspace(dir)).members).to.deep.equal([])
    })
  })
})
