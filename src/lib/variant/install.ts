/**
 * A variant's root file system: the metadata RPM built from the variant's name and features, dnf resolving
 * `bottlerocket-metadata` and the included packages from the composite repository, and rpm installing
 * the result into an empty root, all in one container run of the SDK without network. What was installed,
 * from which repo and why is worked out here from what the run reports.
 */

import {mkdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {BuildLog} from '../build/build-log.js'
import {checkMountableHostPath} from '../build/host-paths.js'
import {SDK_TOOLS_DIR} from '../build/package-builder.js'
import {CONTAINER_KEYS_DIR, GpgFailureReport, describeGpgCheck, writeRepoKeys} from '../build/repo-gpgcheck.js'
import type {Engine} from '../engine/index.js'
import {TwoliterError} from '../errors.js'
import type {ImageFeatures} from '../manifest/index.js'
import {requestedBy, requiresEdges} from './audit.js'
import {type CompositeRepo, METADATA_PRIORITY, METADATA_REPO_ID} from './composite.js'
import {metadataSpec} from './metadata-rpm.js'
import type {InstalledPackage} from './types.js'

export const VARIANT_INSTALL_SCRIPT = path.join(SDK_TOOLS_DIR, 'variant-install.sh')
const RPM_PREFIX = 'bottlerocket-'
const METADATA_PACKAGE = `${RPM_PREFIX}metadata`

export interface InstallRequest {
  engine: Engine
  sdkImage: string
  arch: string
  variant: string
  /** The release version: the metadata RPM's version. */
  version: string
  features: ImageFeatures
  /** included-packages: names without the bottlerocket- prefix. */
  includedPackages: string[]
  /** Most preferred first, as compositeRepos returns them. */
  repos: CompositeRepo[]
  projectRoot: string
  /** Staging dir (under build/.staging) to write into. */
  workDir: string
  log: BuildLog
  onLine?: (line: string) => void
  signal?: AbortSignal
}

export interface InventoryEntry {
  Name: string
  Publisher: string
  Version: string
  Release: string
  Epoch: string
  InstalledTime: string
  ApplicationType: string
  Architecture: string
  Url: string
  Summary: string
}

export interface ApplicationInventory {
  Content: InventoryEntry[]
}

export interface InstalledRoot {
  /** Tar archive of the installed root file system, numeric ownership and modes preserved; it still holds rpm's database (/var/lib/rpm). */
  rootfsTar: string
  /** Sorted by name. */
  packages: InstalledPackage[]
  /** application-inventory.json content as the reference's rpm2img writes it. */
  inventory: ApplicationInventory
}

/** What variant-install.sh reports about each RPM it installed (packages.jsonl). */
interface DumpedRpm {
  file: string
  repo: string | null
  name: string
  epoch: string | null
  version: string
  release: string
  arch: string
  license: string | null
  summary: string | null
  url: string | null
  vendor: string | null
  group: string | null
  requires: string[]
  recommends: string[]
  provides: string[]
  licenseFiles: string[]
}

export type VariantInstallFailure = 'missing-package' | 'conflict' | 'metadata' | 'rpm' | 'signature' | 'failed'

/** The variant's root could not be installed: why, what dnf said, and the end of the log. */
export class VariantInstallError extends TwoliterError {
  constructor(
    readonly variant: string,
    readonly failure: VariantInstallFailure,
    readonly logFile: string,
    readonly logTail: string[],
    message: string,
    hint: string,
    /** The requested packages dnf found in no repo, or the capabilities nothing provides. */
    readonly missing: string[] = [],
  ) {
    const tail = logTail.length === 0 ? '' : `\n${logTail.map((line) => `    ${line}`).join('\n')}\n`
    super(`${message}${tail}`, {hint: `${hint} The whole log is in ${logFile}.`, code: `variant.install-${failure}`})
  }
}

/** Installs the variant's packages into an empty root in the SDK and describes what it installed. */
export async function installVariantRoot(request: InstallRequest): Promise<InstalledRoot> {
  const {log, workDir, repos} = request
  const spec = metadataSpec({variant: request.variant, version: request.version, features: request.features})
  checkPackageNames(request)
  await checkRepos(request)

  // The keys sit beside the work directory, so that they can be mounted read-only.
  const keysDir = `${workDir}-keys`
  const mounts = [
    {host: SDK_TOOLS_DIR, container: '/twoliter/tools', readOnly: true},
    ...repos.map((repo) => ({host: repo.dir, container: `/twoliter/repos/${repo.id}`, readOnly: true})),
    {host: workDir, container: '/twoliter/work'},
    {host: keysDir, container: CONTAINER_KEYS_DIR, readOnly: true},
  ]
  for (const mount of mounts) checkMountableHostPath(mount.host, `a directory to mount for the variant ${request.variant}`)

  const outputs = ['rootfs.tar', 'packages.jsonl', 'install-time'].map((file) => path.join(workDir, file))
  await mkdir(workDir, {recursive: true})
  await rm(keysDir, {recursive: true, force: true})
  await writeRepoKeys(keysDir, Object.fromEntries(repos.map((repo) => [repo.id, repo.gpg])))
  await Promise.all(outputs.map((file) => rm(file, {force: true})))
  await writeFile(path.join(workDir, 'metadata.spec'), spec)
  // Most preferred first: the script attributes an RPM found in several repos to the first that holds it.
  const byPriority = [...repos].sort((a, b) => a.priority - b.priority)
  await writeFile(path.join(workDir, 'repos.list'), byPriority.map((repo) => `${repo.id} ${repo.priority}\n`).join(''))

  const dnfReport = new DnfReport()
  const gpgReport = new GpgFailureReport()
  let succeeded = false
  try {
    const {exitCode} = await request.engine.run(
      {
        image: request.sdkImage,
        cmd: ['/bin/bash', '/twoliter/tools/variant-install.sh'],
        user: '0:0',
        env: {
          ARCH: request.arch,
          PACKAGES: request.includedPackages.join(' '),
          HOST_UID: String(process.getuid?.() ?? 0),
          HOST_GID: String(process.getgid?.() ?? 0),
        },
        mounts,
        network: 'none',
        labels: {'dev.twoliter.project': request.projectRoot, 'dev.twoliter.node': `variant/${request.variant}`},
      },
      {
        onOutput: (text) => {
          for (const line of log.write(text)) {
            dnfReport.line(line)
            gpgReport.line(line)
            request.onLine?.(line)
          }
        },
        signal: request.signal,
      },
    )
    if (exitCode === 6) throw signatureFailure(request, gpgReport)
    if (exitCode !== 0) throw installFailure(request, exitCode, dnfReport)

    const dumped = parseDump(await readFile(outputs[1]!, 'utf8'))
    const installedTime = (await readFile(outputs[2]!, 'utf8')).trim()
    const packages = describePackages(request, dumped)
    const root: InstalledRoot = {rootfsTar: outputs[0]!, packages, inventory: applicationInventory(dumped, repos, installedTime)}
    succeeded = true
    return root
  } finally {
    await rm(keysDir, {recursive: true, force: true})
    if (!succeeded) await Promise.all(outputs.map((file) => rm(file, {force: true})))
  }
}

/** An RPM whose signature its repository's keys refuse: which repo, which RPM, and what to do. */
function signatureFailure(request: InstallRequest, report: GpgFailureReport): VariantInstallError {
  const {log, variant, repos} = request
  const byId = new Map(repos.map((repo) => [repo.id, repo]))
  const refused = report.refused.map((entry) => {
    const repo = entry.repo === undefined ? undefined : byId.get(entry.repo)
    const where = repo === undefined ? '' : ` of ${describeSource(repo)} (repository ${repo.id}${repo.gpg === undefined ? '' : `, checked against ${describeGpgCheck(repo.gpg)}`})`
    return `${entry.rpm}${where}: ${entry.reason}`
  })
  const kits = [...new Set(report.refused.map((entry) => (entry.repo === undefined ? undefined : byId.get(entry.repo))).filter((repo) => repo !== undefined))]
  const message = refused.length > 0
    ? `The signature of ${refused.length === 1 ? 'an RPM' : `${refused.length} RPMs`} of the variant ${variant} is refused: ${refused.join('; ')}.`
    : `The signature of an RPM of the variant ${variant} is refused (see the log).`
  const hints: string[] = []
  if (kits.some((repo) => repo.gpg?.trust === 'vendor-keys')) hints.push('An external kit must be signed with a GPG key its vendor lists in signing-keys in Twoliter.toml: check that the vendor\'s current public key is listed there, and fetch the kit again (`twoliter fetch`).')
  if (kits.some((repo) => repo.gpg?.trust === 'kit-key')) hints.push('A kit\'s RPMs must verify against the RPM-GPG-KEY it carries; when they do not, the kit was changed after it was built: build the local kit again (`twoliter build kit <kit> --force`), or fetch the external kit again (remove build/external-kits/<vendor>/<kit> and run `twoliter fetch`); if its vendor publishes a GPG key, list it in signing-keys in Twoliter.toml.')
  if (kits.some((repo) => repo.gpg?.trust === 'project-key')) hints.push('The project\'s packages must be signed with the key of Infra.toml [rpm-signing]: build them again (`twoliter build variant --force`).')
  if (hints.length === 0) hints.push('Build the kits again, or fetch them again, and check signing-keys in Twoliter.toml.')
  return new VariantInstallError(variant, 'signature', log.file, refused.length > 0 ? [] : log.lastLines(), message, hints.join(' '))
}

function checkPackageNames(request: InstallRequest): void {
  const bad = request.includedPackages.filter((name) => !/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(name))
  if (bad.length > 0) {
    throw new TwoliterError(`The variant ${request.variant} includes ${bad.map((name) => JSON.stringify(name)).join(', ')}, which ${bad.length === 1 ? 'is not a package name' : 'are not package names'}.`, {
      hint: 'List package names in included-packages under [package.metadata.build-variant], without the bottlerocket- prefix.',
      code: 'variant.install-package-name',
    })
  }
}

async function checkRepos(request: InstallRequest): Promise<void> {
  const ids = new Set<string>()
  for (const repo of request.repos) {
    if (repo.id === METADATA_REPO_ID || ids.has(repo.id) || !/^[A-Za-z0-9_.:-]+$/.test(repo.id)) {
      throw new TwoliterError(`The repository id ${JSON.stringify(repo.id)} of the variant ${request.variant} is reserved, repeated or not a dnf repo id.`, {code: 'variant.install-repo-id'})
    }

    ids.add(repo.id)
    const isDirectory = await stat(repo.dir).then((info) => info.isDirectory(), () => false)
    if (!isDirectory) {
      throw new TwoliterError(`The repository ${repo.id} of the variant ${request.variant} (${describeSource(repo)}) is missing: ${repo.dir} is not a directory.`, {
        hint: repo.external ? 'Run `twoliter fetch` for this architecture, then build again.' : 'Build the variant again; its packages and local kits are built first.',
        code: 'variant.install-repo-missing',
      })
    }
  }
}

function describeSource(repo: CompositeRepo): string {
  if (repo.source === 'local') return "the project's packages"
  return `${repo.external ? 'external ' : ''}kit ${repo.source}`
}

function searched(repos: CompositeRepo[]): string {
  return [`${METADATA_REPO_ID} (priority ${METADATA_PRIORITY}, the variant's metadata)`, ...repos.map((repo) => `${repo.id} (priority ${repo.priority}, ${describeSource(repo)})`)].join(', ')
}

/** Picks out of dnf's output the packages it could not find and the problems its solver reported. */
class DnfReport {
  readonly missing: string[] = []
  readonly problems: string[] = []
  /** Capabilities that nothing provides. */
  readonly unprovided: string[] = []
  private inProblem = false

  line(line: string): void {
    const noMatch = /^No match for argument: (\S+)/.exec(line)
    if (noMatch) {
      if (!this.missing.includes(noMatch[1]!)) this.missing.push(noMatch[1]!)
      return
    }

    if (/^\s*Problem( \d+)?:/.test(line)) {
      this.inProblem = true
      this.problems.push(line.trim())
      return
    }

    if (this.inProblem && /^\s+- /.test(line)) {
      this.problems.push(line.trim())
      const nothing = /- nothing provides (\S+)/.exec(line)
      if (nothing && !this.unprovided.includes(nothing[1]!)) this.unprovided.push(nothing[1]!)
      return
    }

    this.inProblem = false
  }
}

function installFailure(request: InstallRequest, exitCode: number, report: DnfReport): VariantInstallError {
  const {log, variant, repos} = request
  const tail = log.lastLines()
  if (exitCode === 4 && report.missing.length > 0) {
    const missing = report.missing
    return new VariantInstallError(
      variant,
      'missing-package',
      log.file,
      // The message names what is missing; the log has the rest.
      [],
      `The variant ${variant} needs ${missing.join(', ')}, which none of its repositories offers; dnf searched ${searched(repos)}.`,
      `Check included-packages of the variant (names without the ${RPM_PREFIX} prefix), and that each package is built by the project (a build-dependency of the variant) or offered by one of its kits.`,
      missing,
    )
  }

  if (exitCode === 4) {
    const problems = report.problems.length > 0 ? report.problems.map((line) => `\n    ${line}`).join('') + '\n' : ' (see the log)'
    const named = new Set([...report.problems.join('\n').matchAll(/image-feature\((?:no-)?([\w-]+)\)/g)].map((match) => match[1]!))
    const provided = Object.entries(request.features).filter(([feature]) => named.has(feature))
    const features = provided.length > 0
      ? ` Packages can require or conflict with image features: the variant's metadata provides ${provided.map(([feature, on]) => `image-feature(${on ? '' : 'no-'}${feature})`).join(', ')}; change [package.metadata.build-variant.image-features] or the packages.`
      : ''
    return new VariantInstallError(
      variant,
      'conflict',
      log.file,
      report.problems.length > 0 ? [] : tail,
      `dnf cannot install the packages of the variant ${variant}; it searched ${searched(repos)}:${problems}`,
      `Fix the Requires and Conflicts of the packages named above, or what the variant includes.${features}`,
      report.unprovided,
    )
  }

  if (exitCode === 3) {
    return new VariantInstallError(variant, 'metadata', log.file, tail, `The metadata RPM of the variant ${variant} failed to build.`, 'Check the SDK image: it must provide rpmbuild and the platform macros.')
  }

  if (exitCode === 5) {
    return new VariantInstallError(variant, 'rpm', log.file, tail, `rpm could not install the packages of the variant ${variant} into its root.`, 'Two packages may ship the same file, or a package may be built for another architecture.')
  }

  return new VariantInstallError(variant, 'failed', log.file, tail, `Installing the root of the variant ${variant} exited with code ${exitCode}.`, 'Check the SDK image and the log.')
}

function parseDump(text: string): DumpedRpm[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as DumpedRpm)
}

