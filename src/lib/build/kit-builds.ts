import {mkdir, mkdtemp, readFile, readdir, rename, rm, utimes, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {TwoliterError, UsageError, errorMessage} from '../errors.js'
import type {DependencyGraph} from '../graph/index.js'
import {assembleKitImage, KIT_RPM_KEY_FILE} from '../kits/kit-image.js'
import {type KitImageMetadata, encodeKitMetadata} from '../kits/metadata.js'
import type {KitMember} from '../manifest/index.js'
import {type BuildId, projectBuildId} from './build-id.js'
import {BuildLog} from './build-log.js'
import {type BuildRecord, type OutputFile, describeOutputFiles, outputDigestOf, readBuildRecord, reasonsToRebuild, writeBuildRecord} from './build-record.js'
import {combineDigests, listFiles, sha256} from './digest.js'
import {KITREPO_SCRIPT, gatherKitRpms, makeKitRepo} from './kit-repo.js'
import {kitArchiveName} from './layout.js'
import type {BuildStep, StepIO} from './lifecycle.js'
import type {RpmSignature} from './rpm-signing.js'
import {type BuildContext, type BuildReporter, type KitRepo, type NodeReport, type PackageBuildOptions, buildPackages} from './package-builds.js'

export interface KitBuildResult {
  /** The package and kit nodes of the build, in build order; a package shared by kits appears once. */
  reports: NodeReport[]
  /** The error of each package or kit that failed. */
  failures: Map<string, unknown>
  /** The kits that are built, the local kit dependencies first and the requested kit last. */
  kits: BuiltKit[]
  /** The repositories of the kits built, for package builds against them (repo id → repo). */
  repos: Record<string, KitRepo>
}

export interface BuiltKit {
  name: string
  /** build/kits/<kit>/<arch>/: Packages/<package>/*.rpm and repodata/. */
  repoDir: string
  /** build/kits/<kit>/<kit>-v<version>-<build id>-<arch>.tar */
  archive: string
  manifestDigest: string
  action: 'built' | 'up-to-date'
}

/** A build record of a kit node, which also remembers the image it made. */
interface KitBuildRecord extends BuildRecord {
  kit: {archive: string; manifestDigest: string}
}

/** Shared by every kit node of one build. */
interface KitBuildShared {
  buildId: BuildId
  recipeDigest: string
}

/** What the build has done so far. */
class KitBuildState {
  readonly reports = new Map<string, NodeReport>()
  readonly failures = new Map<string, unknown>()
  readonly records = new Map<string, KitBuildRecord>()
  readonly kits: BuiltKit[] = []

  constructor(private readonly reporter: BuildReporter) {}

  /** Keeps a node's report: a package of several kits' closures is built for the first, up to date for the next. */
  add(report: NodeReport): void {
    const key = `${report.kind}/${report.name}`
    const existing = this.reports.get(key)
    if (existing === undefined || existing.action === 'up-to-date' || report.action === 'failed') this.reports.set(key, report)
  }

  /** A kit's report, also shown (package reports are shown by buildPackages). */
  finishKit(report: NodeReport): void {
    this.add(report)
    this.reporter.finished(report)
  }
}

/**
 * Builds the kit and everything it needs: the local kits it depends on first (their repos become
 * build-dependency repos of its packages), then its packages, then its yum repository and OCI archive.
 */
export async function buildKits(context: BuildContext, kitNames: string | readonly string[], options: PackageBuildOptions): Promise<KitBuildResult> {
  const {graph} = context
  const order = kitBuildOrder(graph, typeof kitNames === 'string' ? [kitNames] : kitNames)
  for (const kit of order) assertKitHasPackages(graph, kit)
  const shared: KitBuildShared = {
    buildId: await projectBuildId(context.layout.projectRoot),
    recipeDigest: sha256(await readFile(KITREPO_SCRIPT)),
  }
  const state = new KitBuildState(context.reporter)
  let stopped = false
  for (const kit of order) {
    const blockedBy = graph.kitDependencies(kit).find((dependency) => !state.records.has(dependency))
    if (stopped || options.signal?.aborted || blockedBy !== undefined) {
      state.finishKit(notRun(kit, [blockedBy === undefined ? 'the build stopped first' : `${blockedBy} did not build`]))
      continue
    }

    const outcome = await buildKitAndPackages(context, kit, options, shared, state)
    if (outcome !== 'built' && (!options.keepGoing || outcome === 'stopped')) stopped = true
  }

  const repos = reposOfKits(context, state.kits.map((kit) => kit.name), state.records)
  return {reports: [...state.reports.values()], failures: state.failures, kits: state.kits, repos}
}

/**
 * Builds a package, after the local kits it depends on (in its Cargo.toml), whose repositories it takes
 * build dependencies from, as buildsys gives them to it.
 */
export async function buildPackageWithKits(context: BuildContext, packageName: string, options: PackageBuildOptions): Promise<{reports: NodeReport[]; failures: Map<string, unknown>}> {
  const kits = context.graph.kitDependencies(packageName)
  if (kits.length === 0) return buildPackages(context, [packageName], options)
  const built = await buildKits(context, kits, options)
  if (built.failures.size > 0 || options.signal?.aborted) return built
  const packages = await buildPackages(context, [packageName], {...options, kitRepos: built.repos})
  const reports = new Map(built.reports.map((report) => [`${report.kind}/${report.name}`, report]))
  for (const report of packages.reports) reports.set(`${report.kind}/${report.name}`, report)
  return {reports: [...reports.values()], failures: packages.failures}
}

/** Builds one kit's packages, against the repositories of its local kit dependencies, then the kit node. */
async function buildKitAndPackages(
  context: BuildContext,
  kit: string,
  options: PackageBuildOptions,
  shared: KitBuildShared,
  state: KitBuildState,
): Promise<'built' | 'failed' | 'stopped'> {
  const packages = await buildPackages(context, context.graph.packageDependencies(kit), {...options, kitRepos: localKitRepos(context, kit, state.records)})
  for (const report of packages.reports) state.add(report)
  for (const [name, error] of packages.failures) state.failures.set(name, error)
  const unbuilt = packages.reports.filter((report) => report.action === 'failed' || report.action === 'not-run').map((report) => report.name)
  if (options.signal?.aborted) {
    state.finishKit(notRun(kit, ['the build stopped first']))
    return 'stopped'
  }

  if (unbuilt.length > 0) {
    state.finishKit(notRun(kit, [`its packages did not all build: ${unbuilt.join(', ')}`]))
    return 'failed'
  }

  const started = Date.now()
  try {
    const built = await buildKitNode(context, kit, options, shared, (report) => state.finishKit(report))
    state.records.set(kit, built.record)
    state.kits.push(built.kit)
    return 'built'
  } catch (error) {
    const durationMs = Date.now() - started
    // Stopped by an interrupt, or by another failure: the kit did not fail itself.
    if (options.signal?.aborted) {
      state.finishKit({...notRun(kit, ['stopped']), durationMs})
      return 'stopped'
    }

    state.failures.set(kit, error)
    state.finishKit({kind: 'kit', name: kit, action: 'failed', reasons: [], durationMs, outputs: [], error: errorMessage(error)})
    return 'failed'
  }
}

/** The kits' local kit dependencies, each after the ones it depends on, then the kits themselves. */
function kitBuildOrder(graph: DependencyGraph, kitNames: readonly string[]): string[] {
  const order: string[] = []
  const visit = (kit: string) => {
    if (order.includes(kit)) return
    for (const dependency of graph.kitDependencies(kit)) visit(dependency)
    order.push(kit)
  }

  for (const kitName of kitNames) {
    const target = graph.member(kitName)
    if (target.kind !== 'kit') {
      throw new UsageError(`${target.name} is a ${target.kind}, not a kit.`, {hint: `Build it with \`twoliter build ${target.kind} ${target.name}\`.`, code: 'build.not-a-kit'})
    }

    visit(target.name)
  }

  return order
}

function assertKitHasPackages(graph: DependencyGraph, kit: string): void {
  if (graph.packageDependencies(kit).length > 0) return
  const member = graph.member(kit)
  throw new TwoliterError(`the kit ${kit} has no packages: nothing in the [build-dependencies] of its Cargo.toml is a package.`, {
    location: {file: member.manifestPath},
    hint: 'List the packages the kit holds there, e.g. `my-package = { path = "../../packages/my-package" }`.',
    code: 'build.kit-empty',
  })
}

/** The repositories of the local kits a kit depends on, as `<vendor>-<kit>` (vendor: the dependency's). */
function localKitRepos(context: BuildContext, kit: string, records: ReadonlyMap<string, KitBuildRecord>): Record<string, KitRepo> {
  return reposOfKits(context, context.graph.kitDependencies(kit), records)
}

function reposOfKits(context: BuildContext, kits: readonly string[], records: ReadonlyMap<string, KitBuildRecord>): Record<string, KitRepo> {
  const repos: Record<string, KitRepo> = {}
  for (const kit of kits) {
    const member = context.graph.member(kit) as KitMember
    repos[`${member.metadata.vendor}-${kit}`] = {kit, dir: context.layout.kitRepoDir(kit), digest: records.get(kit)!.outputDigest}
  }

  return repos
}

/**
 * What the kit image says about itself, as rpm2kit writes it: local kit dependencies with the project's
 * release version and this kit's vendor, then every kit of the lock.
 */
export function kitMetadata(context: BuildContext, kit: string): KitImageMetadata {
  const {releaseVersion, sdk, externalKits} = context.kits
  const {vendor} = (context.graph.member(kit) as KitMember).metadata
  return {
    name: kit,
    version: releaseVersion,
    sdk: {name: sdk.name, version: sdk.version, vendor: sdk.vendor, source: sdk.source, digest: sdk.digest},
    kit: [
      ...context.graph.kitDependencies(kit).map((name) => ({name, version: releaseVersion, vendor})),
      ...externalKits.map(({name, version, vendor}) => ({name, version, vendor})),
    ],
  }
}

/** The kit node's inputs: its packages' outputs, its metadata, the arch, the SDK, the script and the build id. */
async function kitInputs(context: BuildContext, kit: string, metadata: KitImageMetadata, shared: KitBuildShared): Promise<Record<string, string>> {
  const inputs: Record<string, string> = {
    arch: context.layout.arch,
    metadata: sha256(encodeKitMetadata(metadata)),
    sdk: context.sdk.id,
    'recipe:kitrepo.sh': shared.recipeDigest,
    'build-id': `${shared.buildId.id}@${shared.buildId.timestamp}`,
  }
  for (const name of context.graph.packageDependencies(kit)) {
    const record = await readBuildRecord(context.layout.packageStateFile(name))
    if (record === undefined) throw new Error(`package ${name} of kit ${kit} has no build record after its build`)
    inputs[`package:${name}`] = record.outputDigest
  }

  return inputs
}

async function readKitRecord(file: string): Promise<KitBuildRecord | undefined> {
  const record = (await readBuildRecord(file)) as Partial<KitBuildRecord> | undefined
  if (typeof record?.kit?.archive !== 'string' || typeof record.kit.manifestDigest !== 'string') return undefined
  return record as KitBuildRecord
}

/** Builds the kit node, or finds it up to date; the kit's packages are built already. */
async function buildKitNode(
  context: BuildContext,
  kit: string,
  options: PackageBuildOptions,
  shared: KitBuildShared,
  finish: (report: NodeReport) => void,
): Promise<{record: KitBuildRecord; kit: BuiltKit}> {
  const started = Date.now()
  const {layout} = context
  const metadata = kitMetadata(context, kit)
  const inputs = await kitInputs(context, kit, metadata, shared)
  const stateFile = layout.kitStateFile(kit)
  const previous = await readKitRecord(stateFile)
  const reasons = options.force ? ['--force'] : await reasonsToRebuild(previous, inputs, layout.kitDir(kit))
  if (reasons.length === 0 && previous) {
    finish({kind: 'kit', name: kit, action: 'up-to-date', reasons: ['inputs and outputs unchanged since the last build'], durationMs: Date.now() - started, outputs: [previous.kit.archive]})
    return {record: previous, kit: builtKit(context, kit, previous, 'up-to-date')}
  }

  context.reporter.started('kit', kit, reasons)
  const log = await BuildLog.create(layout.kitLogFile(kit))
  try {
    const onLine = (line: string) => context.reporter.line('kit', kit, line)
    const signal = options.signal ?? new AbortController().signal
    const io: StepIO = {
      signal,
      onLine(line) {
        log.write(line + '\n')
        onLine(line)
      },
    }
    const step: BuildStep = {kind: 'kit', name: kit, arch: layout.arch, projectRoot: layout.projectRoot, outputDir: layout.kitDir(kit)}
    await context.lifecycle?.beforeBuild(step, io)
    const image = await makeKit(context, kit, metadata, shared, {log, onLine, signal})
    await context.lifecycle?.afterBuild({...step, outputs: [image.archive]}, io)
    const outputs = await describeKitOutputs(context, kit, path.basename(image.archive))
    const record: KitBuildRecord = {
      version: 1,
      inputDigest: combineDigests(inputs),
      inputs,
      outputs,
      outputDigest: outputDigestOf(outputs),
      builtAt: new Date().toISOString(),
      kit: {archive: path.basename(image.archive), manifestDigest: image.manifestDigest},
    }
    await writeBuildRecord(stateFile, record)
    finish({kind: 'kit', name: kit, action: 'built', reasons, durationMs: Date.now() - started, outputs: [record.kit.archive]})
    return {record, kit: builtKit(context, kit, record, 'built')}
  } finally {
    await log.close()
  }
}

/**
 * Makes the kit's repository and image in a staging directory, then moves both into build/kits/<kit>/:
 * an interrupted or failed build leaves the previous outputs as they were.
 */
async function makeKit(
  context: BuildContext,
  kit: string,
  metadata: KitImageMetadata,
  shared: KitBuildShared,
  run: {log: BuildLog; onLine: (line: string) => void; signal: AbortSignal},
): Promise<{archive: string; manifestDigest: string}> {
  const {layout} = context
  const created = new Date(Number(shared.buildId.timestamp) * 1000)
  await mkdir(layout.stagingDir, {recursive: true})
  const staging = await mkdtemp(path.join(layout.stagingDir, `kit-${kit}-`))
  try {
    const repoDir = path.join(staging, layout.arch)
    const packages = context.graph.packageDependencies(kit).map((name) => ({name, rpmsDir: layout.rpmsDir(name)}))
    const rpms = await gatherKitRpms(repoDir, packages, layout.arch, created)
    if (rpms.length === 0) {
      throw new TwoliterError(`the kit ${kit} has no RPM for ${layout.arch}: none of its packages (${packages.map((p) => p.name).join(', ')}) built one that goes into a kit.`, {
        hint: `A kit holds each package's *.${layout.arch}.rpm and *.noarch.rpm files, without debuginfo and debugsource RPMs; check what build/rpms/ holds for these packages.`,
        code: 'build.kit-no-rpms',
      })
    }

    for (const line of run.log.write(`twoliter: gathered ${rpms.length} RPMs:\n${rpms.map((rpm) => `    ${rpm}\n`).join('')}`)) run.onLine(line)
    const log = (text: string) => {
      for (const line of run.log.write(text)) run.onLine(line)
    }

    await checkKitSignatures(context, kit, {repoDir, rpms, created, signal: run.signal, log})
    await makeKitRepo(context.engine, {
      kitName: kit,
      projectRoot: layout.projectRoot,
      sdkImage: context.sdk.image,
      repoDir,
      arch: layout.arch,
      revision: Number(shared.buildId.timestamp),
      log: run.log,
      onLine: run.onLine,
      signal: run.signal,
    })
    const archiveName = kitArchiveName(kit, metadata.version, shared.buildId.id, layout.arch)
    const image = await assembleKitImage({repoDir, arch: layout.arch, metadata, created, archive: path.join(staging, archiveName)})
    if (run.signal.aborted) throw run.signal.reason
    await installKitOutputs(layout.kitDir(kit), {repoDir, archive: image.archive}, staging, layout.arch)
    return {archive: path.join(layout.kitDir(kit), archiveName), manifestDigest: image.manifestDigest}
  } finally {
    await rm(staging, {recursive: true, force: true})
  }
}

/**
 * When the kit's packages were signed (Infra.toml [rpm-signing]): checks every gathered RPM against the
 * key they were signed with, refusing one modified after signing, and puts the public key at the root of
 * the staged repository, with the build's fixed time, so that the kit stays deterministic.
 */
async function checkKitSignatures(
  context: BuildContext,
  kit: string,
  staged: {repoDir: string; rpms: string[]; created: Date; signal: AbortSignal; log: (text: string) => void},
): Promise<void> {
  const {layout} = context
  const packages = context.graph.packageDependencies(kit)
  const signatures = new Map<string, RpmSignature | undefined>()
  for (const name of packages) signatures.set(name, (await readBuildRecord(layout.packageStateFile(name)))?.rpmSignature)
  const signed = packages.filter((name) => signatures.get(name) !== undefined)
  if (signed.length === 0) return
  const unsigned = packages.filter((name) => signatures.get(name) === undefined)
  const keys = [...new Set(signed.map((name) => signatures.get(name)!.keyId))]
  if (unsigned.length > 0 || keys.length > 1) {
    const byKey = keys.map((key) => `${key}: ${signed.filter((name) => signatures.get(name)!.keyId === key).join(', ')}`)
    throw new TwoliterError(
      `the kit ${kit} cannot carry one signing key: its packages are signed with different keys (${[...byKey, ...(unsigned.length > 0 ? [`unsigned: ${unsigned.join(', ')}`] : [])].join('; ')}).`,
      {
        hint: 'Every package of a kit must be signed with the GPG key of Infra.toml [rpm-signing]: build the kit with --force to rebuild and sign them all with it.',
        code: 'build.kit-mixed-signing',
      },
    )
  }

  const {publicKey} = signatures.get(signed[0])!
  const rpmSigning = context.rpmSigning
  if (rpmSigning === undefined) {
    throw new TwoliterError(`the packages of the kit ${kit} are signed, but this build has no [rpm-signing] in Infra.toml to check them with.`, {
      hint: 'Restore [rpm-signing] in Infra.toml, or build the kit with --force to rebuild its packages unsigned.',
      code: 'build.kit-signing-unconfigured',
    })
  }

  staged.log(`twoliter: checking the signatures of ${staged.rpms.length} RPMs against GPG key ${keys[0]}\n`)
  const results = await rpmSigning.verify(staged.rpms.map((rpm) => path.join(staged.repoDir, rpm)), publicKey, staged.signal)
  const failed = results
    .map((result, index) => ({result, rpm: staged.rpms[index]}))
    .filter(({result}) => !result.ok)
  if (failed.length > 0) {
    // Packages/<package>/<file> came from build/rpms/<package>/<file>.
    const source = (rpm: string) => {
      const [, name, file] = rpm.split('/')
      return path.relative(layout.projectRoot, path.join(layout.rpmsDir(name), file))
    }

    const problems = failed.map(({result, rpm}) =>
      result.problem === 'modified' ? `${source(rpm)} was modified after signing (${result.reason})` : `${source(rpm)} does not verify against the signing key ${keys[0]}: ${result.reason}`,
    )
    throw new TwoliterError(`the kit ${kit} cannot be assembled: ${problems.join('; ')}.`, {
      hint: 'Its RPMs must be exactly as their package build signed them: rebuild the package (`twoliter build kit --force`, or remove its build/rpms directory) and build the kit again.',
      code: 'build.kit-rpm-unverified',
    })
  }

  const keyFile = path.join(staged.repoDir, KIT_RPM_KEY_FILE)
  await writeFile(keyFile, publicKey.endsWith('\n') ? publicKey : `${publicKey}\n`)
  await utimes(keyFile, staged.created, staged.created)
  staged.log(`twoliter: all RPMs verify; the kit carries the public key as ${KIT_RPM_KEY_FILE}\n`)
}

/**
 * Renames the staged repository and archive into the kit's directory, the previous repository moved
 * aside first, and removes the kit's other archives for the arch.
 */
async function installKitOutputs(kitDir: string, staged: {repoDir: string; archive: string}, staging: string, arch: string): Promise<void> {
  await mkdir(kitDir, {recursive: true})
  const target = path.join(kitDir, arch)
  const previous = path.join(staging, 'previous')
  const hadPrevious = await rename(target, previous).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false
      throw error
    },
  )
  try {
    await rename(staged.repoDir, target)
  } catch (error) {
    if (hadPrevious) await rename(previous, target)
    throw error
  }

  const archiveName = path.basename(staged.archive)
  await rename(staged.archive, path.join(kitDir, archiveName))
  const kitName = path.basename(kitDir)
  for (const name of await readdir(kitDir)) {
    if (name !== archiveName && name.startsWith(`${kitName}-v`) && name.endsWith(`-${arch}.tar`)) await rm(path.join(kitDir, name), {force: true})
  }
}

/** The archive and every file of the repository, relative to build/kits/<kit>/. */
async function describeKitOutputs(context: BuildContext, kit: string, archiveName: string): Promise<OutputFile[]> {
  const kitDir = context.layout.kitDir(kit)
  const repoFiles = (await listFiles(context.layout.kitRepoDir(kit))).map((file) => `${context.layout.arch}/${file}`)
  return describeOutputFiles(kitDir, [archiveName, ...repoFiles])
}

function builtKit(context: BuildContext, kit: string, record: KitBuildRecord, action: BuiltKit['action']): BuiltKit {
  return {
    name: kit,
    repoDir: context.layout.kitRepoDir(kit),
    archive: path.join(context.layout.kitDir(kit), record.kit.archive),
    manifestDigest: record.kit.manifestDigest,
    action,
  }
}

function notRun(kit: string, reasons: string[]): NodeReport {
  return {kind: 'kit', name: kit, action: 'not-run', reasons, durationMs: 0, outputs: []}
}
