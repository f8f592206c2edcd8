import {readFile} from 'node:fs/promises'
import path from 'node:path'

import type {Engine} from '../engine/index.js'
import {TwoliterError, errorMessage} from '../errors.js'
import type {DependencyGraph} from '../graph/index.js'
import type {PackageMember} from '../manifest/index.js'
import type {LockedImage} from '../project/lock.js'
import type {ImageRef} from '../project/project.js'
import {type SourcesConfig, fetchExternalFiles} from '../sources/index.js'
import type {Logger} from '../ui/logger.js'
import {distTag, projectBuildId} from './build-id.js'
import {BuildLog} from './build-log.js'
import {type BuildRecord, outputDigestOf, readBuildRecord, reasonsToRebuild, writeBuildRecord} from './build-record.js'
import {combineDigests, sha256} from './digest.js'
import type {BuildLayout} from './layout.js'
import type {BuildLifecycle, BuildStep, StepIO} from './lifecycle.js'
import {packageInputs} from './package-inputs.js'
import {LOCAL_DEPS_REPO, REPO_SIGNATURES_SCRIPT, RPMBUILD_SCRIPT, buildPackage} from './package-builder.js'
import type {RpmSigning} from './rpm-signing.js'
import {type RepoGpgCheck, type VendorGpgKeys, gpgCheckInputs, kitGpgCheck, projectGpgCheck} from './repo-gpgcheck.js'
import {type NodeOutcome, runSchedule} from './scheduler.js'

/** A yum repository of a kit that package builds may take build dependencies from. */
export interface KitRepo {
  /** For a local kit: its name. A package gets only the local kits it depends on, as in buildsys. */
  kit?: string
  dir: string
  /** Changes whenever the repository's content does: the fetched image's digest, or a local kit's output digest. */
  digest: string
}

export interface PackageBuildOptions {
  /** Repositories of local kits to build against, besides the fetched external kits: repo id → repo. */
  kitRepos?: Record<string, KitRepo>
  jobs: number
  keepGoing: boolean
  /** Rebuild even when the build record says the outputs are up to date. */
  force: boolean
  signal?: AbortSignal
}

export interface BuildContext {
  engine: Engine
  graph: DependencyGraph
  layout: BuildLayout
  sdk: {image: string; id: string}
  sources: SourcesConfig
  /** Where external files are cached across builds and projects. */
  downloadCacheDir: string
  logger: Logger
  reporter: BuildReporter
  /** Plugin events and project hook steps around each build. */
  lifecycle?: BuildLifecycle
  kits: KitEnvironment
  /** Infra.toml's [rpm-signing]: every package build signs its RPMs with that key. */
  rpmSigning?: RpmSigning
}

/** What builds need to know about kits: what kit metadata records, and the fetched external kits. */
export interface KitEnvironment {
  /** Twoliter.toml's release-version: the version of every kit the project builds. */
  releaseVersion: string
  /** The SDK as Twoliter.lock pins it (with source and digest), or as Twoliter.toml names it without a lock. */
  sdk: ImageRef & Partial<Pick<LockedImage, 'source' | 'digest'>>
  /** Every kit of the lock, in lock order. */
  externalKits: ImageRef[]
  /** The fetched external kits' repositories for the build's arch: repo id (`<vendor>-<kit>`) → repo. */
  externalKitRepos: Record<string, KitRepo>
  /** Twoliter.toml's signing-keys by vendor: an external kit of a vendor with GPG keys is checked against them. */
  vendorKeys?: VendorGpgKeys
}

export type NodeAction = 'built' | 'up-to-date' | 'failed' | 'not-run'

export interface NodeReport {
  kind: 'package' | 'kit' | 'variant'
  name: string
  action: NodeAction
  /** Why it was built (which inputs changed), or why it was skipped or not run. */
  reasons: string[]
  durationMs: number
  outputs: string[]
  error?: string
}

/** What a build shows while it runs; the command decides how (plain lines, a live display, nothing). */
export interface BuildReporter {
  started(kind: string, name: string, reasons: string[]): void
  line(kind: string, name: string, line: string): void
  finished(report: NodeReport): void
}

/**
 * Builds `targets` and every package they are built against, in dependency order, skipping each package
 * whose inputs and outputs are unchanged since its last build: a build where nothing changed makes no
 * container calls at all.
 */