function describePackages(request: InstallRequest, dumped: DumpedRpm[]): InstalledPackage[] {
  const sources = new Map<string, string>([[METADATA_REPO_ID, 'metadata'], ...request.repos.map((repo) => [repo.id, repo.source] as [string, string])])
  const requested = [METADATA_PACKAGE, ...request.includedPackages.map((name) => `${RPM_PREFIX}${name}`)]
  const audited = dumped.map((rpm) => ({name: rpm.name, requires: [...rpm.requires, ...rpm.recommends], provides: rpm.provides}))
  const reasons = requestedBy(audited, requested)
  const edges = requiresEdges(audited)
  return [...dumped]
    .sort((a, b) => compare(a.name, b.name))
    .map((rpm) => {
      const source = rpm.repo === null ? undefined : sources.get(rpm.repo)
      if (rpm.repo === null || source === undefined) {
        throw new TwoliterError(`dnf installed ${rpm.file} for the variant ${request.variant}, but it is in none of the variant's repositories.`, {code: 'variant.install-origin'})
      }

      return {
        name: rpm.name,
        ...(rpm.epoch === null ? {} : {epoch: rpm.epoch}),
        version: rpm.version,
        release: rpm.release,
        arch: rpm.arch,
        license: rpm.license ?? '',
        summary: rpm.summary ?? '',
        ...(present(rpm.url) ? {url: rpm.url} : {}),
        ...(present(rpm.vendor) ? {vendor: rpm.vendor} : {}),
        repo: rpm.repo,
        source,
        requestedBy: reasons.get(rpm.name) ?? [],
        requires: [...(edges.get(rpm.name) ?? [])].sort(compare),
        licenseFiles: rpm.licenseFiles,
        rpm: rpm.file,
      }
    })
}

