#!/usr/bin/env node
// A variant build on the real engine, split into its phases: dependencies (kits and packages, here only
// checked: they are built by a first warm-up build), composite (the project's RPMs gathered, repositories
// ordered), install (dnf in the SDK) and image (rpm2img in the SDK, then the audit, licenses and manifest).
// The fixture test/fixtures/build/variant-project is built for metal-dev once, then its variant node is
// rebuilt N times (default 3; its state file deleted before each, so nothing else is rebuilt); medians.
// The image phase is set against the raw time of the same tools on the same root (tar, sgdisk, mkfs.ext4,
// veritysetup, dd, lz4 with the same sizes and options) in one container of the same SDK image, timed
// inside the container and as the whole container run, one after another (rpm2img runs the two sgdisk
// calls and the compressions in parallel, so it can beat the ratio 1). Run after scripts/setup and `npm run build`
// (it uses dist/): `node bench/variant-build.mjs [runs]`.
import {execFileSync} from 'node:child_process'
import {cp, mkdir, mkdtemp, readFile, rm} from 'node:fs/promises'
import {availableParallelism, cpus, tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const load = (file) =>
  import(path.join(repo, 'dist', file)).catch((error) => {
    console.error(`variant-build: cannot load dist/${file} (${error.code ?? error.message}); run \`npm run build\` first.`)
    process.exit(1)
  })
const {Engine} = await load('lib/engine/index.js')
const {buildLocalSdk} = await load('lib/sdk/index.js')
const {Logger} = await load('lib/ui/logger.js')
const {hostArch} = await load('lib/build/arch.js')
const {openBuildSession} = await load('lib/build/session.js')
const {buildVariant} = await load('lib/build/variant-builds.js')
const {imagePartitions} = await load('lib/variant/disk-image.js')
const {sgdiskArguments} = await load('lib/variant/partition-plan.js')

const runs = Number(process.argv[2] ?? 3)
const VARIANT = 'metal-dev'
const SDK_REF = 'localhost/twoliter-e2e/sdk:v0.1.0'
const FIXTURE = path.join(repo, 'test/fixtures/build/variant-project')
const arch = hostArch()
const jobs = availableParallelism()
const logger = new Logger('warn')
const silentReporter = {started() {}, line() {}, finished() {}}

let engine
let sdk
try {
  engine = await Engine.connect(logger)
  sdk = (await buildLocalSdk(engine, {logger})).image
  await engine.tagImage(sdk, SDK_REF)
} catch (error) {
  console.error(`variant-build: no engine or no local SDK image (${error instanceof Error ? error.message.split('\n')[0] : error}); run scripts/setup first.`)
  process.exit(1)
}

// The build's own engine is opened by the session: its rpm2img run is timed by wrapping Engine.run.
const rpm2imgRuns = []
const engineRun = Engine.prototype.run
Engine.prototype.run = async function (spec, options) {
  const started = performance.now()
  try {
    return await engineRun.call(this, spec, options)
  } finally {
    if (spec.cmd.at(-1) === '/twoliter/tools/rpm2img.sh') rpm2imgRuns.push(performance.now() - started)
  }
}

const work = await mkdtemp(path.join(tmpdir(), 'twoliter-bench-variant-'))
const project = path.join(work, 'project')
const cacheDir = path.join(work, 'cache')
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
const s = (ms) => `${(ms / 1000).toFixed(2)} s`

/** One `build variant metal-dev` in-process, as the command does it: {wallMs, sessionMs, variant, containerRuns, layout}. */
async function build(force) {
  const opened = performance.now()
  const session = await openBuildSession({
    projectPath: path.join(project, 'Twoliter.toml'),
    arch,
    cacheDir,
    command: `bench build variant ${VARIANT}`,
    logger,
    reporter: silentReporter,
    sources: {},
  })
  try {
    const started = performance.now()
    const result = await buildVariant(session.context, VARIANT, {jobs, keepGoing: false, force, signal: session.signal, toolVersion: 'bench'})
    const wallMs = performance.now() - started
    if (result.failures.size > 0 || result.variant === undefined) {
      const [name, error] = [...result.failures][0] ?? [VARIANT, 'no variant built']
      throw new Error(`the build of ${name} failed: ${error instanceof Error ? error.message : error}`)
    }
    if (result.variant.phasesMs === undefined) throw new Error(`variant ${VARIANT} was ${result.variant.action}, not built`)
    return {wallMs, sessionMs: started - opened, variant: result.variant, containerRuns: session.context.engine.stats.containerRuns, layout: session.context.layout}
  } finally {
    await session.close()
  }
}

/** Runs a bash script in the SDK as root without network; returns {ms, stdout}. */
async function runInSdk(script, mounts) {
  let stdout = ''
  let stderr = ''
  const started = performance.now()
  const {exitCode, tail} = await engine.run(
    {image: SDK_REF, cmd: ['/bin/bash', '-c', script], user: '0:0', network: 'none', mounts},
    {onOutput: (text, stream) => (stream === 'stdout' ? (stdout += text) : (stderr += text))},
  )
  const ms = performance.now() - started
  if (exitCode !== 0) throw new Error(`a container run in the SDK exited with ${exitCode}:\n${stderr.slice(-2000) || tail}`)
  return {ms, stdout}
}

// What rpm2img.sh does to the root, tool for tool, with no checks, results or renames around it; each step
// is stamped with `date +%s.%N`. Partition offsets and sizes come from the built image's manifest.
function rawScript(plan) {
  const parts = imagePartitions(plan)
  const at = (spec) => `${spec.startMiB}`
  const size = (spec) => `${spec.sizeMiB}`
  const quote = (args) => args.map((arg) => `'${arg}'`).join(' ')
  const dataDisk = parts.dataDisk === 'data' ? '$W/data.img' : '$W/os.img'
  return `set -euo pipefail
shopt -s nullglob dotglob
W=/tmp/raw
mkdir -p $W/root $W/boot $W/private /out
stamp() { echo "stamp $1 $(date +%s.%N)"; }
put() { dd if="$1" of="$2" bs=1M seek="$3" conv=notrunc,sparse status=none; }
stamp start
tar --numeric-owner --xattrs --xattrs-include='security.capability' -xpf /raw/rootfs.tar -C $W/root
rm -rf $W/root/var/lib
stamp extract
truncate -s ${parts.osDisk.sizeMiB}M $W/os.img
sgdisk ${quote(sgdiskArguments(parts.osDisk))} $W/os.img >/dev/null
${parts.dataDiskLayout === undefined ? '' : `truncate -s ${parts.dataDiskLayout.sizeMiB}M $W/data.img\nsgdisk ${quote(sgdiskArguments(parts.dataDiskLayout))} $W/data.img >/dev/null`}
stamp partition
mkdir -p $W/root/boot/grub
mv $W/root/boot/* $W/boot/
if [ -f $W/boot/vmlinuz ]; then
  if command -v openssl >/dev/null; then openssl sha512 -hmac FIPS-FTW-RHT2009 -hex $W/boot/vmlinuz >/dev/null
  else python3 -c 'import hashlib, hmac, sys; hmac.new(b"FIPS-FTW-RHT2009", open(sys.argv[1], "rb").read(), hashlib.sha512).hexdigest()' $W/boot/vmlinuz; fi
fi
du -s -x -B1M $W/root >/dev/null
mkdir -p $W/root/lost+found
mkfs.ext4 -q -E lazy_itable_init=0,stride=1024,stripe_width=1024 -O ^has_journal -b 4096 -d $W/root $W/root.img ${size(parts.root)}M
resize2fs -M $W/root.img >/dev/null 2>&1
put $W/root.img $W/os.img ${at(parts.root)}
stamp root
truncate -s ${size(parts.hash)}M $W/root.verity
hash=$(veritysetup format --format 1 --hash sha256 --data-block-size 4096 --hash-block-size 4096 $W/root.img $W/root.verity | awk '/^Root hash:/ { print $NF }')
veritysetup verify $W/root.img $W/root.verity "$hash"
put $W/root.verity $W/os.img ${at(parts.hash)}
stamp verity
mkdir -p $W/boot/lost+found
chmod -R go-rwx $W/boot
du -s -x -B1M $W/boot >/dev/null
mkfs.ext4 -q -O ^has_journal -d $W/boot $W/boot.ext4 ${size(parts.boot)}M
resize2fs -M $W/boot.ext4 >/dev/null 2>&1
put $W/boot.ext4 $W/os.img ${at(parts.boot)}
stamp boot
printf 'kernel {}\\ninit {}\\n' >$W/bootconfig.in
if command -v bootconfig >/dev/null; then : >$W/private/bootconfig.data; bootconfig -a $W/bootconfig.in $W/private/bootconfig.data; else cp $W/bootconfig.in $W/private/bootconfig.data; fi
mkfs.ext4 -q -b 4096 -i 4096 -I 256 -d $W/private $W/private.ext4 ${size(parts.private)}M
put $W/private.ext4 $W/os.img ${at(parts.private)}
stamp private
mkfs.ext4 -q -m 0 $W/data.ext4 ${size(parts.data)}M
put $W/data.ext4 ${dataDisk} ${at(parts.data)}
sgdisk -v $W/os.img >/dev/null
${parts.dataDiskLayout === undefined ? '' : 'sgdisk -v $W/data.img >/dev/null'}
stamp data
lz4 -q -f $W/os.img /out/os.img.lz4
${parts.dataDiskLayout === undefined ? '' : 'lz4 -q -f $W/data.img /out/data.img.lz4'}
lz4 -q -9 -f $W/boot.ext4 /out/boot.ext4.lz4
lz4 -q -9 -f $W/root.verity /out/root.verity.lz4
lz4 -q -9 -f $W/root.img /out/root.ext4.lz4
stamp compress
chown -R ${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0} /out
`
}

/** The raw run: whole container run and in-container step times, in ms. */
async function rawRun(rawDir, plan, index) {
  const out = path.join(rawDir, `out-${index}`)
  await mkdir(out)
  const {ms, stdout} = await runInSdk(rawScript(plan), [
    {host: path.join(rawDir, 'rootfs.tar'), container: '/raw/rootfs.tar', readOnly: true},
    {host: out, container: '/out'},
  ])
  await rm(out, {recursive: true, force: true})
  const stamps = [...stdout.matchAll(/^stamp (\S+) (\S+)$/gm)].map(([, name, seconds]) => [name, Number(seconds) * 1000])
  const steps = {}
  for (let i = 1; i < stamps.length; i++) steps[stamps[i][0]] = stamps[i][1] - stamps[i - 1][1]
  return {containerMs: ms, insideMs: stamps.at(-1)[1] - stamps[0][1], steps}
}

try {
  await cp(FIXTURE, project, {recursive: true})
  const git = (...args) => execFileSync('git', ['-c', 'user.email=bench@example.com', '-c', 'user.name=bench', ...args], {cwd: project})
  git('init', '-q')
  git('add', '-A')
  git('commit', '-q', '-m', 'fixture')

  // Warm-up: kits and packages built, the variant once.
  const first = await build(false)
  const {layout} = first
  const imageDir = first.variant.dir
  const manifest = JSON.parse(await readFile(first.variant.manifest, 'utf8'))
  const file = (kind) => manifest.outputs.find((output) => output.kind === kind).name

  // The installed root is gone with the staging directory: rebuild its tar from ROOT-A and BOOT-A as built
  // (in a container run of its own, not timed), /boot back in its place.
  const rawDir = path.join(work, 'raw')
  await mkdir(rawDir)
  await runInSdk(
    `set -euo pipefail
cd /tmp && mkdir -p r
lz4 -d -q /images/${file('root')} root.ext4 && lz4 -d -q /images/${file('boot')} boot.ext4
debugfs -R 'rdump / /tmp/r' root.ext4 2>/dev/null
rm -rf r/lost+found && mkdir -p r/boot b
debugfs -R 'rdump / /tmp/b' boot.ext4 2>/dev/null
rm -rf b/lost+found && cp -a b/. r/boot/
tar --numeric-owner --xattrs -cpf /raw/rootfs.tar -C r .
chown ${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0} /raw/rootfs.tar`,
    [
      {host: imageDir, container: '/images', readOnly: true},
      {host: rawDir, container: '/raw'},
    ],
  )

  // Interleaved so that load on the machine hits both alike: the variant node alone, then the raw run.
  const builds = []
  const raws = []
  for (let i = 0; i < runs; i++) {
    await rm(layout.variantStateFile(VARIANT), {force: true})
    const built = await build(false)
    builds.push({...built, rpm2imgMs: rpm2imgRuns.at(-1)})
    raws.push(await rawRun(rawDir, manifest.partitionPlan, i))
  }

  const phase = (name) => median(builds.map((run) => run.variant.phasesMs[name]))
  const phases = ['dependencies', 'composite', 'install', 'image']
  const total = median(builds.map((run) => phases.reduce((sum, name) => sum + run.variant.phasesMs[name], 0)))
  const wall = median(builds.map((run) => run.wallMs))
  const outside = median(builds.map((run) => run.wallMs - phases.reduce((sum, name) => sum + run.variant.phasesMs[name], 0)))
  const rawInside = median(raws.map((raw) => raw.insideMs))
  const rawContainer = median(raws.map((raw) => raw.containerMs))
  const image = phase('image')
  const cpuModel = cpus()[0]?.model.trim() ?? 'unknown'

  console.log(`variant build, ${VARIANT} of test/fixtures/build/variant-project (${arch}), median of ${runs} runs of the variant node alone`)
  console.log(`host: ${availableParallelism()} cores (${cpuModel}), --jobs ${jobs}, node ${process.version}`)
  console.log(`first build (kits, packages, variant)   ${s(first.wallMs).padStart(9)}   ${first.containerRuns} container runs; phases ${phases.map((name) => `${name} ${s(first.variant.phasesMs[name])}`).join(', ')}`)
  console.log(`opening the build session               ${s(median(builds.map((run) => run.sessionMs))).padStart(9)}`)
  const each = (values) => `runs: ${values.map((ms) => (ms / 1000).toFixed(2)).join(', ')}`
  for (const name of phases) console.log(`  ${name.padEnd(37)} ${s(phase(name)).padStart(9)}   (${each(builds.map((run) => run.variant.phasesMs[name]))})`)
  const rpm2img = median(builds.map((run) => run.rpm2imgMs))
  console.log(`    image: the rpm2img container run    ${s(rpm2img).padStart(9)}   (the rest, ${s(image - rpm2img)}: digests, audit, licenses, manifest, rename)`)
  console.log(`  ${'total of the phases'.padEnd(37)} ${s(total).padStart(9)}`)
  console.log(`  ${'outside the phases (inputs, record)'.padEnd(37)} ${s(outside).padStart(9)}`)
  console.log(`buildVariant wall time                  ${s(wall).padStart(9)}   ${median(builds.map((run) => run.containerRuns))} container runs`)
  console.log(`raw image tools, inside the container   ${s(rawInside).padStart(9)}   (${Object.keys(raws[0].steps).map((step) => `${step} ${s(median(raws.map((raw) => raw.steps[step])))}`).join(', ')})`)
  console.log(`raw image tools, whole container run    ${s(rawContainer).padStart(9)}   (${each(raws.map((raw) => raw.containerMs))})`)
  console.log(`image phase / raw = ${(image / rawInside).toFixed(2)}x (inside the container), ${(image / rawContainer).toFixed(2)}x (whole container run); rpm2img run / raw run = ${(rpm2img / rawContainer).toFixed(2)}x`)
} finally {
  await rm(work, {recursive: true, force: true})
}
