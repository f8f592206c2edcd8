import {mkdir, mkdtemp, readdir, rename, rm, stat} from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import type {Engine} from '../engine/index.js'
import {TwoliterError} from '../errors.js'
import type {PackageMember} from '../manifest/index.js'
import type {BuildLog} from './build-log.js'
import {type OutputFile, describeOutputFiles} from './build-record.js'
import {checkMountableHostPath} from './host-paths.js'
import type {BuildLayout} from './layout.js'
import {CONTAINER_KEYS_DIR, GpgFailureReport, type RepoGpgCheck, describeGpgCheck, writeRepoKeys} from './repo-gpgcheck.js'
import type {RpmSignature} from './rpm-signing.js'

export const SDK_TOOLS_DIR = fileURLToPath(new URL('../../../assets/sdk-tools/', import.meta.url))
export const RPMBUILD_SCRIPT = path.join(SDK_TOOLS_DIR, 'rpmbuild.sh')
/** Sourced by rpmbuild.sh and variant-install.sh: part of both recipes. */
export const REPO_SIGNATURES_SCRIPT = path.join(SDK_TOOLS_DIR, 'repo-signatures.sh')

export interface PackageBuildRequest {
  member: PackageMember
  /** The package's name (package-name override, else the Cargo name): names the spec and output dir. */
  name: string
  layout: BuildLayout
  sdkImage: string
  arch: string
  dist: string
  /** Output directories (build/rpms/<name>) of the packages it is built against. */
  dependencyRpmDirs: Record<string, string>
  /** Verified external files: file name in SOURCES → local path. */
  externalFiles: Record<string, string>
  /** Yum repositories of kits it may take build dependencies from: repo id → directory. */
  kitRepos?: Record<string, string>
  /**
   * The keys dnf checks build dependencies against, by repo id: a kit's id of kitRepos, or LOCAL_DEPS_REPO
   * for the RPMs of dependencyRpmDirs. A repo without keys is not checked.
   */
  repoGpgChecks?: Record<string, RepoGpgCheck | undefined>
  /** The package's log: everything the container prints goes there. */
  log: BuildLog
  /** Called with each complete line the build prints. */
  onLine?: (line: string) => void
  signal?: AbortSignal
  /**
   * Signs the built RPMs (absolute paths in the staging directory) in place, after rpmbuild succeeded and
   * before they replace the previous outputs; a rejection fails the build and keeps those outputs.
   */
  sign?: (rpms: string[]) => Promise<RpmSignature>
}

export interface PackageBuildOutputs {
  outputs: OutputFile[]
  /** How the RPMs were signed, when they were. */
  signature?: RpmSignature
}

/** The repo id rpmbuild.sh gives the RPMs of the packages a package is built against. */
export const LOCAL_DEPS_REPO = 'local'

export class PackageBuildError extends TwoliterError {
  constructor(
    readonly packageName: string,
    readonly logFile: string,
    readonly logTail: string[],
    reason: string,
  ) {
    super(`package ${packageName} failed to build: ${reason}.\n${logTail.map((line) => `    ${line}`).join('\n')}\n`, {
      hint: `The whole log is in ${logFile}.`,
      code: 'build.package-failed',
    })
  }
}

/**
 * Builds one package in a container run of the SDK, with no network. The RPMs are written to a staging
 * directory and renamed into build/rpms/<package>/ only when the build succeeded, so an interrupted or
 * failed build leaves the previous outputs as they were. With `sign`, the staged RPMs are signed before that.
 */
