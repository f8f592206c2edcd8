import {mkdir, mkdtemp, rm, symlink, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {PACKAGE_AUDIT_FILE, type PackageAudit} from '../../../src/lib/build/variant-builds.js'
import {UsageError} from '../../../src/lib/errors.js'
import {
  AUDIT_FILE_NAME,
  buildCommand,
  candidateRpmNames,
  explainInstalled,
  findInstalled,
  imageWhy,
  packageAuditFile,
  readPackageAudit,
  renderImageWhy,
  rpmNameOfFile,
} from '../../../src/lib/graph/audit-why.js'
import {DependencyGraph} from '../../../src/lib/graph/index.js'
import {loadWorkspace} from '../../../src/lib/manifest/index.js'
import type {InstalledPackage} from '../../../src/lib/variant/types.js'
import {REPO} from '../../helpers/cli.js'
import {member, rejection} from '../manifest/helpers.js'

const VARIANT_PROJECT = path.join(REPO, 'test', 'fixtures', 'build', 'variant-project')

function pkg(name: string, fields: Partial<InstalledPackage> = {}): InstalledPackage {
  return {
    name,
    version: '1.0',
    release: '1',
    arch: 'x86_64',
    license: 'MIT',
    summary: name,
    repo: 'local',
    source: 'local',
    requestedBy: [],
    requires: [],
    licenseFiles: [],
    rpm: `${name}-1.0-1.x86_64.rpm`,
    ...fields,
  }
}

/**
 * metal-dev as `build variant` would record it, plus a library the motd needs: os-base requires motd
 * (from core-kit), which requires libmotd; hostctr-agent requires an image feature the metadata provides.
 */
function metalDevAudit(arch = 'x86_64'): PackageAudit {
  return {
    variant: 'metal-dev',
    arch,
    version: '1.2.3',
    buildId: '0123abcd',
    repos: [
      {id: 'local', source: 'local', priority: 1},
      {id: 'core-kit', source: 'core-kit', priority: 2},
    ],
    packages: [
      pkg('bottlerocket-hostctr-agent', {source: 'core-kit', repo: 'core-kit', requestedBy: ['bottlerocket-hostctr-agent'], requires: ['bottlerocket-metadata']}),
      pkg('bottlerocket-kernel-stub', {version: '6.1', source: 'core-kit', repo: 'core-kit', requestedBy: ['bottlerocket-kernel-stub']}),
      pkg('bottlerocket-kernel-stub-modules', {version: '6.1', source: 'core-kit', repo: 'core-kit', requestedBy: ['bottlerocket-kernel-stub']}),
      pkg('bottlerocket-libmotd', {version: '0.9', release: '3', epoch: '1', source: 'core-kit', repo: 'core-kit', requestedBy: ['bottlerocket-os-base']}),
      pkg('bottlerocket-metadata', {version: '1.2.3', release: '0', source: 'metadata', repo: 'metadata', requestedBy: ['bottlerocket-metadata', 'bottlerocket-hostctr-agent']}),
      pkg('bottlerocket-motd', {version: '2.0', source: 'core-kit', repo: 'core-kit', requestedBy: ['bottlerocket-os-base'], requires: ['bottlerocket-libmotd']}),
      pkg('bottlerocket-os-base', {requestedBy: ['bottlerocket-os-base'], requires: ['bottlerocket-motd']}),
    ],
  }
}

describe('graph --why from the package audit', () => {
  let root: string
  let graph: DependencyGraph

  before(async () => {
    graph = new DependencyGraph(await loadWorkspace(VARIANT_PROJECT))
  })

  beforeEach(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), 'twoliter-audit-why-'))
  })

  afterEach(async () => {
    await rm(root, {recursive: true, force: true})
  })

  /** Writes the audit where `build variant` puts it: <version>-<build id>/ with `latest` pointing at it. */
  async function writeAudit(content: string | PackageAudit, variant = 'metal-dev', arch = 'x86_64'): Promise<string> {
    const imagesDir = path.join(root, 'build', 'images', `${arch}-${variant}`)
    await mkdir(path.join(imagesDir, '1.2.3-0123abcd'), {recursive: true})
    await symlink('1.2.3-0123abcd', path.join(imagesDir, 'latest'))
    const file = path.join(imagesDir, 'latest', 'package-audit.json')
    await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content, null, 2))
    return file
  }

  describe('reading the audit', () => {
    it('finds it where build variant writes it, under the same file name', () => {
      expect(AUDIT_FILE_NAME).to.equal(PACKAGE_AUDIT_FILE)
      expect(packageAuditFile('/p', 'aarch64', 'metal-dev')).to.equal('/p/build/images/aarch64-metal-dev/latest/package-audit.json')
    })

    it('reads an audit through the latest link', async () => {
      const file = await writeAudit(metalDevAudit())
      const loaded = await readPackageAudit(root, 'x86_64', 'metal-dev')
      expect(loaded).to.deep.equal({file, audit: metalDevAudit()})
    })

    it('gives undefined when the variant was never built, or latest points nowhere', async () => {
      expect(await readPackageAudit(root, 'x86_64', 'metal-dev')).to.equal(undefined)
      const imagesDir = path.join(root, 'build', 'images', 'x86_64-metal-dev')
      await mkdir(imagesDir, {recursive: true})
      await symlink('gone', path.join(imagesDir, 'latest'))
      expect(await readPackageAudit(root, 'x86_64', 'metal-dev')).to.equal(undefined)
    })

    it('rejects an audit that is not JSON, naming the file and how to rebuild it', async () => {
      const file = await writeAudit('{"variant": "metal-dev", ')
      const error = await rejection(readPackageAudit(root, 'x86_64', 'metal-dev'))
      expect(error.code).to.equal('graph.audit-corrupt')
      expect(error.message).to.include(file).and.include('not valid JSON')
      expect(error.hint).to.include('twoliter build variant metal-dev')
    })

    it('rejects an audit missing what --why reads, saying which field', async () => {
      const audit = metalDevAudit() as unknown as {packages: Array<Record<string, unknown>>}
      audit.packages[2]!.requestedBy = 'bottlerocket-kernel-stub'
      const file = await writeAudit(JSON.stringify(audit))
      const error = await rejection(readPackageAudit(root, 'x86_64', 'metal-dev'))
      expect(error.code).to.equal('graph.audit-corrupt')
      expect(error.message).to.include(file).and.include('packages[2].requestedBy is not a list of names')

      await rm(path.join(root, 'build'), {recursive: true})
      await writeAudit(JSON.stringify([1, 2]))
      expect((await rejection(readPackageAudit(root, 'x86_64', 'metal-dev'))).message).to.include('is not a JSON object')
    })

    it('rejects the audit of another variant or architecture', async () => {
      await writeAudit(metalDevAudit('aarch64'))
      const error = await rejection(readPackageAudit(root, 'x86_64', 'metal-dev'))
      expect(error.message).to.include('it describes the architecture "aarch64"')
    })

    it('reports an audit it cannot read as an error, not as a missing audit', async () => {
      const file = packageAuditFile(root, 'x86_64', 'metal-dev')
      await mkdir(file, {recursive: true})
      const error = await rejection(readPackageAudit(root, 'x86_64', 'metal-dev'))
      expect(error.code).to.equal('graph.audit-unreadable')
      expect(error.message).to.include(file).and.include('cannot be read')
      expect(error.hint).to.include('twoliter build variant metal-dev')
    })
  })

  describe('finding the package', () => {
    const audit = metalDevAudit()

    it('tries the name as given, then with the bottlerocket- prefix, then without it', () => {
      expect(candidateRpmNames({name: 'motd'})).to.deep.equal(['motd', 'bottlerocket-motd'])
      expect(candidateRpmNames({name: 'bottlerocket-motd'})).to.deep.equal(['bottlerocket-motd', 'motd'])
      const motdCore = member(graph.workspace, 'motd-core')
      expect(candidateRpmNames({name: 'motd-core', member: motdCore})).to.deep.equal(['motd-core', 'bottlerocket-motd-core'])
    })

    it('matches RPM names with and without the prefix', () => {
      expect(findInstalled(audit, {name: 'motd'})?.name).to.equal('bottlerocket-motd')
      expect(findInstalled(audit, {name: 'bottlerocket-motd'})?.name).to.equal('bottlerocket-motd')
      expect(findInstalled(audit, {name: 'os-base', member: member(graph.workspace, 'os-base')})?.name).to.equal('bottlerocket-os-base')
      expect(findInstalled(audit, {name: 'motdd'})).to.equal(undefined)
    })

    it('finds a package whose RPM is named unlike it by the files its build produced, main package first', () => {
      const motdCore = member(graph.workspace, 'motd-core')
      expect(findInstalled(audit, {name: 'motd-core', member: motdCore})).to.equal(undefined)
      expect(findInstalled(audit, {name: 'motd-core', member: motdCore, rpmFiles: ['bottlerocket-motd-1.0-1.x86_64.rpm']})?.name).to.equal('bottlerocket-motd')
      const files = ['bottlerocket-kernel-stub-modules-1.0-1.x86_64.rpm', 'bottlerocket-kernel-stub-1.0-1.x86_64.rpm']
      expect(findInstalled(audit, {name: 'kstub', rpmFiles: files})?.name).to.equal('bottlerocket-kernel-stub')
    })

    it('never takes a kit or a variant for an RPM', () => {
      const withKitRpm = {...audit, packages: [...audit.packages, pkg('bottlerocket-core-kit')]}
      expect(findInstalled(withKitRpm, {name: 'core-kit', member: member(graph.workspace, 'core-kit')})).to.equal(undefined)
    })

    it('reads the package name out of an RPM file name', () => {
      expect(rpmNameOfFile('bottlerocket-motd-2.0-1.x86_64.rpm')).to.equal('bottlerocket-motd')
      expect(rpmNameOfFile('bottlerocket-kernel-stub-modules-6.1-1.br1.aarch64.rpm')).to.equal('bottlerocket-kernel-stub-modules')
    })
  })

  describe('explaining how it got in', () => {
    const loaded = {file: '/p/package-audit.json', audit: metalDevAudit()}
    const find = (name: string) => loaded.audit.packages.find((candidate) => candidate.name === name)!

    it('follows the recorded Requires from the requested package to it', () => {
      expect(explainInstalled(loaded, find('bottlerocket-libmotd'))).to.deep.equal({
        audit: '/p/package-audit.json',
        name: 'bottlerocket-libmotd',
        epoch: '1',
        version: '0.9',
        release: '3',
        source: 'core-kit',
        repo: 'core-kit',
        requested: false,
        requestedBy: ['bottlerocket-os-base'],
        chains: [['bottlerocket-os-base', 'bottlerocket-motd', 'bottlerocket-libmotd']],
        chainsComplete: true,
      })
    })

    it('says when a package was requested itself, and gives one chain per requesting package', () => {
      const osBase = explainInstalled(loaded, find('bottlerocket-os-base'))
      expect(osBase).to.deep.include({requested: true, chains: [['bottlerocket-os-base']]})
      const metadata = explainInstalled(loaded, find('bottlerocket-metadata'))
      expect(metadata.chains).to.deep.equal([['bottlerocket-metadata'], ['bottlerocket-hostctr-agent', 'bottlerocket-metadata']])
    })

    it('keeps only the ends of each chain for an audit that does not record Requires', () => {
      const old = {file: loaded.file, audit: {...loaded.audit, packages: loaded.audit.packages.map(({requires: _, ...rest}) => rest)}}
      const libmotd = old.audit.packages.find((candidate) => candidate.name === 'bottlerocket-libmotd')!
      expect(explainInstalled(old, libmotd)).to.deep.include({chains: [['bottlerocket-os-base', 'bottlerocket-libmotd']], chainsComplete: false})
    })
  })

  describe('for the variants among the targets', () => {
    const metalDev = () => member(graph.workspace, 'metal-dev')

    it('answers for an RPM no member is named after', async () => {
      const file = await writeAudit(metalDevAudit())
      const [answer] = await imageWhy(graph, {projectRoot: root, arch: 'x86_64', targets: [metalDev()], name: 'bottlerocket-motd'})
      expect(answer!.audit).to.deep.equal({file, variant: 'metal-dev', arch: 'x86_64', version: '1.2.3', buildId: '0123abcd'})
      expect(answer!.installed).to.deep.include({name: 'bottlerocket-motd', version: '2.0', source: 'core-kit', chains: [['bottlerocket-os-base', 'bottlerocket-motd']]})
      expect(renderImageWhy(answer!)).to.equal(
        [
          `Installed in the image (x86_64, version 1.2.3, build 0123abcd; ${file}):`,
          '  bottlerocket-motd 2.0-1, from the kit core-kit, is there because of:',
          '    bottlerocket-os-base → bottlerocket-motd',
        ].join('\n'),
      )
    })

    it('finds a package by the RPMs its last build produced, and names what was installed instead of one', async () => {
      await writeAudit(metalDevAudit())
      await mkdir(path.join(root, 'build', 'rpms', 'motd-core'), {recursive: true})
      await writeFile(path.join(root, 'build', 'rpms', 'motd-core', 'bottlerocket-motd-1.0-1.x86_64.rpm'), '')
      await mkdir(path.join(root, 'build', 'rpms', 'motd-custom'), {recursive: true})
      await writeFile(path.join(root, 'build', 'rpms', 'motd-custom', 'bottlerocket-motd-0.5-1.x86_64.rpm'), '')

      const [core] = await imageWhy(graph, {projectRoot: root, arch: 'x86_64', targets: [metalDev()], name: 'motd-core'})
      expect(core!.installed?.name).to.equal('bottlerocket-motd')
      const [custom] = await imageWhy(graph, {projectRoot: root, arch: 'x86_64', targets: [metalDev()], name: 'motd-custom'})
      expect(custom!.installed).to.equal(undefined)
      expect(custom!.instead).to.deep.equal([{name: 'bottlerocket-motd', version: '2.0', release: '1', source: 'core-kit'}])
      const text = renderImageWhy(custom!)
      expect(text).to.match(/^Not installed in the image \(x86_64, version 1\.2\.3, build 0123abcd; .*\): its package audit lists no motd-custom or bottlerocket-motd-custom, nor bottlerocket-motd-0\.5-1\.x86_64\.rpm/)
      expect(text).to.include('An RPM of the same name is installed instead: bottlerocket-motd 2.0-1, from the kit core-kit.')
    })

    it('lists what came from a kit rather than looking for an RPM of its name', async () => {
      await writeAudit(metalDevAudit())
      const [answer] = await imageWhy(graph, {projectRoot: root, arch: 'x86_64', targets: [metalDev()], name: 'core-kit'})
      expect(answer!.installed).to.equal(undefined)
      expect(renderImageWhy(answer!)).to.include('a kit is not an RPM; the packages installed from it are bottlerocket-hostctr-agent, bottlerocket-kernel-stub')
    })

    it('says how to get an audit when there is none, and ignores targets that are not variants', async () => {
      const answers = await imageWhy(graph, {projectRoot: root, arch: 'aarch64', targets: [metalDev(), member(graph.workspace, 'core-kit')], name: 'os-base'})
      expect(answers).to.have.length(1)
      expect(answers[0]!.audit).to.equal(undefined)
      expect(renderImageWhy(answers[0]!)).to.equal(
        `In the image: metal-dev has no package audit for aarch64 yet; \`${buildCommand('metal-dev', 'aarch64')}\` would let this answer through RPM Requires too.`,
      )
      expect(buildCommand('metal-dev', 'aarch64')).to.match(/^twoliter build variant metal-dev( --arch aarch64)?$/)
    })

    it('rejects a name neither the workspace nor the audit knows, with close names from both', async () => {
      const file = await writeAudit(metalDevAudit())
      let error: unknown
      try {
        await imageWhy(graph, {projectRoot: root, arch: 'x86_64', targets: [metalDev()], name: 'libmotdd'})
      } catch (caught) {
        error = caught
      }

      expect(error).to.be.instanceOf(UsageError)
      const usage = error as UsageError
      expect(usage.code).to.equal('graph.unknown-member')
      expect(usage.message).to.equal('--why "libmotdd" is not a package, kit or variant of this project, nor a package installed in the image of metal-dev. Did you mean libmotd, motd?')
      expect(usage.hint).to.include(graph.workspace.manifestPath).and.include(file)
    })

    it('rejects an unknown name without an audit as before, saying how to get one', async () => {
      const error = await rejection(imageWhy(graph, {projectRoot: root, arch: 'x86_64', targets: [metalDev()], name: 'motdd'}))
      expect(error.message).to.equal('--why "motdd" is not a package, kit or variant of this project.')
      expect(error.hint).to.include('has: core-kit, custom-kit').and.include('metal-dev has no package audit for x86_64 yet')
    })
  })
})
