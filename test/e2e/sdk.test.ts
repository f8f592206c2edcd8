import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {chmod, readdir} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import type {Engine, RunSpec} from '../../src/lib/engine/index.js'
import {SDK_RECIPE_LABEL, buildLocalSdk, hostDebianMirror, localSdkCacheTag, localSdkRecipeHash} from '../../src/lib/sdk/index.js'
import {importDebootstrapRootfs} from '../../src/lib/sdk/rootfs.js'
import {Logger} from '../../src/lib/ui/logger.js'
import {REPO, expectNoStackTrace, twoliter} from '../helpers/cli.js'
import {connectEngine, ensureLocalSdk} from '../helpers/sdk.js'
import {expectTwoliterError, temporaryDirectories} from '../unit/project/helpers.js'

const TEST_LABEL = 'dev.twoliter.test'
const ROOT = '/x86_64-bottlerocket-linux-gnu/sys-root'

// What `rpm --eval` gives in the Bottlerocket SDK after its platform macros are copied to ~/.rpmmacros,
// for a package named bottlerocket-pkg-a (reference: the bottlerocket-sdk's macros/shared and macros/<arch>).
const X86_64_MACROS: Record<string, string> = {
  _cross_arch: 'x86_64',
  _cross_go_arch: 'amd64',
  _cross_karch: 'x86',
  _cross_efi_arch: 'x64',
  _cross_vendor: 'bottlerocket',
  _cross_os: 'bottlerocket-',
  _cross_libc: 'gnu',
  _cross_triple: 'x86_64-bottlerocket-linux',
  _cross_target: 'x86_64-bottlerocket-linux-gnu',
  dist: '',
  _cross_rootdir: ROOT,
  _cross_prefix: `${ROOT}/usr`,
  _cross_bindir: `${ROOT}/usr/bin`,
  _cross_sbindir: `${ROOT}/usr/sbin`,
  _cross_libexecdir: `${ROOT}/usr/libexec`,
  _cross_includedir: `${ROOT}/usr/include`,
  _cross_libdir: `${ROOT}/usr/lib`,
  _cross_datadir: `${ROOT}/usr/share`,
  _cross_datarootdir: `${ROOT}/usr/share`,
  _cross_factorydir: `${ROOT}/usr/share/factory`,
  _cross_licensedir: `${ROOT}/usr/share/licenses`,
  _defaultlicensedir: `${ROOT}/usr/share/licenses`,
  _cross_unitdir: `${ROOT}/usr/lib/systemd/system`,
  _cross_tmpfilesdir: `${ROOT}/usr/lib/tmpfiles.d`,
  _cross_sysusersdir: `${ROOT}/usr/lib/sysusers.d`,
  _cross_sysctldir: `${ROOT}/usr/lib/sysctl.d`,
  _cross_udevrulesdir: `${ROOT}/usr/lib/udev/rules.d`,
  _cross_sysconfdir: '/etc',
  _cross_localstatedir: '/var',
  _cross_sharedstatedir: '/var/lib',
  _cross_rundir: '/run',
  _cross_bootdir: '/boot',
  _cross_bootconfigdir: '/boot/boot-config.d',
  _uncross_name: 'pkg-a',
  _cross_attribution_file: `${ROOT}/usr/share/licenses/pkg-a/attribution.txt`,
  _binary_payload: 'w1.zstdio',
  __requires_exclude: '^.*$',
  __provides_exclude: '^.*$',
  _build_id_links: 'alldebug',
}

const AARCH64_MACROS: Record<string, string> = Object.fromEntries(
  Object.entries(X86_64_MACROS).map(([name, value]) => [
    name,
    {_cross_arch: 'aarch64', _cross_go_arch: 'arm64', _cross_karch: 'arm64', _cross_efi_arch: 'aa64'}[name] ?? value.replaceAll('x86_64', 'aarch64'),
  ]),
)

