/**
 * Installing a variant's root against the real engine and the local SDK. The test builds tiny RPMs in
 * the SDK and lays them out as a variant build does: the project's packages as a plain directory of
 * RPMs (`local`), a local kit `kit-a` and an external kit `kit-b` as yum repositories. Both `local` and
 * kit-a offer pkg-x (kit-a at a higher version), both kits offer pkg-y; hc-on and hc-off both provide
 * the capability app needs, one requiring the host-containers image feature, the other conflicting
 * with it.
 */

import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {mkdir, mkdtemp, readdir, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {hostArch} from '../../src/lib/build/arch.js'
import {BuildLog} from '../../src/lib/build/build-log.js'
import type {Engine} from '../../src/lib/engine/index.js'
import type {TwoliterError} from '../../src/lib/errors.js'
import {IMAGE_FEATURE_DEFAULTS, type ImageFeatures} from '../../src/lib/manifest/index.js'
import {compositeRepos} from '../../src/lib/variant/composite.js'
import {type InstalledRoot, VariantInstallError, installVariantRoot} from '../../src/lib/variant/install.js'
import type {InstalledPackage} from '../../src/lib/variant/types.js'
import {connectEngine, ensureLocalSdk} from '../helpers/sdk.js'

const ARCH = hostArch()
const VARIANT = 'hello-ootb'

interface TestRpm {
  repo: 'local' | 'kit-a' | 'kit-b'
  name: string
  version: string
  requires?: string[]
  provides?: string[]
  conflicts?: string[]
  /** Path in the root → content. */
  files?: Record<string, string>
  /** Path in the root → content, packaged with %license. */
  licenses?: Record<string, string>
  /** Path → mode, for files whose mode the root must keep. */
  modes?: Record<string, string>
  noarch?: boolean
}

const RPMS: TestRpm[] = [
  {repo: 'local', name: 'app', version: '1.0', requires: ['bottlerocket-lib', 'bottlerocket-hc-impl'], files: {'/usr/share/app/hello': 'hello', '/usr/libexec/app/run': '#!/bin/sh\n'}, licenses: {'/usr/share/licenses/app/LICENSE': 'MIT'}, modes: {'/usr/libexec/app/run': '0750'}},
  {repo: 'local', name: 'pkg-x', version: '1.0', files: {'/usr/share/pkg-x/which': 'local'}},
  {repo: 'kit-a', name: 'pkg-x', version: '2.0', files: {'/usr/share/pkg-x/which': 'kit-a'}},
  {repo: 'kit-a', name: 'pkg-y', version: '2.0', files: {'/usr/share/pkg-y/which': 'kit-a'}},
  {repo: 'kit-a', name: 'lib', version: '1.0', requires: ['bottlerocket-helper(tool)'], files: {'/usr/share/lib/lib': 'lib'}},
  {repo: 'kit-a', name: 'helper-impl', version: '1.0', provides: ['bottlerocket-helper(tool)'], files: {'/usr/share/helper/tool': 'tool'}, noarch: true},
  {repo: 'kit-a', name: 'hc-on', version: '1.0', provides: ['bottlerocket-hc-impl'], requires: ['bottlerocket-image-feature(host-containers)'], files: {'/usr/share/hc/mode': 'on'}},
  {repo: 'kit-a', name: 'hc-off', version: '1.0', provides: ['bottlerocket-hc-impl'], conflicts: ['bottlerocket-image-feature(host-containers)'], files: {'/usr/share/hc/mode': 'off'}},
  {repo: 'kit-a', name: 'needs-fips', version: '1.0', requires: ['bottlerocket-image-feature(fips)']},
  {repo: 'kit-b', name: 'pkg-y', version: '1.0', files: {'/usr/share/pkg-y/which': 'kit-b'}},
  {repo: 'kit-b', name: 'extra', version: '3.1', files: {'/usr/share/extra/extra': 'extra'}},
]

function spec(rpm: TestRpm): string {
  const files = {...rpm.files, ...rpm.licenses}
  return [
    '%global _cross_first_party 1',
    `Name: bottlerocket-${rpm.name}`,
    `Version: ${rpm.version}`,
    'Release: 1',
    `Summary: The ${rpm.name} test package (${rpm.repo})`,
    'License: MIT',
    `URL: https://example.com/${rpm.name}`,
    ...(rpm.noarch ? ['BuildArch: noarch'] : []),
    ...(rpm.requires ?? []).map((capability) => `Requires: ${capability}`),
    ...(rpm.provides ?? []).map((capability) => `Provides: ${capability}`),
    ...(rpm.conflicts ?? []).map((capability) => `Conflicts: ${capability}`),
    '%description',
    '%{summary}.',
    '%install',
    ...Object.entries(files).map(([file, content]) => `mkdir -p %{buildroot}${path.posix.dirname(file)} && printf '%s' '${content.replaceAll('\n', '\\n')}' > %{buildroot}${file}`),
    '%files',
    ...Object.keys(rpm.files ?? {}).map((file) => (rpm.modes?.[file] ? `%attr(${rpm.modes[file]},root,root) ${file}` : file)),
    ...Object.keys(rpm.licenses ?? {}).map((file) => `%license ${file}`),
    '',
  ].join('\n')
}

/** Builds the test RPMs in one run of the SDK: `local` as Packages/<name>/*.rpm, the kits as yum repos. */
async function buildRepos(engine: Engine, sdkImage: string, dir: string): Promise<void> {
  const specs = path.join(dir, 'specs')
  const out = path.join(dir, 'repos')
  for (const rpm of RPMS) {
    await mkdir(path.join(specs, rpm.repo), {recursive: true})
    await writeFile(path.join(specs, rpm.repo, `${rpm.name}.spec`), spec(rpm))
  }

  await mkdir(out)
  const script = `set -euo pipefail
cp /usr/lib/rpm/platform/$ARCH-bottlerocket/macros /root/.rpmmacros
for specfile in /specs/*/*.spec; do
  repo=$(basename "$(dirname "$specfile")"); name=$(basename "$specfile" .spec)
  rpmbuild -bb --quiet --define "_topdir /tmp/top/$repo/$name" --define "_target_cpu $ARCH" "$specfile"
  mkdir -p "/out/$repo/Packages/$name"
  find "/tmp/top/$repo/$name/RPMS" -name '*.rpm' -exec cp -t "/out/$repo/Packages/$name" {} +
done
for kit in kit-a kit-b; do createrepo_c --quiet "/out/$kit"; done
chown -R "$HOST_UID:$HOST_GID" /out`
  const lines: string[] = []
  const {exitCode} = await engine.run(
    {
      image: sdkImage,
      cmd: ['/bin/bash', '-c', script],
      user: '0:0',
      env: {ARCH, HOST_UID: String(process.getuid?.() ?? 0), HOST_GID: String(process.getgid?.() ?? 0)},
      mounts: [
        {host: specs, container: '/specs', readOnly: true},
        {host: out, container: '/out'},
      ],
      network: 'none',
    },
    {onOutput: (text) => lines.push(text)},
  )
  expect(exitCode, lines.join('')).to.equal(0)
}

describe('variant root install (real engine)', function () {
  this.timeout(300_000)
  let engine: Engine
  let sdkImage: string
  let work: string
  let run = 0

  const repoDir = (repo: string) => path.join(work, 'repos', repo)
  const kits = () => [
    {name: 'kit-a', repo: {kit: 'kit-a', dir: repoDir('kit-a'), digest: 'a'}, external: false},
    {name: 'kit-b', repo: {dir: repoDir('kit-b'), digest: 'b'}, external: true},
  ]

  async function install(options: {includedPackages: string[]; features?: Partial<ImageFeatures>; kitPriority?: string[]}): Promise<InstalledRoot & {workDir: string; logFile: string}> {
    run++
    const workDir = path.join(work, 'build/.staging', `install-${run}`)
    const logFile = path.join(work, 'logs', `install-${run}.log`)
    const log = await BuildLog.create(logFile)
    try {
      const repos = compositeRepos({localRepoDir: repoDir('local'), kits: kits(), kitPriority: options.kitPriority, variant: VARIANT})
      const root = await installVariantRoot({
        engine,
        sdkImage,
        arch: ARCH,
        variant: VARIANT,
        version: '1.2.3',
        features: {...IMAGE_FEATURE_DEFAULTS, ...options.features},
        includedPackages: options.includedPackages,
        repos,
        projectRoot: work,
        workDir,
        log,
      })
      return {...root, workDir, logFile}
    } finally {
      await log.close()
    }
  }

  async function failure(options: Parameters<typeof install>[0]): Promise<VariantInstallError> {
    try {
      await install(options)
    } catch (error) {
      expect(error).to.be.instanceOf(VariantInstallError)
      return error as VariantInstallError
    }

    throw new Error('expected the install to fail')
  }

  const readFromRoot = (tar: string, file: string) => execFileSync('tar', ['-xOf', tar, `.${file}`], {encoding: 'utf8'})
  const pkg = (root: InstalledRoot, name: string): InstalledPackage => {
    const found = root.packages.find((p) => p.name === `bottlerocket-${name}`)
    expect(found, name).to.not.equal(undefined)
    return found!
  }

  before(async () => {
    engine = await connectEngine()
    sdkImage = await ensureLocalSdk()
    work = await mkdtemp(path.join(tmpdir(), 'twoliter-e2e-variant-install-'))
    await buildRepos(engine, sdkImage, work)
  })

  after(async () => {
    if (work) await rm(work, {recursive: true, force: true})
  })

  it('installs from the most preferred repo offering each package, whatever the versions, and describes every RPM', async () => {
    const root = await install({includedPackages: ['app', 'pkg-x', 'pkg-y', 'extra'], kitPriority: ['kit-b', 'kit-a']})

    // local (priority 10) beats kit-a's pkg-x 2.0; kit-priority puts kit-b (20) before kit-a (30).
    expect(readFromRoot(root.rootfsTar, '/usr/share/pkg-x/which')).to.equal('local')
    expect(pkg(root, 'pkg-x')).to.deep.include({version: '1.0', repo: 'local', source: 'local'})
    expect(readFromRoot(root.rootfsTar, '/usr/share/pkg-y/which')).to.equal('kit-b')
    expect(pkg(root, 'pkg-y')).to.deep.include({version: '1.0', repo: 'kit-b', source: 'kit-b'})

    // host-containers is on by default: hc-on satisfies app, hc-off conflicts.
    expect(readFromRoot(root.rootfsTar, '/usr/share/hc/mode')).to.equal('on')
    expect(root.packages.map((p) => p.name)).to.deep.equal([
      'bottlerocket-app',
      'bottlerocket-extra',
      'bottlerocket-hc-on',
      'bottlerocket-helper-impl',
      'bottlerocket-lib',
      'bottlerocket-metadata',
      'bottlerocket-pkg-x',
      'bottlerocket-pkg-y',
    ])

    // Why each is there: dependencies (through the virtual bottlerocket-helper(tool) too) name app.
    expect(pkg(root, 'app').requestedBy).to.deep.equal(['bottlerocket-app'])
    expect(pkg(root, 'lib').requestedBy).to.deep.equal(['bottlerocket-app'])
    expect(pkg(root, 'helper-impl').requestedBy).to.deep.equal(['bottlerocket-app'])
    expect(pkg(root, 'hc-on').requestedBy).to.deep.equal(['bottlerocket-app'])
    expect(pkg(root, 'metadata').requestedBy).to.deep.equal(['bottlerocket-metadata', 'bottlerocket-app'])
    expect(pkg(root, 'lib')).to.deep.include({repo: 'kit-a', source: 'kit-a', arch: ARCH, license: 'MIT', summary: 'The lib test package (kit-a)', url: 'https://example.com/lib'})
    expect(pkg(root, 'helper-impl')).to.deep.include({arch: 'noarch', rpm: 'bottlerocket-helper-impl-1.0-1.noarch.rpm'})
    expect(pkg(root, 'app').licenseFiles).to.deep.equal(['/usr/share/licenses/app/LICENSE'])
    expect(pkg(root, 'lib').licenseFiles).to.deep.equal([])

    const metadata = pkg(root, 'metadata')
    expect(metadata).to.deep.include({version: '1.2.3', release: '1', arch: ARCH, repo: 'metadata', source: 'metadata', rpm: `bottlerocket-metadata-1.2.3-1.${ARCH}.rpm`})

    // The root keeps modes and numeric root ownership; the outputs belong to the invoking user.
    const listing = execFileSync('tar', ['--numeric-owner', '-tvf', root.rootfsTar], {encoding: 'utf8'})
    expect(listing).to.match(/^-rwxr-x--- 0\/0 .* \.\/usr\/libexec\/app\/run$/m)
    expect(listing).to.match(/^-rw-r--r-- 0\/0 .* \.\/usr\/share\/licenses\/app\/LICENSE$/m)
    expect(listing).to.match(/ \.\/var\/lib\/rpm\//m)
    const owner = await stat(root.rootfsTar)
    expect([owner.uid, owner.gid]).to.deep.equal([process.getuid?.(), process.getgid?.()])
    expect((await readdir(root.workDir)).sort()).to.deep.equal(['install-time', 'metadata.spec', 'packages.jsonl', 'repos.list', 'rootfs.tar'])

    // The inventory: every RPM, sorted; the external kit's package de-prefixed and published by the kit.
    const content = root.inventory.Content
    expect(content.map((entry) => entry.Name)).to.deep.equal(['bottlerocket-app', 'extra', 'bottlerocket-hc-on', 'bottlerocket-helper-impl', 'bottlerocket-lib', 'bottlerocket-metadata', 'bottlerocket-pkg-x', 'pkg-y'])
    const extra = content[1]!
    expect(extra).to.deep.equal({
      Name: 'extra',
      Publisher: 'kit-b',
      Version: '3.1',
      Release: '1',
      Epoch: '0',
      InstalledTime: extra.InstalledTime,
      ApplicationType: 'Unspecified',
      Architecture: ARCH,
      Url: 'https://example.com/extra',
      Summary: 'The extra test package (kit-b)',
    })
    expect(extra.InstalledTime).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(content[0]).to.deep.include({Publisher: 'Bottlerocket', Url: 'https://example.com/app'})
    expect(new Set(content.map((entry) => entry.InstalledTime)).size).to.equal(1)
  })

  it('installs the package that conflicts with host-containers when the variant turns the feature off', async () => {
    const root = await install({includedPackages: ['app'], features: {'host-containers': false}})
    expect(readFromRoot(root.rootfsTar, '/usr/share/hc/mode')).to.equal('off')
    expect(root.packages.map((p) => p.name)).to.include('bottlerocket-hc-off').and.not.include('bottlerocket-hc-on')
    expect(pkg(root, 'hc-off')).to.deep.include({repo: 'kit-a', requestedBy: ['bottlerocket-app']})
    // Without kit-priority, the local kit comes before the external one: kit-a's pkg-y 2.0 would win.
    expect(pkg(root, 'app').repo).to.equal('local')
  })

  it('names a package no repo offers and the repos it searched, and leaves no output behind', async () => {
    const error = await failure({includedPackages: ['app', 'nope']})
    expect(error.code).to.equal('variant.install-missing-package')
    expect(error.missing).to.deep.equal(['bottlerocket-nope'])
    expect(error.message).to.include('bottlerocket-nope').and.include('metadata (priority 1').and.include("local (priority 10, the project's packages)")
    expect(error.message).to.include('kit-a (priority 20, kit kit-a)').and.include('kit-b (priority 30, external kit kit-b)')
    expect(error.hint).to.include(error.logFile)
    const workDir = path.join(work, 'build/.staging', `install-${run}`)
    expect((await readdir(workDir)).sort()).to.deep.equal(['metadata.spec', 'repos.list'])
  })

  it('reports packages that cannot be installed together: a required feature that is off, a conflict with one that is on', async () => {
    const error = await failure({includedPackages: ['needs-fips', 'hc-off']})
    expect(error.code).to.equal('variant.install-conflict')
    expect(error.message).to.include('nothing provides bottlerocket-image-feature(fips) needed by bottlerocket-needs-fips')
    expect(error.missing).to.deep.equal(['bottlerocket-image-feature(fips)'])
    expect(error.message).to.match(/bottlerocket-hc-off.*conflicts with bottlerocket-image-feature\(host-containers\)|conflicts.*bottlerocket-hc-off/)
    expect(error.hint).to.include('image-feature(no-fips)').and.include('image-feature(host-containers)')
  })

  it('refuses a missing repository before starting a container', async () => {
    const runs = engine.stats.containerRuns
    const log = await BuildLog.create(path.join(work, 'logs', 'missing-repo.log'))
    const repos = compositeRepos({localRepoDir: repoDir('local'), kits: [{name: 'gone-kit', repo: {dir: repoDir('gone-kit'), digest: 'g'}, external: true}], variant: VARIANT})
    const attempt = installVariantRoot({engine, sdkImage, arch: ARCH, variant: VARIANT, version: '1.2.3', features: {...IMAGE_FEATURE_DEFAULTS}, includedPackages: ['app'], repos, projectRoot: work, workDir: path.join(work, 'build/.staging/missing-repo'), log})
    const error = await attempt.then(() => undefined, (error: unknown) => error as TwoliterError)
    await log.close()
    expect(error?.code).to.equal('variant.install-repo-missing')
    expect(error?.message).to.include('gone-kit')
    expect(engine.stats.containerRuns).to.equal(runs)
  })
})
