import {constants} from 'node:fs'
import {copyFile, mkdir, readdir, stat, utimes} from 'node:fs/promises'
import path from 'node:path'

import type {Engine} from '../engine/index.js'
import {TwoliterError} from '../errors.js'
import type {BuildLog} from './build-log.js'
import {checkMountableHostPath} from './host-paths.js'
import {SDK_TOOLS_DIR} from './package-builder.js'

export const KITREPO_SCRIPT = path.join(SDK_TOOLS_DIR, 'kitrepo.sh')

/** A kit whose repository could not be made: the reason and the end of its log. */
export class KitBuildError extends TwoliterError {
  constructor(
    readonly kitName: string,
    readonly logFile: string,
    readonly logTail: string[],
    reason: string,
  ) {
    super(`kit ${kitName} failed to build: ${reason}.\n${logTail.map((line) => `    ${line}`).join('\n')}\n`, {
      hint: `The whole log is in ${logFile}.`,
      code: 'build.kit-failed',
    })
  }
}

/**
 * Whether a file of a package's output directory belongs in the kit: RPMs for the arch, without debug
 * information. rpm2kit keeps only `*.<arch>.rpm`; we keep `*.noarch.rpm` as well, because packages built
 * with the local SDK may be noarch, and a kit without them could not satisfy their dependents.
 */
export function isKitRpm(file: string, arch: string): boolean {
  if (file.includes('-debuginfo-') || file.includes('-debugsource-')) return false
  return file.endsWith(`.${arch}.rpm`) || file.endsWith('.noarch.rpm')
}

export interface KitPackageSource {
  /** The package's name: its directory under Packages/. */
  name: string
  /** build/rpms/<package>/ */
  rpmsDir: string
}

/**
 * Copies each package's RPMs into `repoDir/Packages/<package>/` and returns their paths relative to
 * `repoDir`. Their modification time is set to `mtime`: createrepo_c records it, and the same RPMs must
 * give the same repodata whenever they were built.
 */
export async function gatherKitRpms(repoDir: string, packages: readonly KitPackageSource[], arch: string, mtime: Date): Promise<string[]> {
  const gathered: string[] = []
  for (const {name, rpmsDir} of packages) {
    const files = await kitRpmsOf(rpmsDir, arch)
    if (files.length === 0) continue
    const target = path.join(repoDir, 'Packages', name)
    await mkdir(target, {recursive: true})
    for (const file of files) {
      const copy = path.join(target, file)
      await copyFile(path.join(rpmsDir, file), copy, constants.COPYFILE_FICLONE)
      await utimes(copy, mtime, mtime)
      gathered.push(`Packages/${name}/${file}`)
    }
  }

  return gathered
}

async function kitRpmsOf(rpmsDir: string, arch: string): Promise<string[]> {
  const names = (await readdir(rpmsDir)).filter((file) => isKitRpm(file, arch)).sort()
  const kept: string[] = []
  for (const file of names) {
    const info = await stat(path.join(rpmsDir, file))
    if (info.isFile() && info.size > 0) kept.push(file)
  }

  return kept
}

export interface KitRepoRequest {
  kitName: string
  projectRoot: string
  sdkImage: string
  /** The staged repository: Packages/<package>/*.rpm; repodata/ is added. */
  repoDir: string
  arch: string
  /** createrepo_c's revision and the timestamps of repodata: the build's commit time, in seconds. */
  revision: number
  log: BuildLog
  onLine?: (line: string) => void
  signal?: AbortSignal
}

/**
 * Runs createrepo_c on the staged repository in one container run of the SDK, without network, and
 * checks with dnf repoquery that the repository lists every RPM in it.
 */
export async function makeKitRepo(engine: Engine, request: KitRepoRequest): Promise<void> {
  const {log, kitName} = request
  const mounts = [
    {host: SDK_TOOLS_DIR, container: '/twoliter/tools', readOnly: true},
    {host: request.repoDir, container: '/twoliter/repo'},
  ]
  for (const mount of mounts) checkMountableHostPath(mount.host, `a directory to mount for the kit ${kitName}`)
  const {exitCode} = await engine.run(
    {
      image: request.sdkImage,
      cmd: ['/bin/bash', '/twoliter/tools/kitrepo.sh'],
      user: '0:0',
      env: {
        ARCH: request.arch,
        REVISION: String(request.revision),
        HOST_UID: String(process.getuid?.() ?? 0),
        HOST_GID: String(process.getgid?.() ?? 0),
      },
      mounts,
      network: 'none',
      labels: {'dev.twoliter.project': request.projectRoot, 'dev.twoliter.node': `kit/${kitName}`},
    },
    {
      onOutput: (text) => {
        for (const line of log.write(text)) request.onLine?.(line)
      },
      signal: request.signal,
    },
  )
  if (exitCode !== 0) throw new KitBuildError(kitName, log.file, log.lastLines(), `making its yum repository exited with code ${exitCode}`)
}