function present(value: string | null): value is string {
  return value !== null && value !== '' && value !== '(none)'
}

/**
 * application-inventory.json as rpm2img writes it: every installed RPM sorted by name; packages of
 * external kits lose the bottlerocket- prefix and name their kit as the Publisher.
 */
function applicationInventory(dumped: DumpedRpm[], repos: CompositeRepo[], installedTime: string): ApplicationInventory {
  const byId = new Map(repos.map((repo) => [repo.id, repo]))
  const content = [...dumped]
    .sort((a, b) => compare(a.name, b.name))
    .map((rpm): InventoryEntry => {
      const repo = rpm.repo === null ? undefined : byId.get(rpm.repo)
      const kit = repo?.external ? repo.source : undefined
      return {
        Name: kit !== undefined && rpm.name.startsWith(RPM_PREFIX) ? rpm.name.slice(RPM_PREFIX.length) : rpm.name,
        Publisher: kit ?? 'Bottlerocket',
        Version: rpm.version,
        Release: rpm.release,
        Epoch: rpm.epoch ?? '0',
        InstalledTime: installedTime,
        ApplicationType: present(rpm.group) ? rpm.group : 'Unspecified',
        Architecture: rpm.arch,
        Url: rpm.url ?? '(none)',
        Summary: rpm.summary ?? '',
      }
    })
  return {Content: content}
}

function compare(a: string, b: string): number {
  if (a === b) return 0
  return a < b ? -1 : 1
}
