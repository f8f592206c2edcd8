import {cp, mkdir, mkdtemp, rm, symlink, writeFile} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {hostArch} from '../../../src/lib/build/arch.js'
import type {PackageAudit} from '../../../src/lib/build/variant-builds.js'
import type {InstalledPackage} from '../../../src/lib/variant/types.js'
import {REPO, expectNoStackTrace, twoliter} from '../../helpers/cli.js'

const VARIANT_PROJECT = path.join(REPO, 'test', 'fixtures', 'build', 'variant-project')

function pkg(name: string, fields: Partial<InstalledPackage>): InstalledPackage {
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
    rpm: `${name}-${fields.version ?? '1.0'}-1.x86_64.rpm`,
    ...fields,
  }
}

/**
 * What `build variant metal-dev` records, by hand: os-base (the project's) requires the motd, which
 * core-kit supplies (its kit-priority beats custom-kit's) and which requires a library no Cargo.toml
 * mentions; hostctr-agent requires an image feature of the metadata.
 */
function audit(arch: string): PackageAudit {
  return {
    variant: 'metal-dev',
    arch,
    version: '1.2.3',
    buildId: '0123abcd',
    repos: [
      {id: 'local', source: 'local', priority: 1},
      {id: 'core-kit', source: 'core-kit', priority: 2},
      {id: 'custom-kit', source: 'custom-kit', priority: 3},
    ],
    packages: [
      pkg('bottlerocket-hostctr-agent', {source: 'core-kit', repo: 'core-kit', requestedBy: ['bottlerocket-hostctr-agent'], requires: ['bottlerocket-metadata']}),
      pkg('bottlerocket-kernel-stub', {version: '6.1', source: 'core-kit', repo: 'core-kit', requestedBy: ['bottlerocket-kernel-stub']}),
      pkg('bottlerocket-libmotd', {version: '0.9', source: 'core-kit', repo: 'core-kit', requestedBy: ['bottlerocket-os-base']}),
      pkg('bottlerocket-metadata', {version: '1.2.3', release: '0', source: 'metadata', repo: 'metadata', requestedBy: ['bottlerocket-metadata', 'bottlerocket-hostctr-agent']}),
      pkg('bottlerocket-motd', {version: '2.0', source: 'core-kit', repo: 'core-kit', requestedBy: ['bottlerocket-os-base'], requires: ['bottlerocket-libmotd']}),
      pkg('bottlerocket-os-base', {requestedBy: ['bottlerocket-os-base'], requires: ['bottlerocket-motd']}),
    ],
  }
}