// The reference's pkg-a, with the Source numbering and first-party flag of twoliter's own test projects.
const PKG_A_SPEC = `%global _cross_first_party 1
%undefine _debugsource_packages

Name: %{_cross_os}pkg-a
Version: 0.0
Release: 0%{?dist}
Summary: pkg-a
License: Apache-2.0 OR MIT
URL: https://github.com/bottlerocket-os/bottlerocket

Source100: pkg-a.txt

%description
%{summary}.

%prep
%setup -T -c

%build

%install
mkdir -p %{buildroot}%{_cross_datadir}
install -p -m 0644 %{S:100} %{buildroot}%{_cross_datadir}/pkg-a.txt

%files
%{_cross_datadir}/pkg-a.txt
`

// A third-party package gets a generated attribution file, which its %files must list.
const THIRD_PARTY_SPEC = `Name: %{_cross_os}third-party
Version: 1.2.3
Release: 1%{?dist}
Summary: third-party
License: MIT
URL: https://example.com/third-party

%description
%{summary}.

%prep
%setup -T -c

%install
mkdir -p %{buildroot}%{_cross_bindir}
printf '#!/bin/sh\\necho hi\\n' > %{buildroot}%{_cross_bindir}/third-party
chmod 0755 %{buildroot}%{_cross_bindir}/third-party

%files
%{_cross_bindir}/third-party
%{_cross_attribution_file}
`

const CROSS_COMPILED_SPEC = `%global _cross_first_party 1
Name: %{_cross_os}compiled
Version: 1.0
Release: 1
Summary: compiled
License: MIT

%description
%{summary}.

%prep
%setup -T -c

%build
%cross_configure --disable-everything

%files
`

// The build of one spec as the reference's rpmbuild stage does it: as builder, with the platform macros
// as ~/.rpmmacros, then the RPM file names and `rpm -qlp` of each.
const RPMBUILD = `set -euo pipefail
cp "/usr/lib/rpm/platform/$ARCH-bottlerocket/macros" ~/.rpmmacros
cp "/in/$PACKAGE.spec" rpmbuild/SPECS/
find /in -maxdepth 1 -type f ! -name '*.spec' -exec cp -t rpmbuild/SOURCES {} +
rpmbuild -bb --undefine _auto_set_build_flags --define "_target_cpu $ARCH" --define "dist $DIST" "rpmbuild/SPECS/$PACKAGE.spec"
find rpmbuild/RPMS -name '*.rpm' -exec cp -t /out {} +
`

