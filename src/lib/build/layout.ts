import path from 'node:path'

/** Where builds put things, as in the Rust twoliter (build/rpms/<package>/, ...) plus our own state and logs. */
export class BuildLayout {
  constructor(
    readonly projectRoot: string,
    readonly arch: string,
  ) {}

  get buildDir(): string {
    return path.join(this.projectRoot, 'build')
  }

  rpmsDir(packageName: string): string {
    return path.join(this.buildDir, 'rpms', packageName)
  }

  /** Our cache records: what each output was built from. */
  packageStateFile(packageName: string): string {
    return path.join(this.buildDir, 'state', this.arch, 'packages', `${packageName}.json`)
  }

  packageLogFile(packageName: string): string {
    return path.join(this.buildDir, 'logs', this.arch, 'packages', `${packageName}.log`)
  }

  /** Scratch space for builds in progress; on the same file system as the outputs, so renames are atomic. */
  get stagingDir(): string {
    return path.join(this.buildDir, '.staging')
  }

  get lockFile(): string {
    return path.join(this.buildDir, '.twoliter-build.lock')
  }
}

/** The download cache of external files, shared by every project of the user. */
export function downloadCacheDir(cacheRoot: string): string {
  return path.join(cacheRoot, 'downloads')
}
