/**
 * `build variant`: the variant's local kits and packages, then its root file system installed from the
 * composite repository (project packages first, then kits by priority), then the disk images, the
 * package audit and the license documents, all staged and renamed into
 * build/images/<arch>-<variant>/<version>-<build id>/ with `latest` pointing at it.
 */

import {mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {TwoliterError, errorMessage} from '../errors.js'
import type {VariantMember} from '../manifest/index.js'
import {ATTRIBUTION_FILE, SPDX_FILE, writeLicenseDocuments} from '../variant/license-documents.js'
import {checkKitPriority, compositeRepos} from '../variant/composite.js'
import {parseVariantName} from '../variant/metadata-rpm.js'
import {customPartitionPlan} from '../variant/custom-layout.js'
import {buildDiskImage} from '../variant/disk-image.js'
import {type ImageOutput, writeImageManifest} from '../variant/image-outputs.js'
import {installVariantRoot} from '../variant/install.js'
import {referencePartitionPlan} from '../variant/partition-plan.js'
import type {InstalledPackage, PartitionPlan, VariantImageOptions} from '../variant/types.js'
import {type BuildId, projectBuildId} from './build-id.js'
import {BuildLog} from './build-log.js'
import {type BuildRecord, describeOutputFiles, outputDigestOf, readBuildRecord, reasonsToRebuild, writeBuildRecord} from './build-record.js'
import {REPO_SIGNATURES_SCRIPT} from './package-builder.js'
import {type RepoGpgCheck, gpgCheckInputs, kitGpgCheck, projectGpgCheck} from './repo-gpgcheck.js'
import {combineDigests, listFiles, sha256, sha256File} from './digest.js'
import {buildKits} from './kit-builds.js'
import {gatherKitRpms} from './kit-repo.js'
import type {BuildStep, StepIO} from './lifecycle.js'
import {type BuildContext, type KitRepo, type NodeReport, type PackageBuildOptions, buildPackages} from './package-builds.js'

export const PACKAGE_AUDIT_FILE = 'package-audit.json'
export const INVENTORY_FILE = 'application-inventory.json'

export interface BuiltVariant {
  name: string
  /** build/images/<arch>-<variant>/<version>-<build id>/ */
  dir: string
  files: ImageOutput[]
  manifest: string
  action: 'built' | 'up-to-date' | 'skipped'
  /** How long each phase of a build took (absent when nothing was built). */
  phasesMs?: VariantPhases
}

export interface VariantPhases {
  /** Building or checking the variant's kits and packages. */
  dependencies: number
  /** Gathering the project's RPMs and ordering the repositories. */
  composite: number
  /** The metadata RPM, dnf and rpm in the SDK. */
  install: number
  /** File systems, dm-verity, GPT, compression, then the audit and license documents. */
  image: number
}

export interface VariantBuildResult {
  reports: NodeReport[]
  failures: Map<string, unknown>
  variant?: BuiltVariant
}

/** What the variant's image records about every installed package (package-audit.json). */
export interface PackageAudit {
  variant: string
  arch: string
  version: string
  buildId: string
  /** The repositories in priority order (most preferred first). */
  repos: Array<{id: string; source: string; priority: number}>
  packages: InstalledPackage[]
}

export interface VariantBuildOptions extends PackageBuildOptions {
  /** twoliter's version, named as the SBOM's creator. */
  toolVersion?: string
}

export async function buildVariant(context: BuildContext, variantName: string, options: VariantBuildOptions): Promise<VariantBuildResult> {
  const {graph, layout} = context
  const member = graph.member(variantName)
  if (member.kind !== 'variant') {
    throw new TwoliterError(`${member.name} is a ${member.kind}, not a variant.`, {hint: `Build it with \`twoliter build ${member.kind} ${member.name}\`.`, code: 'build.not-a-variant', exitCode: 2})
  }

  const {metadata} = member
  if (metadata.supportedArches !== undefined && !metadata.supportedArches.includes(layout.arch as never)) {
    context.logger.warn(`variant ${member.name} does not support ${layout.arch} (supported-arches: ${metadata.supportedArches.join(', ')}); nothing to build.`)
    return {reports: [], failures: new Map(), variant: {name: member.name, dir: '', files: [], manifest: '', action: 'skipped'}}
  }

  // Checked before any container starts: these are the project's mistakes, not the build's.
  parseVariantName(member.name)
  const plan = partitionPlan(member, layout.arch)
  const localKits = graph.kitDependencies(member.name)
  if (metadata.kitPriority !== undefined) {
    checkKitPriority(member.name, metadata.kitPriority, [...localKits, ...context.kits.externalKits.map((kit) => kit.name)])
  }
  const dependenciesStarted = Date.now()
  const reports = new Map<string, NodeReport>()
  const failures = new Map<string, unknown>()
  let localKitRepos: Record<string, KitRepo> = {}
  if (localKits.length > 0) {
    const kits = await buildKits(context, localKits, options)
    for (const report of kits.reports) reports.set(`${report.kind}/${report.name}`, report)
    for (const [name, error] of kits.failures) failures.set(name, error)
    if (kits.failures.size > 0 || options.signal?.aborted) return {reports: [...reports.values()], failures}
    localKitRepos = kits.repos
  }

  const packageNames = graph.packageDependencies(member.name)
  const packages = await buildPackages(context, packageNames, {...options, kitRepos: localKitRepos})
  for (const report of packages.reports) reports.set(`${report.kind}/${report.name}`, report)
  for (const [name, error] of packages.failures) failures.set(name, error)
  if (packages.failures.size > 0 || options.signal?.aborted) return {reports: [...reports.values()], failures}

  const started = Date.now()
  try {
    const variant = await buildVariantNode(context, member, {plan, packageNames, localKitRepos, options, dependenciesMs: Date.now() - dependenciesStarted, finish: (report) => reports.set(`variant/${member.name}`, report)})
    return {reports: [...reports.values()], failures, variant}
  } catch (error) {
    const stopped = options.signal?.aborted === true
    const report: NodeReport = stopped
      ? {kind: 'variant', name: member.name, action: 'not-run', reasons: ['stopped'], durationMs: Date.now() - started, outputs: []}
      : {kind: 'variant', name: member.name, action: 'failed', reasons: [], durationMs: Date.now() - started, outputs: [], error: errorMessage(error)}
    if (!stopped) failures.set(member.name, error)
    reports.set(`variant/${member.name}`, report)
    context.reporter.finished(report)
    if (stopped) throw error
    return {reports: [...reports.values()], failures}
  }
}

/** The variant's partition plan: its own layout when it gives one, else the reference's plan. */
export function partitionPlan(member: VariantMember, arch: string): PartitionPlan {
  const {metadata} = member
  if (metadata.partitionLayout !== undefined) {
    const plan = customPartitionPlan(metadata.partitionLayout)
    const wanted = metadata.imageFeatures['in-place-updates']
    if (plan.inPlaceUpdates !== wanted) {
      const problem = wanted
        ? 'has no bank B, but the variant keeps the in-place-updates image feature, which updates the bank it did not boot from'
        : 'has a bank B, but the variant turns the in-place-updates image feature off, so nothing would ever write to it'
      throw new TwoliterError(`The partition-layout of the variant ${member.name} ${problem}.`, {
        hint: wanted
          ? 'Add bank = "B" partitions (efi, boot, root, hash, reserved), or set in-place-updates = false under [package.metadata.build-variant.image-features].'
          : 'Remove the bank = "B" partitions, or turn in-place-updates back on.',
        code: 'variant.layout-banks',
        location: metadata.partitionLayout.location,
      })
    }

    return plan
  }

  return referencePartitionPlan({
    arch,
    osImageSizeGiB: metadata.imageLayout.osImageSizeGib,
    dataImageSizeGiB: metadata.imageLayout.dataImageSizeGib,
    partitionPlan: metadata.imageLayout.partitionPlan,
    inPlaceUpdates: metadata.imageFeatures['in-place-updates'],
  })
}

interface VariantNodeRequest {
  plan: PartitionPlan
  packageNames: string[]
  localKitRepos: Record<string, KitRepo>
  options: VariantBuildOptions
  dependenciesMs: number
  finish: (report: NodeReport) => void
}

async function buildVariantNode(context: BuildContext, member: VariantMember, request: VariantNodeRequest): Promise<BuiltVariant> {
  const started = Date.now()
  const {layout} = context
  const buildId = await projectBuildId(layout.projectRoot)
  const imageOptions: VariantImageOptions = {
    variant: member.name,
    arch: layout.arch,
    version: context.kits.releaseVersion,
    buildId: buildId.id,
    format: member.metadata.imageFormat,
    features: member.metadata.imageFeatures,
    kernelParameters: member.metadata.kernelParameters,
  }
  const kits = await withGpgChecks(context, variantKits(context, member, request.localKitRepos))
  const localGpg = await localGpgCheck(context, request.packageNames)
  const inputs = {
    ...(await variantInputs(context, member, request, kits, buildId)),
    // External kits by their repo id (`<vendor>-<kit>`), as package builds name them.
    ...gpgCheckInputs({local: localGpg, ...Object.fromEntries(kits.map((kit) => [kit.external ? `${kit.vendor}-${kit.name}` : kit.name, kit.gpg]))}),
  }
  const versionDir = layout.variantImageDir(member.name, `${imageOptions.version}-${buildId.id}`)
  const stateFile = layout.variantStateFile(member.name)
  const previous = await readBuildRecord(stateFile)
  const reasons = request.options.force ? ['--force'] : await reasonsToRebuild(previous, inputs, versionDir)
  if (reasons.length === 0 && previous !== undefined) {
    const report: NodeReport = {kind: 'variant', name: member.name, action: 'up-to-date', reasons: ['inputs and outputs unchanged since the last build'], durationMs: Date.now() - started, outputs: previous.outputs.map((o) => o.name)}
    request.finish(report)
    context.reporter.finished(report)
    const manifest = path.join(versionDir, 'image-manifest.json')
    const files = (JSON.parse(await readFile(manifest, 'utf8')) as {outputs: ImageOutput[]}).outputs
    return {name: member.name, dir: versionDir, files, manifest, action: 'up-to-date'}
  }

  context.reporter.started('variant', member.name, reasons)
  const log = await BuildLog.create(layout.variantLogFile(member.name))
  await mkdir(layout.stagingDir, {recursive: true})
  const staging = await mkdtemp(path.join(layout.stagingDir, `variant-${member.name}-`))
  try {
    const onLine = (line: string) => context.reporter.line('variant', member.name, line)
    const signal = request.options.signal ?? new AbortController().signal
    const io: StepIO = {
      signal,
      onLine(line) {
        log.write(line + '\n')
        onLine(line)
      },
    }
    const step: BuildStep = {kind: 'variant', name: member.name, arch: layout.arch, projectRoot: layout.projectRoot, outputDir: versionDir}
    await context.lifecycle?.beforeBuild(step, io)

    const compositeStarted = Date.now()
    const localRepoDir = path.join(staging, 'local-repo')
    // A variant made only of kits still has the (empty) repository of the project's packages.
    await mkdir(localRepoDir)
    await gatherKitRpms(localRepoDir, request.packageNames.map((name) => ({name, rpmsDir: layout.rpmsDir(name)})), layout.arch, new Date(Number(buildId.timestamp) * 1000))
    const repos = compositeRepos({localRepoDir, localGpg, kits, kitPriority: member.metadata.kitPriority, variant: member.name})
    const installStarted = Date.now()
    const installed = await installVariantRoot({
      engine: context.engine,
      sdkImage: context.sdk.image,
      arch: layout.arch,
      variant: member.name,
      version: imageOptions.version,
      features: imageOptions.features,
      includedPackages: member.metadata.includedPackages,
      repos,
      projectRoot: layout.projectRoot,
      workDir: path.join(staging, 'install'),
      log,
      onLine,
      signal,
    })

    const imageStarted = Date.now()
    const outputDir = path.join(staging, 'out')
    await mkdir(outputDir)
    await writeFile(path.join(outputDir, INVENTORY_FILE), JSON.stringify(installed.inventory, null, 2) + '\n')
    const image = await buildDiskImage({
      inventoryFile: path.join(outputDir, INVENTORY_FILE),
      engine: context.engine,
      sdkImage: context.sdk.image,
      rootfsTar: installed.rootfsTar,
      plan: request.plan,
      options: imageOptions,
      outputDir,
      projectRoot: layout.projectRoot,
      log,
      onLine,
      signal,
    })
    const audit: PackageAudit = {
      variant: member.name,
      arch: layout.arch,
      version: imageOptions.version,
      buildId: buildId.id,
      repos: repos.map(({id, source, priority}) => ({id, source, priority})),
      packages: installed.packages,
    }
    await writeFile(path.join(outputDir, PACKAGE_AUDIT_FILE), JSON.stringify(audit, null, 2) + '\n')
    const imageFiles = image.files.filter((file) => file.kind !== 'manifest')
    await writeLicenseDocuments(outputDir, {
      options: imageOptions,
      packages: installed.packages,
      sourceOrder: repos.map((repo) => repo.source),
      created: new Date(Number(buildId.timestamp) * 1000),
      toolVersion: request.options.toolVersion ?? 'unknown',
      imageFiles,
    })
    const documents = await describeOutputFiles(outputDir, [PACKAGE_AUDIT_FILE, INVENTORY_FILE, ATTRIBUTION_FILE, SPDX_FILE])
    const extra = documents.map(({name, sha256: digest, size}): ImageOutput => ({name, kind: 'other', sha256: digest, size}))
    const files = [...imageFiles, ...extra]
    const manifest = await writeImageManifest(outputDir, {options: imageOptions, files, rootHash: image.rootHash, verity: image.verity, plan: request.plan})
    if (signal.aborted) throw signal.reason
    await installImageDirectory(outputDir, versionDir, staging)
    const phasesMs: VariantPhases = {
      dependencies: request.dependenciesMs,
      composite: installStarted - compositeStarted,
      install: imageStarted - installStarted,
      image: Date.now() - imageStarted,
    }
    await afterBuild(context, step, io, versionDir, files)

    const outputs = await describeOutputFiles(versionDir, await listFiles(versionDir))
    const record: BuildRecord = {version: 1, inputDigest: combineDigests(inputs), inputs, outputs, outputDigest: outputDigestOf(outputs), builtAt: new Date().toISOString()}
    await writeBuildRecord(stateFile, record)
    const report: NodeReport = {kind: 'variant', name: member.name, action: 'built', reasons, durationMs: Date.now() - started, outputs: files.map((file) => file.name)}
    request.finish(report)
    context.reporter.finished(report)
    return {name: member.name, dir: versionDir, files, manifest: path.join(versionDir, path.basename(manifest)), action: 'built', phasesMs}
  } finally {
    await log.close()
    await rm(staging, {recursive: true, force: true})
  }

  function afterBuild(context: BuildContext, step: BuildStep, io: StepIO, dir: string, files: ImageOutput[]): Promise<void> {
    return context.lifecycle?.afterBuild({...step, outputs: files.map((file) => path.join(dir, file.name))}, io) ?? Promise.resolve()
  }
}

interface VariantKit {
  name: string
  repo: KitRepo
  external: boolean
  vendor?: string
  gpg?: RepoGpgCheck
}

/** The variant's kits: its local kits (as written in its build-dependencies) and every external kit of the lock. */
function variantKits(context: BuildContext, member: VariantMember, localKitRepos: Record<string, KitRepo>): VariantKit[] {
  const local = Object.values(localKitRepos).map((repo) => ({name: repo.kit!, repo, external: false}))
  const order = [...member.buildDependencies, ...member.dependencies].map((link) => link.name)
  local.sort((a, b) => indexOr(order, a.name) - indexOr(order, b.name))
  const external = context.kits.externalKits.map((kit) => ({name: kit.name, repo: context.kits.externalKitRepos[`${kit.vendor}-${kit.name}`], external: true, vendor: kit.vendor}))
  return [...local, ...external]
}

/** Each kit with the keys dnf checks its RPMs against (none for a missing repo: the install step reports it). */
async function withGpgChecks(context: BuildContext, kits: VariantKit[]): Promise<VariantKit[]> {
  return Promise.all(kits.map(async (kit) => {
    if (kit.repo === undefined) return kit
    const gpg = await kitGpgCheck({name: kit.name, dir: kit.repo.dir, external: kit.external, vendor: kit.vendor}, context.kits.vendorKeys)
    return gpg === undefined ? kit : {...kit, gpg}
  }))
}

/** The project's packages are checked against the public key their builds signed them with, when the project signs. */
async function localGpgCheck(context: BuildContext, packageNames: readonly string[]): Promise<RepoGpgCheck | undefined> {
  if (context.rpmSigning === undefined) return undefined
  const records = await Promise.all(packageNames.map((name) => readBuildRecord(context.layout.packageStateFile(name))))
  return projectGpgCheck(records.map((record) => record?.rpmSignature?.publicKey))
}

function indexOr(list: readonly string[], item: string): number {
  const index = list.indexOf(item)
  return index === -1 ? list.length : index
}

async function variantInputs(
  context: BuildContext,
  member: VariantMember,
  request: VariantNodeRequest,
  kits: Array<{name: string; repo: KitRepo}>,
  buildId: BuildId,
): Promise<Record<string, string>> {
  const {metadata} = member
  const inputs: Record<string, string> = {
    arch: context.layout.arch,
    sdk: context.sdk.id,
    version: context.kits.releaseVersion,
    'build-id': `${buildId.id}@${buildId.timestamp}`,
    metadata: sha256(JSON.stringify({metadata, plan: request.plan})),
    recipe: sha256(JSON.stringify(await Promise.all([INSTALL_SCRIPT, IMAGE_SCRIPT, REPO_SIGNATURES_SCRIPT].map((file) => sha256File(file))))),
  }
  for (const name of request.packageNames) {
    const record = await readBuildRecord(context.layout.packageStateFile(name))
    inputs[`package:${name}`] = record?.outputDigest ?? 'missing'
  }

  for (const kit of kits) inputs[`kit:${kit.name}`] = kit.repo.digest
  return inputs
}

const SDK_TOOLS = new URL('../../../assets/sdk-tools/', import.meta.url)
const INSTALL_SCRIPT = new URL('variant-install.sh', SDK_TOOLS).pathname
const IMAGE_SCRIPT = new URL('rpm2img.sh', SDK_TOOLS).pathname

/** Renames the staged outputs into place (the previous ones moved aside first) and points `latest` at them. */
async function installImageDirectory(staged: string, versionDir: string, staging: string): Promise<void> {
  await mkdir(path.dirname(versionDir), {recursive: true})
  const previous = path.join(staging, 'previous')
  await rename(versionDir, previous).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error
  })
  await rename(staged, versionDir)
  const latest = path.join(path.dirname(versionDir), 'latest')
  const temporary = `${latest}.${process.pid}.tmp`
  await rm(temporary, {force: true})
  await symlink(path.basename(versionDir), temporary)
  await rename(temporary, latest)
}
