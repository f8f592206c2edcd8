#!/usr/bin/env node
// Package builds of a synthetic project of N small packages (default 50) on the real engine: cold build,
// no-op rebuild, one-leaf-change rebuild, and the orchestration overhead of a cold build as a ratio to the
// raw container time of the same builds (the same rpmbuild runs, one after another, through the engine
// with nothing else). Run after scripts/setup: `node bench/build-packages.mjs [count]`.
import {spawnSync} from 'node:child_process'
import {cp, mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const {Engine} = await import(path.join(repo, 'dist/lib/engine/index.js'))
const {buildLocalSdk} = await import(path.join(repo, 'dist/lib/sdk/index.js'))
const {Logger} = await import(path.join(repo, 'dist/lib/ui/logger.js'))

const count = Number(process.argv[2] ?? 50)
const logger = new Logger('warn')
const engine = await Engine.connect(logger)
const sdk = (await buildLocalSdk(engine, {logger})).image
const sdkRef = 'localhost/twoliter-bench/sdk:v0.1.0'
await engine.tagImage(sdk, sdkRef)

const work = await mkdtemp(path.join(tmpdir(), 'twoliter-bench-'))
const project = path.join(work, 'project')
const names = Array.from({length: count}, (_, i) => `pkg-${String(i).padStart(3, '0')}`)
// A layered graph: every package after the first ten BuildRequires the one ten places before it, and the
// last one BuildRequires the ten before it, so that building it builds all of them.
const dependenciesOf = (i) => (i === count - 1 ? names.slice(Math.max(0, i - 10), i) : i >= 10 ? [names[i - 10]] : [])

async function writeProject() {
  await mkdir(path.join(project, 'packages'), {recursive: true})
  await writeFile(path.join(project, 'Twoliter.toml'), 'schema-version = 1\nrelease-version = "1.0.0"\nlookaside-caches = []\n\n[vendor.local]\nregistry = "localhost/twoliter-bench"\n\n[sdk]\nname = "sdk"\nversion = "0.1.0"\nvendor = "local"\n')
  await writeFile(path.join(project, 'Cargo.toml'), `[workspace]\nresolver = "2"\nmembers = [\n${names.map((n) => `  "packages/${n}",\n`).join('')}]\n`)
  for (const [i, name] of names.entries()) {
    const dir = path.join(project, 'packages', name)
    await mkdir(dir)
    const dependencies = dependenciesOf(i)
    await writeFile(path.join(dir, 'Cargo.toml'), `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\npublish = false\nbuild = "../build.rs"\n\n[lib]\npath = "../packages.rs"\n\n[package.metadata.build-package]\n\n[build-dependencies]\n${dependencies.map((d) => `${d} = { path = "../${d}" }\n`).join('')}`)
    await writeFile(path.join(dir, `${name}.txt`), `${name}\n`)
    await writeFile(
      path.join(dir, `${name}.spec`),
      `%global _cross_first_party 1\n%undefine _debugsource_packages\nName: %{_cross_os}${name}\nVersion: 1.0\nRelease: 1%{?dist}\nSummary: ${name}\nLicense: MIT\nSource0: ${name}.txt\n${dependencies.map((d) => `BuildRequires: %{_cross_os}${d}\n`).join('')}\n%description\n%{summary}.\n\n%prep\n%setup -T -c\n\n%build\n\n%install\nmkdir -p %{buildroot}%{_cross_datadir}/${name}\ninstall -p -m 0644 %{S:0} %{buildroot}%{_cross_datadir}/${name}/\n\n%files\n%{_cross_datadir}/${name}/${name}.txt\n`,
    )
  }
}

const top = names.at(-1)
// A leaf of the change: the first package, which nine layers of packages are built against.
const changed = names[0]

function twoliter(...args) {
  const start = process.hrtime.bigint()
  const result = spawnSync(process.execPath, [path.join(repo, 'bin/run.js'), ...args, '--json', '--log-level', 'warn'], {cwd: project, encoding: 'utf8', env: {...process.env, TWOLITER_CACHE_DIR: path.join(work, 'cache')}})
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (result.status !== 0) throw new Error(`twoliter ${args.join(' ')} failed: ${result.stderr}`)
  return {ms, result: JSON.parse(result.stdout)}
}

function buildAll(...flags) {
  const run = twoliter('build', 'package', top, ...flags)
  return {ms: run.ms, containerRuns: run.result.containerRuns}
}

try {
  await writeProject()
  const cold = buildAll()
  const noop = buildAll()
  await writeFile(path.join(project, 'packages', top, `${top}.txt`), 'changed\n')
  const leaf = buildAll()
  await writeFile(path.join(project, 'packages', changed, `${changed}.txt`), 'changed\n')
  const deep = buildAll()
  const sequential = buildAll('--force', '--jobs', '1')

  // Raw container time: the same rpmbuild runs, one after another, straight through the engine.
  const rawStart = process.hrtime.bigint()
  const toolsDir = path.join(repo, 'assets/sdk-tools')
  const raw = path.join(work, 'raw')
  for (const [i, name] of names.entries()) {
    const output = path.join(raw, name)
    await mkdir(output, {recursive: true})
    const dependencies = dependenciesOf(i)
    const result = await engine.run({
      image: sdkRef,
      cmd: ['/bin/bash', '/twoliter/tools/rpmbuild.sh'],
      user: '0:0',
      env: {PACKAGE: name, ARCH: 'x86_64', DIST: '.0.0.br1', HOST_UID: '0', HOST_GID: '0'},
      mounts: [
        {host: path.join(project, 'packages', name), container: '/twoliter/input', readOnly: true},
        {host: toolsDir, container: '/twoliter/tools', readOnly: true},
        {host: output, container: '/twoliter/output'},
        ...dependencies.map((d) => ({host: path.join(raw, d), container: `/twoliter/deps/${d}`, readOnly: true})),
      ],
      network: 'none',
    })
    if (result.exitCode !== 0) throw new Error(`raw build of ${name} failed: ${result.tail}`)
  }

  const rawMs = Number(process.hrtime.bigint() - rawStart) / 1e6
  const s = (ms) => `${(ms / 1000).toFixed(2)} s`
  console.log(`package builds, synthetic project of ${count} packages in ten layers, one command building all of them`)
  console.log(`cold build (parallel)            ${s(cold.ms).padStart(9)}   ${cold.containerRuns} container runs`)
  console.log(`no-op rebuild                    ${s(noop.ms).padStart(9)}   ${noop.containerRuns} container runs   (target: under 1 s, 0 runs)`)
  console.log(`one-leaf-change rebuild          ${s(leaf.ms).padStart(9)}   ${leaf.containerRuns} container runs (the top package)`)
  console.log(`change under five dependents     ${s(deep.ms).padStart(9)}   ${deep.containerRuns} container runs (${changed} and what is built against it)`)
  console.log(`cold build, --jobs 1             ${s(sequential.ms).padStart(9)}`)
  console.log(`raw container time, sequential   ${s(rawMs).padStart(9)}`)
  console.log(`orchestration overhead           ${(sequential.ms / rawMs).toFixed(2)}x raw container time (--jobs 1 vs the same runs straight through the engine)`)
} finally {
  await rm(work, {recursive: true, force: true})
}
