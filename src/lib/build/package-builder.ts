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
import type {RpmSignature} from './rpm-signing.js'

export const SDK_TOOLS_DIR = fileURLToPath(new URL('../../../assets/sdk-tools/', import.meta.url))
export const RPMBUILD_SCRIPT = path.join(SDK_TOOLS_DIR, 'rpmbuild.sh')

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
  const {log} = request
  try {
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
        mounts: [...mounts, {host: output, container: '/twoliter/output'}],
        network: 'none',
        labels: {'dev.twoliter.project': layout.projectRoot, 'dev.twoliter.node': `package/${name}`},
      },
      {
        onOutput: (text) => {
          for (const line of log.write(text)) request.onLine?.(line)
        },
        signal: request.signal,
      },
    )
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