export interface PackageBuildResult {
  /** One report per package, in name order. */
  reports: NodeReport[]
  /** The error of each package that failed. */
  failures: Map<string, unknown>
}

export async function buildPackages(context: BuildContext, targets: readonly string[], options: PackageBuildOptions): Promise<PackageBuildResult> {
  const {graph} = context
  const names = new Set<string>()
  for (const target of targets) {
    names.add(target)
    for (const dependency of graph.packageDependencies(target)) names.add(dependency)
  }

  for (const name of names) graph.assertNoCycleFrom(name)
  const nodes = [...names].sort().map((name) => ({id: name, dependencies: graph.packageDependencies(name)}))
  const recipeDigest = sha256(Buffer.concat(await Promise.all([RPMBUILD_SCRIPT, REPO_SIGNATURES_SCRIPT].map((file) => readFile(file)))))
  const dist = distTag(await projectBuildId(context.layout.projectRoot))
  // Every external kit, and the local kits the package depends on: the same repos whichever kit's build
  // builds it, so its inputs do not change from one kit to the next.
  const kitReposOf = (name: string): Record<string, KitRepo> => {
    const localKits = new Set(graph.kitDependencies(name))
    const local = Object.entries(options.kitRepos ?? {}).filter(([, repo]) => repo.kit === undefined || localKits.has(repo.kit))
    return {...context.kits.externalKitRepos, ...Object.fromEntries(local)}
  }

  // The keys dnf checks each repository of build dependencies against (see repo-gpgcheck.ts).
  const repoGpgChecks = async (kitRepos: Record<string, KitRepo>, dependencies: readonly string[]): Promise<Record<string, RepoGpgCheck | undefined>> => {
    const {externalKits, externalKitRepos, vendorKeys} = context.kits
    const checks: Record<string, RepoGpgCheck | undefined> = {}
    for (const [id, repo] of Object.entries(kitRepos)) {
      const externalKit = repo.kit === undefined && externalKitRepos[id] !== undefined ? externalKits.find((kit) => `${kit.vendor}-${kit.name}` === id) : undefined
      checks[id] = await kitGpgCheck({name: repo.kit ?? externalKit?.name ?? id, dir: repo.dir, external: externalKit !== undefined, vendor: externalKit?.vendor}, vendorKeys)
    }

    if (context.rpmSigning !== undefined && dependencies.length > 0) checks[LOCAL_DEPS_REPO] = projectGpgCheck(dependencies.map((d) => records.get(d)?.rpmSignature?.publicKey))
    return checks
  }

  const records = new Map<string, BuildRecord>()
  const reports = new Map<string, NodeReport>()
  const failures = new Map<string, unknown>()

  const outcomes = await runSchedule(
    nodes,
    async (name, signal) => {
      const started = Date.now()
      try {
        await buildNode(name, signal, started)
      } catch (error) {
        // A node aborted because another one failed, or because the build was interrupted, did not fail itself.
        const stopped = signal.aborted
        const report: NodeReport = stopped
          ? {kind: 'package', name, action: 'not-run', reasons: ['stopped'], durationMs: Date.now() - started, outputs: []}
          : {kind: 'package', name, action: 'failed', reasons: [], durationMs: Date.now() - started, outputs: [], error: errorMessage(error)}
        if (!stopped) failures.set(name, error)
        finish(report)
        throw error
      }
    },
    {jobs: options.jobs, keepGoing: options.keepGoing, signal: options.signal},
  )

  async function buildNode(name: string, signal: AbortSignal, started: number): Promise<void> {
    const member = graph.member(name) as PackageMember
    const dependencies = graph.packageDependencies(name)
    const kitRepos = kitReposOf(name)
    const inputs = await packageInputs(member, {
      projectRoot: context.layout.projectRoot,
      arch: context.layout.arch,
      sdkImageId: context.sdk.id,
      recipeDigest,
      dependencyOutputs: Object.fromEntries(dependencies.map((d) => [d, records.get(d)!.outputDigest])),
      kitRepoDigests: Object.fromEntries(Object.entries(kitRepos).map(([id, repo]) => [id, repo.digest])),
    })
    // The signing key's fingerprint (a digest of the key file and key id): a key change re-signs.
    const {rpmSigning} = context
    if (rpmSigning !== undefined) inputs['rpm-signing'] = rpmSigning.fingerprint
    const gpgChecks = await repoGpgChecks(kitRepos, dependencies)
    Object.assign(inputs, gpgCheckInputs(gpgChecks))
    const stateFile = context.layout.packageStateFile(name)
    const previous = await readBuildRecord(stateFile)
    const reasons = options.force ? ['--force'] : await reasonsToRebuild(previous, inputs, context.layout.rpmsDir(name))
    if (reasons.length === 0 && previous) {
      records.set(name, previous)
      finish({kind: 'package', name, action: 'up-to-date', reasons: ['inputs and outputs unchanged since the last build'], durationMs: Date.now() - started, outputs: previous.outputs.map((o) => o.name)})
      return
    }

    context.reporter.started('package', name, reasons)
    const log = await BuildLog.create(context.layout.packageLogFile(name))
    try {
      const onLine = (line: string) => context.reporter.line('package', name, line)
      // Hook steps print into the same log as the build, and into the progress display.
      const io: StepIO = {
        signal,
        onLine(line) {
          log.write(line + '\n')
          onLine(line)
        },
      }
      const step: BuildStep = {kind: 'package', name, arch: context.layout.arch, projectRoot: context.layout.projectRoot, outputDir: context.layout.rpmsDir(name)}
      await context.lifecycle?.beforeBuild(step, io)
      const externalFiles = await fetchExternalFiles(
        {name, dir: member.dir, externalFiles: member.metadata.externalFiles},
        context.sources,
        {cacheDir: context.downloadCacheDir, logger: context.logger, signal},
      )
      const {outputs, signature} = await buildPackage(context.engine, {
        member,
        name,
        layout: context.layout,
        sdkImage: context.sdk.image,
        arch: context.layout.arch,
        dist,
        dependencyRpmDirs: Object.fromEntries(dependencies.map((d) => [d, context.layout.rpmsDir(d)])),
        externalFiles,
        kitRepos: Object.fromEntries(Object.entries(kitRepos).map(([id, repo]) => [id, repo.dir])),
        repoGpgChecks: gpgChecks,
        log,
        onLine,
        signal,
        sign: rpmSigning === undefined ? undefined : (rpms) => rpmSigning.sign(rpms, {what: `package ${name}`, signal}),
      })
      await context.lifecycle?.afterBuild({...step, outputs: outputs.map((o) => path.join(step.outputDir, o.name))}, io)
      const record: BuildRecord = {
        version: 1,
        inputDigest: combineDigests(inputs),
        inputs,
        outputs,
        outputDigest: outputDigestOf(outputs),
        builtAt: new Date().toISOString(),
        ...(signature === undefined ? {} : {rpmSignature: signature}),
      }
      await writeBuildRecord(stateFile, record)
      records.set(name, record)
      finish({kind: 'package', name, action: 'built', reasons, durationMs: Date.now() - started, outputs: outputs.map((o) => o.name)})
    } finally {
      await log.close()
    }
  }

  function finish(report: NodeReport): void {
    reports.set(report.name, report)
    context.reporter.finished(report)
  }

  const ordered = nodes.map(({id}) => reports.get(id) ?? notRunReport(id, outcomes.get(id)!))
  return {reports: ordered, failures}
}

function notRunReport(name: string, outcome: NodeOutcome<void>): NodeReport {
  const reasons = outcome.status === 'not-run' && outcome.blockedBy ? [`${outcome.blockedBy} did not build`] : ['the build stopped first']
  return {kind: 'package', name, action: 'not-run', reasons, durationMs: 0, outputs: []}
}

/** The error a build ends with: the failure itself when one package failed, else a summary of them. */
export function buildFailure(failures: ReadonlyMap<string, unknown>): unknown {
  if (failures.size === 1) return [...failures.values()][0]
  if (failures.size === 0) return undefined
  return new TwoliterError(`${failures.size} builds failed: ${[...failures.keys()].join(', ')}.`, {
    hint: 'Each failure is shown above with the end of its log; the whole logs are under build/logs/.',
    code: 'build.failed',
  })
}
