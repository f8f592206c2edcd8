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

  /** build/kits/<kit>/: the kit's yum repository per arch and its OCI archives. */
  kitDir(kitName: string): string {
    return path.join(this.buildDir, 'kits', kitName)
  }

  /** build/kits/<kit>/<arch>/: Packages/<package>/*.rpm and repodata/. */
  kitRepoDir(kitName: string): string {
    return path.join(this.kitDir(kitName), this.arch)
  }

  /** build/kits/<kit>/<kit>-v<version>-<build id>-<arch>.tar, the name the Rust twoliter gives it. */
  kitArchive(kitName: string, version: string, buildId: string): string {
    return path.join(this.kitDir(kitName), kitArchiveName(kitName, version, buildId, this.arch))
  }

  kitStateFile(kitName: string): string {
    return path.join(this.buildDir, 'state', this.arch, 'kits', `${kitName}.json`)
  }

  kitLogFile(kitName: string): string {
    return path.join(this.buildDir, 'logs', this.arch, 'kits', `${kitName}.log`)
  }

  /** build/external-kits/: fetched kits, their OCI layout cache and external-kit-metadata.json. */
  get externalKitsDir(): string {
    return path.join(this.buildDir, 'external-kits')
  }

  /** build/external-kits/<vendor>/<kit>/<arch>/: a fetched kit's yum repository and its `digest` file. */
  externalKitDir(vendor: string, kitName: string): string {
    return path.join(this.externalKitsDir, vendor, kitName, this.arch)
  }

  /** build/external-kits/cache/: OCI layouts of pulled kit images, `sha256-<hex>` each. */
  get externalKitCacheDir(): string {
    return path.join(this.externalKitsDir, 'cache')
  }

  get externalKitMetadataFile(): string {
    return path.join(this.externalKitsDir, 'external-kit-metadata.json')
  }

  /** build/images/<arch>-<variant>/<version>-<build id>/: a variant's images and documents. */
  variantImageDir(variantName: string, versionAndBuild: string): string {
    return path.join(this.buildDir, 'images', `${this.arch}-${variantName}`, versionAndBuild)
  }

  variantStateFile(variantName: string): string {
    return path.join(this.buildDir, 'state', this.arch, 'variants', `${variantName}.json`)
  }

  variantLogFile(variantName: string): string {
    return path.join(this.buildDir, 'logs', this.arch, 'variants', `${variantName}.log`)
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

/** `<kit>-v<version>-<build id>-<arch>.tar` */
export function kitArchiveName(kitName: string, version: string, buildId: string, arch: string): string {
  return `${kitName}-v${version}-${buildId}-${arch}.tar`
}
