/**
 * Two projects and a real registry: A builds and publishes kit `a`; B declares `a` as an external kit,
 * locks it (SDK inferred from `a`), fetches it, and builds kit `b` whose package BuildRequires a package
 * of `a`. Then B builds with the registry stopped, and refuses a lock that no longer matches.
 */

import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {mkdir, mkdtemp, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {readKitArchive} from '../../src/lib/kits/kit-image.js'
import {RegistryClient} from '../../src/lib/oci/index.js'
import {readLock} from '../../src/lib/project/lock.js'
import {type Run, expectNoStackTrace, twoliter} from '../helpers/cli.js'
import {type TestRegistry, startTestRegistry} from '../helpers/registry.js'
import {ensureLocalSdk} from '../helpers/sdk.js'

const PACKAGE_BUILD_RS = 'fn main() {}\n'

function spec(name: string, requires?: string): string {
  return `%global _cross_first_party 1
%undefine _debugsource_packages

Name: %{_cross_os}${name}
Version: 1.0
Release: 1%{?dist}
Summary: ${name}, a package of the kit e2e tests
License: MIT
Source0: ${name}.txt
${requires === undefined ? '' : `BuildRequires: %{_cross_os}${requires}\nRequires: %{_cross_os}${requires}`}

%description
%{summary}.

%prep
%setup -T -c

%build
${requires === undefined ? '' : `# Proves that the BuildRequires came from the kit's repository.\ntest -f %{_cross_datadir}/${requires}/${requires}.txt`}

%install
mkdir -p %{buildroot}%{_cross_datadir}/${name}
install -p -m 0644 %{S:0} %{buildroot}%{_cross_datadir}/${name}/${name}.txt

%files
%{_cross_datadir}/${name}/${name}.txt
`
}

function cargoToml(name: string, table: string, dependencies: Record<string, string>): string {
  const deps = Object.entries(dependencies).map(([dep, dir]) => `${dep} = { path = "${dir}" }`)
  return `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\npublish = false\nbuild = "../build.rs"\n\n[lib]\npath = "../lib.rs"\n\n${table}\n\n[build-dependencies]\n${deps.join('\n')}\n`
}

/** A project with one package and one kit of vendor `e2e` holding it. */
function projectFiles(header: string, pkg: string, kit: string, requires?: string): Record<string, string> {
  return {
    'Twoliter.toml': header,
    'Cargo.toml': `[workspace]\nresolver = "2"\nmembers = ["packages/${pkg}", "kits/${kit}"]\n`,
    'packages/build.rs': PACKAGE_BUILD_RS,
    'packages/lib.rs': '// empty\n',
    [`packages/${pkg}/Cargo.toml`]: cargoToml(pkg, '[package.metadata.build-package]', {}),
    [`packages/${pkg}/${pkg}.spec`]: spec(pkg, requires),
    [`packages/${pkg}/${pkg}.txt`]: `${pkg} content\n`,
    'kits/build.rs': PACKAGE_BUILD_RS,
    'kits/lib.rs': '// empty\n',
    [`kits/${kit}/Cargo.toml`]: cargoToml(kit, '[package.metadata.build-kit]\nvendor = "e2e"', {[pkg]: `../../packages/${pkg}`}),
  }
}

async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, name)), {recursive: true})
    await writeFile(path.join(root, name), content)
  }
}

/** The lock digest of a tag, computed without twoliter: the registry's bytes, canonical JSON in Python, SHA-256, base64. */
function pythonLockDigest(registryHost: string, repository: string, tag: string): string {
  const script = `
import base64, hashlib, json, sys, urllib.request
request = urllib.request.Request(sys.argv[1], headers={'Accept': 'application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json'})
document = json.loads(urllib.request.urlopen(request).read())
canonical = json.dumps(document, sort_keys=True, separators=(',', ':'), ensure_ascii=False).encode('utf-8')
print(base64.b64encode(hashlib.sha256(canonical).digest()).decode())
`
  return execFileSync('python3', ['-c', script, `http://${registryHost}/v2/${repository}/manifests/${tag}`]).toString().trim()
}

function succeeded(run: Run): unknown {
  expect(run.status, `${run.stderr}\n${run.stdout}`).to.equal(0)
  return JSON.parse(run.stdout) as unknown
}

describe('kits across two projects (real engine and registry)', function () {
  this.timeout(600_000)
  let registry: TestRegistry
  let work: string
  let projectA: string
  let projectB: string
  let env: NodeJS.ProcessEnv
  const inA = (...args: string[]) => twoliter(args, projectA, env)
  const inB = (...args: string[]) => twoliter(args, projectB, env)

  before(async () => {
    registry = await startTestRegistry()
    work = await mkdtemp(path.join(tmpdir(), 'twoliter-e2e-kits-'))
    env = {TWOLITER_CACHE_DIR: path.join(work, 'cache')}
    const vendors = `[vendor.e2e]\nregistry = "${registry.host}/e2e"\n\n[vendor.sdk-vendor]\nregistry = "${registry.host}/twoliter-e2e"\n`
    projectA = path.join(work, 'a')
    projectB = path.join(work, 'b')
    await writeFiles(projectA, projectFiles(`schema-version = 1\nrelease-version = "1.0.0"\nlookaside-caches = []\n\n${vendors}\n[sdk]\nname = "sdk"\nversion = "0.1.0"\nvendor = "sdk-vendor"\n`, 'pkg-a1', 'a'))
    // No [sdk]: B builds with the SDK kit `a` was built with.
    await writeFiles(projectB, projectFiles(`schema-version = 1\nrelease-version = "2.0.0"\nlookaside-caches = []\n\n${vendors}\n[[kit]]\nname = "a"\nversion = "1.0.0"\nvendor = "e2e"\n`, 'pkg-b1', 'b', 'pkg-a1'))
    // And a variant of B made of its kit b and, through pkg-b1's Requires, the external kit a.
    await writeFiles(projectB, {
      'Cargo.toml': '[workspace]\nresolver = "2"\nmembers = ["packages/pkg-b1", "kits/b", "variants/metal-b"]\n',
      'variants/build.rs': PACKAGE_BUILD_RS,
      'variants/lib.rs': '// empty\n',
      'variants/metal-b/Cargo.toml': cargoToml(
        'metal-b',
        '[package.metadata.build-variant]\nincluded-packages = ["pkg-b1"]\n\n[package.metadata.build-variant.image-layout]\nos-image-size-gib = 1\ndata-image-size-gib = 1',
        {b: '../../kits/b'},
      ),
    })

    await ensureLocalSdk()
    const pushed = twoliter(['sdk', 'build-local', '--tag', `${registry.host}/twoliter-e2e/sdk:v0.1.0`, '--push', '--json'], work, env)
    succeeded(pushed)
  })

  after(async () => {
    await registry?.stop()
    if (work !== undefined) await rm(work, {recursive: true, force: true})
  })

  it('A builds kit a with the SDK the engine has (no lock needed) and publishes it', async () => {
    const built = inA('build', 'kit', 'a', '--json')
    const result = succeeded(built) as {kits: Array<{name: string; archive: string}>}
    expect(result.kits.map((kit) => kit.name)).to.deep.equal(['a'])
    expect(path.basename(result.kits[0].archive)).to.equal('a-v1.0.0-00000000-x86_64.tar')
    expect(await readLock(projectA)).to.equal(undefined)

    // Infra.toml names a cosign key that is not there yet: refused before anything is pushed.
    await writeFile(path.join(projectA, 'Infra.toml'), `[vendor.e2e]\nregistry = "${registry.host}/e2e"\ncosign-key = "keys/kits.key"\n`)
    const noKey = inA('publish', 'kit', 'a', 'e2e')
    expect(noKey.status).to.equal(1)
    expectNoStackTrace(noKey)
    expect(noKey.stderr).to.include(`Infra.toml:3`).and.to.include(`cosign-key names ${path.join(projectA, 'keys/kits.key')}, which cannot be read.`)
    expect(await new RegistryClient().listTags(`${registry.host}/e2e/a`).catch(() => [])).to.deep.equal([])

    await mkdir(path.join(projectA, 'keys'))
    succeeded(twoliter(['sign', 'keygen', '--type', 'cosign', '--output-dir', 'keys', '--name', 'kits', '--json'], projectA, {...env, COSIGN_PASSWORD: 'kit password'}))
    const published = succeeded(twoliter(['publish', 'kit', 'a', 'e2e', '--json'], projectA, {...env, COSIGN_PASSWORD: 'kit password'})) as {
      reference: string
      digest: string
      lockDigest: string
      images: Array<{arch: string; reference: string; digest: string}>
      signatures: string[]
    }
    expect(published.reference).to.equal(`${registry.host}/e2e/a:v1.0.0`)
    expect(published.images.map((image) => image.reference)).to.deep.equal([`${registry.host}/e2e/a:v1.0.0-00000000-x86_64`])
    expect(published.lockDigest).to.equal(pythonLockDigest(registry.host, 'e2e/a', 'v1.0.0'))
    const sigTag = (digest: string) => `${registry.host}/e2e/a:${digest.replace(':', '-')}.sig`
    expect(published.signatures).to.deep.equal([published.digest, ...published.images.map((image) => image.digest)].map(sigTag))
    // What consumers check: the index by its tag, and an image by its digest.
    for (const reference of [published.reference, `${registry.host}/e2e/a@${published.images[0]!.digest}`]) {
      expect(succeeded(twoliter(['verify', reference, '--key', path.join(projectA, 'keys/kits.pub'), '--json'], projectA, env))).to.deep.include({verified: true, signatures: 1})
    }
  })

  it('B, without a lock, resolves one first when fetching: kit a and the SDK a was built with, by digests derived independently', async () => {
    const fetched = inB('fetch', '--json')
    const result = succeeded(fetched) as {kits: Array<{name: string; action: string}>}
    expect(fetched.stderr).to.include('running `twoliter update` first')
    // B lists no key for vendors e2e and sdk-vendor yet: the kit and the SDK are used, with one warning per vendor.
    expect(fetched.stderr.match(/without checking their signatures/g)).to.have.length(2)
    expect(fetched.stderr).to.include("SDKs of vendor 'sdk-vendor'")
    expect(result.kits.map((kit) => [kit.name, kit.action])).to.deep.equal([['a', 'extracted']])
    const repo = path.join(projectB, 'build/external-kits/e2e/a/x86_64')
    expect(await readdir(path.join(repo, 'Packages/pkg-a1'))).to.deep.equal(['bottlerocket-pkg-a1-1.0-1.0000000000.00000000.br1.x86_64.rpm'])
    expect(await readdir(path.join(repo, 'repodata'))).to.include('repomd.xml')
    const metadata = JSON.parse(await readFile(path.join(projectB, 'build/external-kits/external-kit-metadata.json'), 'utf8')) as {kit: Array<{name: string}>}
    expect(metadata.kit.map((kit) => kit.name)).to.deep.equal(['a'])

    const lock = await readLock(projectB)
    expect(lock?.kit).to.deep.equal([
      {name: 'a', version: '1.0.0', vendor: 'e2e', source: `${registry.host}/e2e/a:v1.0.0`, digest: pythonLockDigest(registry.host, 'e2e/a', 'v1.0.0')},
    ])
    expect(lock?.sdk).to.deep.equal({
      name: 'sdk',
      version: '0.1.0',
      vendor: 'sdk-vendor',
      source: `${registry.host}/twoliter-e2e/sdk:v0.1.0`,
      digest: pythonLockDigest(registry.host, 'twoliter-e2e/sdk', 'v0.1.0'),
    })
    expect(await readFile(path.join(projectB, 'Twoliter.lock'), 'utf8')).to.match(/^# This file is generated by `twoliter update`/)
  })

  it('B\'s update then finds nothing to change', async () => {
    const result = succeeded(inB('update', '--json')) as {written: boolean; changes: unknown[]}
    expect(result).to.deep.include({written: false, changes: []})
    const dryRun = inB('update', '--dry-run')
    expect(dryRun.status, dryRun.stderr).to.equal(0)
    expect(dryRun.stdout).to.include('would not change')
  })

  it('B builds kit b, whose package BuildRequires a package of kit a', async () => {
    const run = inB('build', 'kit', 'b', '--json')
    expect(run.stderr).to.include("kits of vendor 'e2e' (such as a-1.0.0@e2e) are used without checking their signatures")
    expect(run.stderr).to.include("SDKs of vendor 'sdk-vendor' (such as sdk-0.1.0@sdk-vendor) are used without checking their signatures")
    const result = succeeded(run) as {kits: Array<{archive: string}>; nodes: Array<{kind: string; name: string; action: string}>}
    expect(result.nodes.map((node) => [node.kind, node.name, node.action])).to.deep.include(['package', 'pkg-b1', 'built'])
    const archive = await readKitArchive(result.kits[0].archive)
    const lock = await readLock(projectB)
    expect(archive.metadata.name).to.equal('b')
    expect(archive.metadata.version).to.equal('2.0.0')
    expect(archive.metadata.kit).to.deep.equal([{name: 'a', version: '1.0.0', vendor: 'e2e'}])
    expect(archive.metadata.sdk).to.deep.include({name: 'sdk', version: '0.1.0', vendor: 'sdk-vendor', digest: lock?.sdk.digest})
  })

  it('B refuses to build once require-signatures = true, and builds again, verified, with A\'s public key in signing-keys', async () => {
    const file = path.join(projectB, 'Twoliter.toml')
    const original = await readFile(file, 'utf8')
    await writeFile(file, original.replace('release-version = "2.0.0"\n', 'release-version = "2.0.0"\nrequire-signatures = true\n'))
    const refused = inB('build', 'kit', 'b')
    expect(refused.status).to.equal(1)
    expectNoStackTrace(refused)
    // The SDK is settled before the kits are fetched.
    expect(refused.stderr).to.include('the SDK sdk-0.1.0@sdk-vendor cannot be verified: require-signatures = true')

    await mkdir(path.join(projectB, 'keys'), {recursive: true})
    await writeFile(path.join(projectB, 'keys/a.pub'), await readFile(path.join(projectA, 'keys/kits.pub')))
    const trustingKits = (await readFile(file, 'utf8')).replace(`registry = "${registry.host}/e2e"\n`, `registry = "${registry.host}/e2e"\nsigning-keys = ["keys/a.pub"]\n`)
    await writeFile(file, trustingKits)
    const sdkUnsigned = inB('build', 'kit', 'b')
    expect(sdkUnsigned.status).to.equal(1)
    expect(sdkUnsigned.stderr).to.include('the SDK sdk-0.1.0@sdk-vendor cannot be verified: require-signatures = true')

    // The SDK's vendor signs it (here with A's key) and B trusts that key for the SDK's vendor too.
    const sdk = `${registry.host}/twoliter-e2e/sdk:v0.1.0`
    succeeded(twoliter(['sign', 'image', sdk, '--key', path.join(projectA, 'keys/kits.key'), '--json'], work, {...env, COSIGN_PASSWORD: 'kit password'}))
    const trustingAll = (await readFile(file, 'utf8')).replace(`registry = "${registry.host}/twoliter-e2e"\n`, `registry = "${registry.host}/twoliter-e2e"\nsigning-keys = ["keys/a.pub"]\n`)
    await writeFile(file, trustingAll)
    const built = inB('build', 'kit', 'b', '--json')
    succeeded(built)
    expect(built.stderr).not.to.include('without checking their signatures')
    const cache = path.join(projectB, 'build/external-kits/cache')
    expect((await readdir(cache)).filter((name) => name.endsWith('.verified'))).to.have.length(1)
    const lock = await readLock(projectB)
    const verifiedSdks = JSON.parse(await readFile(path.join(work, 'cache', 'verified-sdk-images.json'), 'utf8')) as Record<string, {keyIds?: string[]}>
    expect(verifiedSdks[lock!.sdk.digest]?.keyIds).to.have.length(1)
  })

  it('B builds variant metal-b from its kit b and the external kit a, which the audit names', async () => {
    const result = succeeded(inB('build', 'variant', 'metal-b', '--json')) as {variant: {dir: string; action: string}}
    expect(result.variant.action).to.equal('built')
    const audit = JSON.parse(await readFile(path.join(result.variant.dir, 'package-audit.json'), 'utf8')) as {
      repos: Array<{source: string}>
      packages: Array<{name: string; source: string; requestedBy: string[]}>
    }
    expect(audit.repos.map((repo) => repo.source)).to.deep.equal(['local', 'b', 'a'])
    const sources = Object.fromEntries(audit.packages.map((pkg) => [pkg.name, pkg.source]))
    expect(sources).to.deep.equal({'bottlerocket-metadata': 'metadata', 'bottlerocket-pkg-b1': 'b', 'bottlerocket-pkg-a1': 'a'})
    expect(audit.packages.find((pkg) => pkg.name === 'bottlerocket-pkg-a1')!.requestedBy).to.deep.equal(['bottlerocket-pkg-b1'])
  })

  it('B builds with the registry stopped, trusting its lock, its cache and the verification it recorded', async () => {
    await registry.stop()
    const result = succeeded(inB('build', 'package', 'pkg-b1', '--force', '--json')) as {packages: Array<{name: string; action: string}>}
    expect(result.packages.map((p) => [p.name, p.action])).to.deep.equal([['pkg-b1', 'built']])
    const fetched = succeeded(inB('fetch', '--json')) as {kits: Array<{action: string}>}
    expect(fetched.kits.map((kit) => kit.action)).to.deep.equal(['up-to-date'])
    // pkg-b1 was rebuilt with the same inputs; its RPM carries a new build time, so the image follows.
    const variant = succeeded(inB('build', 'variant', 'metal-b', '--json')) as {variant: {action: string}}
    expect(variant.variant.action).to.equal('built')
  })

  it('B stops when Twoliter.toml no longer matches the lock, and asks for update', async () => {
    const file = path.join(projectB, 'Twoliter.toml')
    await writeFile(file, (await readFile(file, 'utf8')).replace('version = "1.0.0"', 'version = "1.0.1"'))
    const run = inB('build', 'package', 'pkg-b1')
    expect(run.status).to.equal(1)
    expectNoStackTrace(run)
    expect(run.stderr).to.include('no longer matches')
    expect(run.stderr).to.include('a-1.0.1@e2e')
    expect(run.stderr).to.include('twoliter update')
  })
})