describe('the local SDK (real Docker engine)', function () {
  this.timeout(180_000)
  const directories = temporaryDirectories()
  const runId = randomBytes(6).toString('hex')
  let engine: Engine
  let sdk: string

  before(async function () {
    this.timeout(20 * 60_000)
    sdk = await ensureLocalSdk()
    engine = await connectEngine()
  })

  after(async () => {
    await engine?.removeStrayContainers({[TEST_LABEL]: runId})
  })

  function inSdk(script: string, extra: Partial<RunSpec> = {}): RunSpec {
    return {image: sdk, cmd: ['bash', '-c', script], labels: {[TEST_LABEL]: runId}, ...extra}
  }

  /** Builds `spec` with the reference's rpmbuild invocation; returns the run and the RPM files made. */
  async function rpmbuild(name: string, spec: string, files: Record<string, string> = {}, arch = 'x86_64') {
    const input = await directories.create({[`${name}.spec`]: spec, ...files})
    const output = await directories.create()
    // builder (uid 1000) reads and writes directories that the test process made private (mkdtemp).
    await chmod(input, 0o755)
    await chmod(output, 0o777)
    const run = await engine.run(
      inSdk(RPMBUILD, {
        env: {PACKAGE: name, ARCH: arch, DIST: '.1700000000.0123abcd.br1'},
        mounts: [
          {host: input, container: '/in', readOnly: true},
          {host: output, container: '/out'},
        ],
      }),
    )
    return {run, output, rpms: (await readdir(output)).sort()}
  }

  it('is cached by its recipe hash: a second build makes no container run and no image build', async () => {
    const fresh = await connectEngine()
    const build = await buildLocalSdk(fresh, {logger: new Logger('off')})
    const hash = await localSdkRecipeHash()
    expect(build).to.deep.include({image: localSdkCacheTag(hash), recipeHash: hash, cached: true})
    expect(build.image).to.equal(sdk)
    expect(fresh.stats).to.deep.equal({containerRuns: 0, imageBuilds: 0})
    expect((await fresh.inspectImage(sdk))?.labels[SDK_RECIPE_LABEL]).to.equal(hash)
  })

  it('tags the cached image with the tag asked for', async () => {
    const tag = `twoliter-test-sdk:${runId}`
    try {
      const build = await buildLocalSdk(engine, {tag, logger: new Logger('off')})
      expect(build.cached).to.equal(true)
      expect(build.image).to.equal(tag)
      expect(await engine.imageId(tag)).to.equal(build.id)
    } finally {
      await engine.removeImage(tag)
    }
  })

  it('has the builder user with its rpmbuild tree, and runs as builder by default', async () => {
    const result = await engine.runChecked(inSdk('id -un; id -u; pwd; stat -c "%U %n" ~/rpmbuild ~/rpmbuild/*'))
    expect(result.tail.split('\n')).to.deep.equal([
      'builder',
      '1000',
      '/home/builder',
      'builder /home/builder/rpmbuild',
      ...['BUILD', 'BUILDROOT', 'RPMS', 'SOURCES', 'SPECS', 'SRPMS'].map((dir) => `builder /home/builder/rpmbuild/${dir}`),
    ])
  })

  for (const [arch, expected] of [
    ['x86_64', X86_64_MACROS],
    ['aarch64', AARCH64_MACROS],
  ] as const) {
    it(`expands the ${arch} platform macros to the Bottlerocket SDK's values`, async () => {
      const names = Object.keys(expected).join(' ')
      const result = await engine.runChecked(
        inSdk(`cp /usr/lib/rpm/platform/${arch}-bottlerocket/macros ~/.rpmmacros
for m in ${names}; do printf '%s=%s\\n' "$m" "$(rpm --define 'name bottlerocket-pkg-a' --eval "%{$m}")"; done`),
      )
      const actual = Object.fromEntries(result.tail.split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]))
      expect(actual).to.deep.equal(expected)
    })
  }

  it('builds a spec written for the Bottlerocket SDK unchanged, into the sys-root', async () => {
    const {run, output, rpms} = await rpmbuild('pkg-a', PKG_A_SPEC, {'pkg-a.txt': 'pkg-a\n'})
    expect(run.exitCode, run.tail).to.equal(0)
    expect(rpms).to.deep.equal(['bottlerocket-pkg-a-0.0-0.1700000000.0123abcd.br1.x86_64.rpm'])
    const query = await engine.runChecked(
      inSdk(`rpm -qlp /out/${rpms[0]}; rpm -qp --qf '%{ARCH} %{PAYLOADCOMPRESSOR} %{PAYLOADFLAGS}\\n[%{REQUIRENAME}\\n]' /out/${rpms[0]}`, {
        mounts: [{host: output, container: '/out', readOnly: true}],
      }),
    )
    const [file, payload, ...requires] = query.tail.split('\n')
    expect(file).to.equal(`${ROOT}/usr/share/pkg-a.txt`)
    expect(payload).to.equal('x86_64 zstd 1')
    // Nothing derived from the files: only rpmlib() features.
    expect(requires.filter((name) => !name.startsWith('rpmlib('))).to.deep.equal([])
  })

  it('writes the attribution file of a third-party package', async () => {
    const {run, output, rpms} = await rpmbuild('third-party', THIRD_PARTY_SPEC)
    expect(run.exitCode, run.tail).to.equal(0)
    const extract = await engine.runChecked(
      inSdk(`cd "$(mktemp -d)" && rpm2cpio /out/${rpms[0]} | cpio -idm --quiet && cat .${ROOT}/usr/share/licenses/third-party/attribution.txt`, {
        mounts: [{host: output, container: '/out', readOnly: true}],
      }),
    )
    expect(extract.tail.split('\n')).to.deep.equal(['bottlerocket-third-party - https://example.com/third-party', 'SPDX-License-Identifier: MIT'])
  })

  it('stops a spec that needs the cross toolchain with an explanation', async () => {
    const {run, rpms} = await rpmbuild('compiled', CROSS_COMPILED_SPEC)
    expect(run.exitCode).not.to.equal(0)
    expect(run.tail).to.include("twoliter's local SDK has no cross toolchain (x86_64-bottlerocket-linux-gnu-gcc")
    expect(rpms).to.deep.equal([])
  })

  it('has working rpmsign, gpg, createrepo_c, dnf builddep and image tools', async () => {
    const {run, output, rpms} = await rpmbuild('pkg-a', PKG_A_SPEC, {'pkg-a.txt': 'pkg-a\n'})
    expect(run.exitCode, run.tail).to.equal(0)
    const script = `set -euo pipefail
cd "$(mktemp -d)"
ok() { echo "ok $1"; }
export GNUPGHOME=$PWD/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg --batch --quiet --passphrase '' --quick-gen-key 'Twoliter Test <test@example.com>' rsa2048 sign never 2>/dev/null
gpg --list-secret-keys test@example.com >/dev/null && ok gpg
cp /rpms/${rpms[0]} pkg.rpm
rpmsign --define '_gpg_name test@example.com' --addsign pkg.rpm >/dev/null 2>&1
gpg --armor --export test@example.com > key.asc
rpmkeys --import key.asc
rpmkeys --checksig pkg.rpm | grep -q 'digests signatures OK' && ok rpmsign
mkdir repo && cp pkg.rpm repo/ && createrepo_c --quiet repo && test -f repo/repodata/repomd.xml && ok createrepo_c
printf 'Name: needs-pkg-a\\nVersion: 1\\nRelease: 1\\nSummary: x\\nLicense: MIT\\nBuildRequires: bottlerocket-pkg-a\\n%%description\\nx\\n%%files\\n' > needs.spec
dnf -y --quiet --disablerepo '*' --repofrompath "local,$PWD/repo" --enablerepo local --nogpgcheck builddep needs.spec >/dev/null 2>&1
rpm -q bottlerocket-pkg-a >/dev/null && ok 'dnf builddep'
truncate -s 64M disk.img
sgdisk --clear --new 1:2048:+8M --typecode 1:8300 disk.img >/dev/null && sgdisk --print disk.img | grep -q '^ *1 ' && ok sgdisk
truncate -s 16M ext4.img && mkfs.ext4 -q -F ext4.img && ok mkfs.ext4
mkdir tree && echo hi > tree/file && mkfs.erofs -zlz4hc erofs.img tree >/dev/null 2>&1 && ok mkfs.erofs
truncate -s 4M data.img && veritysetup format data.img hash.img > verity.txt
veritysetup verify data.img hash.img "$(awk '/Root hash/ {print $3}' verity.txt)" && ok veritysetup
lz4 -q -f disk.img disk.img.lz4 && lz4 -q -d -f disk.img.lz4 back.img && cmp -s disk.img back.img && ok lz4
qemu-img convert -f raw -O qcow2 disk.img disk.qcow2 && qemu-img info disk.qcow2 | grep -q 'file format: qcow2' && ok qemu-img
mkfs.vfat -C efi.img 4096 >/dev/null && mcopy -i efi.img tree/file ::/file && mdir -i efi.img ::/ | grep -qi file && ok mcopy
mksquashfs tree squash.img -quiet -noappend >/dev/null && ok mksquashfs
`
    const result = await engine.runChecked(inSdk(script, {user: '0:0', mounts: [{host: output, container: '/rpms', readOnly: true}]}))
    const oks = result.tail.split('\n').filter((line) => line.startsWith('ok '))
    expect(oks).to.deep.equal(
      ['gpg', 'rpmsign', 'createrepo_c', 'dnf builddep', 'sgdisk', 'mkfs.ext4', 'mkfs.erofs', 'veritysetup', 'lz4', 'qemu-img', 'mcopy', 'mksquashfs'].map((tool) => `ok ${tool}`),
    )
  })

  it('stops debootstrap when aborted, leaving neither a temporary root file system nor an image', async function () {
    if (process.getuid?.() !== 0) this.skip()
    const before = new Set(await readdir(os.tmpdir()))
    const tag = `twoliter-test-rootfs:${runId}`
    const controller = new AbortController()
    const mirror = await hostDebianMirror()
    const options = {suite: 'bookworm', packages: ['bash'], mirror, onOutput: () => controller.abort(), signal: controller.signal}
    await expectTwoliterError(importDebootstrapRootfs(engine, tag, {}, options), 'engine.aborted')
    const leftovers = (await readdir(os.tmpdir())).filter((name) => name.startsWith('twoliter-sdk-rootfs-') && !before.has(name))
    expect(leftovers).to.deep.equal([])
    expect(await engine.imageId(tag)).to.equal(undefined)
  })

  describe('twoliter sdk build-local', () => {
    it('tags the SDK as the project names it, with --json', async () => {
      const dir = await directories.create()
      const registry = `localhost/twoliter-e2e-${runId}`
      const created = twoliter(['new', 'project', '--name', 'demo', '--vendor', 'local', '--registry', registry, '--sdk-name', 'twoliter-sdk', '--sdk-version', '0.1.0'], dir)
      expect(created.status, created.stderr).to.equal(0)
      const image = `${registry}/twoliter-sdk:v0.1.0`
      try {
        const run = twoliter(['sdk', 'build-local', '--json'], path.join(dir, 'demo'))
        expect(run.status, run.stderr).to.equal(0)
        const result = JSON.parse(run.stdout) as {image: string; id: string; recipeHash: string; cached: boolean}
        expect(result).to.deep.include({image, recipeHash: await localSdkRecipeHash(), cached: true})
        expect(await engine.imageId(image)).to.equal(result.id)
      } finally {
        await engine.removeImage(image)
      }
    })

    it('tags it twoliter-local-sdk:latest outside a project and says it is up to date', async () => {
      const run = twoliter(['sdk', 'build-local'], await directories.create())
      expect(run.status, run.stderr).to.equal(0)
      expect(run.stdout).to.match(/^The local SDK twoliter-local-sdk:latest \([0-9a-f]{12}, recipe [0-9a-f]{12}\) is up to date\.\n$/)
      expect(await engine.imageId('twoliter-local-sdk:latest')).to.equal(await engine.imageId(sdk))
    })

    it('explains what to do when the engine cannot be used', async () => {
      const run = twoliter(['sdk', 'build-local', '--json'], await directories.create(), {DOCKER_HOST: `unix://${path.join(REPO, 'no-such.sock')}`})
      expect(run.status).to.equal(1)
      const {error} = JSON.parse(run.stdout) as {error: {code: string; hint: string}}
      expect(error.code).to.equal('engine.unreachable')
      expect(error.hint).to.include('scripts/setup')
      expectNoStackTrace(run)
    })
  })

  describe('as a user other than root', () => {
    const nobodyCanRunNode = (): boolean =>
      process.getuid?.() === 0 && spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '-e', '0']).status === 0

    it('refuses to debootstrap and says to run it as root once', function () {
      if (!nobodyCanRunNode()) this.skip()
      const script = `import(${JSON.stringify(path.join(REPO, 'src/lib/sdk/rootfs.ts'))}).then((m) => m.requireDebootstrap()).then(() => console.log('allowed'), (e) => console.log(JSON.stringify({code: e.code, message: e.message, hint: e.hint})))`
      const run = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '--import', import.meta.resolve('tsx'), '-e', script], {cwd: '/', encoding: 'utf8'})
      const outcome = JSON.parse(run.stdout) as {code: string; message: string; hint: string}
      expect(outcome.code, run.stderr).to.equal('sdk.needs-root')
      expect(outcome.message).to.include('needs root')
      expect(outcome.hint).to.include('sudo twoliter sdk build-local')
    })

    it('is told how to get access to the engine socket', function () {
      if (!nobodyCanRunNode()) this.skip()
      const run = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, '--import', import.meta.resolve('tsx'), path.join(REPO, 'bin', 'dev.js'), 'sdk', 'build-local', '--json'], {
        cwd: '/',
        encoding: 'utf8',
        env: {...process.env, DOCKER_HOST: ''},
      })
      expect(run.status).to.equal(1)
      const {error} = JSON.parse(run.stdout) as {error: {code: string; hint: string}}
      expect(error.code).to.equal('engine.unreachable')
      expect(error.hint).to.include('docker group')
    })
  })
})