export async function buildPackage(engine: Engine, request: PackageBuildRequest): Promise<PackageBuildOutputs> {
  const {layout, name} = request
  const sourcesDir = path.join(layout.projectRoot, 'sources')
  const hasSources = await stat(sourcesDir).then((s) => s.isDirectory(), () => false)
  const mounts = [
    {host: request.member.dir, container: '/twoliter/input', readOnly: true},
    {host: SDK_TOOLS_DIR, container: '/twoliter/tools', readOnly: true},
    ...Object.entries(request.externalFiles).map(([file, host]) => ({host, container: `/twoliter/external/${file}`, readOnly: true})),
    ...Object.entries(request.dependencyRpmDirs).map(([dependency, host]) => ({host, container: `/twoliter/deps/${dependency}`, readOnly: true})),
    ...Object.entries(request.kitRepos ?? {}).map(([id, host]) => ({host, container: `/twoliter/kits/${id}`, readOnly: true})),
    ...(hasSources ? [{host: sourcesDir, container: '/home/builder/rpmbuild/BUILD/sources', readOnly: true}] : []),
  ]
  for (const mount of mounts) checkMountableHostPath(mount.host, `a directory to mount for ${name}`)

  await mkdir(layout.stagingDir, {recursive: true})
  const staging = await mkdtemp(path.join(layout.stagingDir, `${name}-`))
  const output = path.join(staging, 'output')
  await mkdir(output)
  const keysDir = path.join(staging, 'keys')
  const {log} = request
  const gpgReport = new GpgFailureReport()
  try {
    await writeRepoKeys(keysDir, request.repoGpgChecks ?? {})
    const {exitCode} = await engine.run(
      {
        image: request.sdkImage,
        cmd: ['/bin/bash', '/twoliter/tools/rpmbuild.sh'],
        user: '0:0',
        env: {
          PACKAGE: name,
          ARCH: request.arch,
          DIST: request.dist,
          HOST_UID: String(process.getuid?.() ?? 0),
          HOST_GID: String(process.getgid?.() ?? 0),
        },
        mounts: [...mounts, {host: keysDir, container: CONTAINER_KEYS_DIR, readOnly: true}, {host: output, container: '/twoliter/output'}],
        network: 'none',
        labels: {'dev.twoliter.project': layout.projectRoot, 'dev.twoliter.node': `package/${name}`},
      },
      {
        onOutput: (text) => {
          for (const line of log.write(text)) {
            gpgReport.line(line)
            request.onLine?.(line)
          }
        },
        signal: request.signal,
      },
    )
    if (exitCode === 6) throw buildDependencySignatureFailure(request, gpgReport)
    if (exitCode !== 0) throw new PackageBuildError(name, log.file, log.lastLines(), `the build exited with code ${exitCode}`)

    const rpms = (await readdir(output)).filter((file) => file.endsWith('.rpm')).sort()
    if (rpms.length === 0) throw new PackageBuildError(name, log.file, log.lastLines(), 'it produced no RPM')
    let signature: RpmSignature | undefined
    if (request.sign !== undefined) {
      for (const line of log.write(`twoliter: signing ${rpms.length} RPM${rpms.length === 1 ? '' : 's'}\n`)) request.onLine?.(line)
      signature = await request.sign(rpms.map((rpm) => path.join(output, rpm)))
      for (const line of log.write(`twoliter: signed with GPG key ${signature.keyId}\n`)) request.onLine?.(line)
    }

    await replaceDirectory(output, layout.rpmsDir(name), staging)
    return {outputs: await describeOutputFiles(layout.rpmsDir(name), rpms), signature}
  } finally {
    await rm(staging, {recursive: true, force: true})
  }
}

/** A build dependency whose signature the keys of its repository refuse: which repo, which RPM, what to do. */
function buildDependencySignatureFailure(request: PackageBuildRequest, report: GpgFailureReport): TwoliterError {
  const checks = request.repoGpgChecks ?? {}
  const describeRepo = (id: string | undefined) => {
    if (id === undefined) return ''
    const check = checks[id]
    const what = id === LOCAL_DEPS_REPO ? "the project's packages it is built against" : `kit repository ${id}`
    return ` of ${what}${check === undefined ? '' : `, checked against ${describeGpgCheck(check)}`}`
  }

  const refused = report.refused.map((entry) => `${entry.rpm}${describeRepo(entry.repo)}: ${entry.reason}`)
  const trusts = new Set(report.refused.map((entry) => (entry.repo === undefined ? undefined : checks[entry.repo]?.trust)))
  const hints: string[] = []
  if (trusts.has('vendor-keys')) hints.push("An external kit must be signed with a GPG key its vendor lists in signing-keys in Twoliter.toml: check that the vendor's current public key is listed there, and fetch the kit again (`twoliter fetch`).")
  if (trusts.has('kit-key')) hints.push("A kit's RPMs must verify against the RPM-GPG-KEY it carries; when they do not, the kit was changed after it was built: build the local kit again (`twoliter build kit <kit> --force`), or fetch the external kit again (`twoliter fetch`).")
  if (trusts.has('project-key')) hints.push('The packages it is built against must be signed with the key of Infra.toml [rpm-signing]: build them again with --force.')
  if (hints.length === 0) hints.push('Build or fetch the kits again, and check signing-keys in Twoliter.toml.')
  const tail = refused.length > 0 ? '' : `\n${request.log.lastLines().map((line) => `    ${line}`).join('\n')}\n`
  return new TwoliterError(
    `package ${request.name} failed to build: the signature of ${refused.length > 1 ? `${refused.length} build dependencies` : 'a build dependency'} is refused${refused.length > 0 ? `: ${refused.join('; ')}` : ''}.${tail}`,
    {hint: `${hints.join(' ')} The whole log is in ${request.log.file}.`, code: 'build.package-signature-refused'},
  )
}

/** Puts `source` at `target`, moving whatever was there out of the way first; both renames are atomic. */
async function replaceDirectory(source: string, target: string, staging: string): Promise<void> {
  await mkdir(path.dirname(target), {recursive: true})
  const previous = path.join(staging, 'previous')
  const hadPrevious = await rename(target, previous).then(() => true, (error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return false
    throw error
  })
  try {
    await rename(source, target)
  } catch (error) {
    if (hadPrevious) await rename(previous, target)
    throw error
  }
}