describe('twoliter graph --why through the package audit (child process)', function () {
  this.timeout(120_000)

  let project: string
  let auditFile: string

  before(async () => {
    project = path.join(await mkdtemp(path.join(os.tmpdir(), 'twoliter-graph-audit-')), 'project')
    await cp(VARIANT_PROJECT, project, {recursive: true})
    auditFile = await writeAudit('x86_64', JSON.stringify(audit('x86_64'), null, 2))
    if (hostArch() !== 'x86_64') await writeAudit(hostArch(), JSON.stringify(audit(hostArch()), null, 2))
  })

  after(async () => {
    await rm(path.dirname(project), {recursive: true, force: true})
  })

  async function writeAudit(arch: string, text: string, variant = 'metal-dev'): Promise<string> {
    const imagesDir = path.join(project, 'build', 'images', `${arch}-${variant}`)
    await mkdir(path.join(imagesDir, '1.2.3-0123abcd'), {recursive: true})
    await symlink('1.2.3-0123abcd', path.join(imagesDir, 'latest'))
    const file = path.join(imagesDir, 'latest', 'package-audit.json')
    await writeFile(file, text)
    return file
  }

  it('answers for an RPM no Cargo link leads to, after saying there is no Cargo path', () => {
    const run = twoliter(['graph', 'metal-dev', '--why', 'bottlerocket-libmotd', '--arch', 'x86_64'], project)
    expect(run.status, run.stderr).to.equal(0)
    expect(run.stdout).to.equal(
      [
        'bottlerocket-libmotd is not a package of this workspace, so no Cargo dependency of metal-dev leads to it.',
        `Installed in the image (x86_64, version 1.2.3, build 0123abcd; ${auditFile}):`,
        '  bottlerocket-libmotd 0.9-1, from the kit core-kit, is there because of:',
        '    bottlerocket-os-base → bottlerocket-motd → bottlerocket-libmotd',
        '',
      ].join('\n'),
    )
  })

  it('prints the Cargo paths first, then the image, for a package that is requested directly', () => {
    // No --arch: the host's audit (the same content) answers.
    const run = twoliter(['graph', 'metal-dev', '--why', 'os-base'], project)
    expect(run.status, run.stderr).to.equal(0)
    const lines = run.stdout.trimEnd().split('\n')
    expect(lines[0]).to.equal('metal-dev depends on os-base through:')
    expect(lines[1]).to.equal('  metal-dev → os-base')
    expect(lines[2]).to.match(new RegExp(`^Installed in the image \\(${hostArch()}, version 1\\.2\\.3, build 0123abcd; .*${hostArch()}-metal-dev/latest/package-audit\\.json\\):$`))
    expect(lines.slice(3)).to.deep.equal([
      '  bottlerocket-os-base 1.0-1, from the project\'s own packages, is there because of:',
      '    bottlerocket-os-base (requested directly, in included-packages)',
    ])
  })

  it('puts the audit\'s answer under why in --json, with the chains as lists of RPM names', () => {
    const run = twoliter(['graph', 'metal-dev', '--why', 'motd', '--arch', 'x86_64', '--json'], project)
    expect(run.status, run.stderr).to.equal(0)
    expect(JSON.parse(run.stdout).why).to.deep.equal({
      package: 'motd',
      paths: [],
      truncated: false,
      audit: {file: auditFile, variant: 'metal-dev', arch: 'x86_64', version: '1.2.3', buildId: '0123abcd'},
      installed: {
        audit: auditFile,
        name: 'bottlerocket-motd',
        version: '2.0',
        release: '1',
        source: 'core-kit',
        repo: 'core-kit',
        requested: false,
        requestedBy: ['bottlerocket-os-base'],
        chains: [['bottlerocket-os-base', 'bottlerocket-motd']],
        chainsComplete: true,
      },
    })
  })

  it('gives both the Cargo paths and the image for a member, and null for what the image lacks', () => {
    const run = twoliter(['graph', 'metal-dev', '--why', 'metadata', '--arch', 'x86_64', '--json'], project)
    expect(run.status, run.stderr).to.equal(0)
    expect(JSON.parse(run.stdout).why.installed.chains).to.deep.equal([['bottlerocket-metadata'], ['bottlerocket-hostctr-agent', 'bottlerocket-metadata']])

    const member = twoliter(['graph', 'metal-dev', '--why', 'hostctr-agent', '--arch', 'x86_64', '--json'], project)
    expect(member.status, member.stderr).to.equal(0)
    const {why} = JSON.parse(member.stdout)
    expect(why.paths.map((steps: Array<{name: string}>) => steps.map((step) => step.name))).to.deep.equal([['metal-dev', 'core-kit', 'hostctr-agent']])
    expect(why.installed).to.deep.include({name: 'bottlerocket-hostctr-agent', requested: true, source: 'core-kit'})

    const custom = twoliter(['graph', 'metal-dev', '--why', 'motd-custom', '--arch', 'x86_64', '--json'], project)
    expect(custom.status, custom.stderr).to.equal(0)
    expect(JSON.parse(custom.stdout).why).to.deep.include({installed: null})
    expect(JSON.parse(custom.stdout).why.paths).to.have.length(1)
  })

  it('says how to get an audit when the variant has none, in text and as null in JSON', () => {
    const run = twoliter(['graph', 'metal-minimal', '--why', 'os-base', '--arch', 'aarch64'], project)
    expect(run.status, run.stderr).to.equal(0)
    const expectedCommand = hostArch() === 'aarch64' ? 'twoliter build variant metal-minimal' : 'twoliter build variant metal-minimal --arch aarch64'
    expect(run.stdout).to.equal(
      [
        'metal-minimal depends on os-base through:',
        '  metal-minimal → os-base',
        `In the image: metal-minimal has no package audit for aarch64 yet; \`${expectedCommand}\` would let this answer through RPM Requires too.`,
        '',
      ].join('\n'),
    )

    const json = twoliter(['graph', 'metal-minimal', '--why', 'os-base', '--arch', 'aarch64', '--json'], project)
    expect(JSON.parse(json.stdout).why).to.deep.include({audit: null, installed: null})
  })

  it('answers for every variant without TARGET, an RPM-only name included', () => {
    const run = twoliter(['graph', '--why', 'bottlerocket-motd', '--arch', 'x86_64', '--json'], project)
    expect(run.status, run.stderr).to.equal(0)
    const {graphs} = JSON.parse(run.stdout)
    expect(graphs.map((graph: {target: {name: string}; why: {installed: {name: string} | null}}) => [graph.target.name, graph.why.installed?.name ?? null])).to.deep.equal([
      ['metal-custom', null],
      ['metal-dev', 'bottlerocket-motd'],
      ['metal-minimal', null],
    ])
  })

  it('keeps --format dot a plain digraph', () => {
    const run = twoliter(['graph', 'metal-dev', '--why', 'os-base', '--arch', 'x86_64', '--format', 'dot'], project)
    expect(run.status, run.stderr).to.equal(0)
    const lines = run.stdout.trimEnd().split('\n')
    expect(lines[0]).to.equal('digraph dependencies {')
    expect(lines.at(-1)).to.equal('}')
    expect(run.stdout).not.to.include('Installed')
  })

  it('rejects a name neither the workspace nor the audit knows, mentioning both, exit code 2', () => {
    const run = twoliter(['graph', 'metal-dev', '--why', 'libmotdd', '--arch', 'x86_64'], project)
    expect(run.status).to.equal(2)
    expect(run.stdout).to.equal('')
    expect(run.stderr)
      .to.include('--why "libmotdd" is not a package, kit or variant of this project, nor a package installed in the image of metal-dev.')
      .and.include('Did you mean libmotd')
      .and.include(path.join(project, 'Cargo.toml'))
      .and.include(auditFile)
    expectNoStackTrace(run)

    const json = twoliter(['graph', 'metal-dev', '--why', 'libmotdd', '--arch', 'x86_64', '--json'], project)
    expect(json.status).to.equal(2)
    expect(JSON.parse(json.stdout).error.code).to.equal('graph.unknown-member')
  })

  it('still rejects an RPM-only name for a target that is not a variant', () => {
    const run = twoliter(['graph', 'core-kit', '--why', 'bottlerocket-motd', '--arch', 'x86_64'], project)
    expect(run.status).to.equal(2)
    expect(run.stderr).to.include('--why "bottlerocket-motd" is not a package, kit or variant of this project.')
    expectNoStackTrace(run)
  })

  it('rejects --arch values that are not architectures', () => {
    const run = twoliter(['graph', 'metal-dev', '--why', 'os-base', '--arch', 'sparc'], project)
    expect(run.status).to.equal(2)
    expect(run.stderr).to.include('--arch sparc is not an architecture')
    expectNoStackTrace(run)
  })

  it('reports a corrupt audit with its path and how to rebuild it, exit code 1, no stack trace', async () => {
    const file = await writeAudit('x86_64', '{"variant": "metal-custom", "arch": ', 'metal-custom')
    const run = twoliter(['graph', 'metal-custom', '--why', 'os-base', '--arch', 'x86_64'], project)
    expect(run.status).to.equal(1)
    expect(run.stderr).to.include(`the package audit ${file} of the variant metal-custom is not valid JSON`)
    expect(run.stderr).to.include('twoliter build variant metal-custom')
    expectNoStackTrace(run)
  })
})
