/** A container image reference by tag, as twoliter 0.5 writes it: `<registry>/<repo>:<tag>`. */
export class ImageUri {
  constructor(
    /** Registry host with an optional path prefix, e.g. `public.ecr.aws/bottlerocket`. */
    readonly registry: string | undefined,
    readonly repo: string,
    readonly tag: string,
  ) {}

  toString(): string {
    return this.registry === undefined ? `${this.repo}:${this.tag}` : `${this.registry}/${this.repo}:${this.tag}`
  }
}

/** Images of SDKs and kits are tagged with their version and a 'v' prefix: 1.2.3 → v1.2.3. */
export function versionTag(version: string): string {
  return `v${version}`
}
