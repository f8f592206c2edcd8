/** The platform of an image (OCI `platform` object) and the architecture names twoliter accepts. */

import {TwoliterError} from '../errors.js'

export interface Platform {
  /** OCI (Go) architecture name: `amd64`, `arm64`. */
  architecture: string
  os: string
  variant?: string
}

// Bottlerocket names architectures as the kernel does; images use Go's names.
const OCI_ARCHITECTURE: Readonly<Record<string, string>> = {
  x86_64: 'amd64',
  amd64: 'amd64',
  aarch64: 'arm64',
  arm64: 'arm64',
}

/** The OCI platform for a Bottlerocket (`x86_64`, `aarch64`) or OCI (`amd64`, `arm64`) architecture. */
export function linuxPlatform(architecture: string): Platform {
  const oci = OCI_ARCHITECTURE[architecture]
  if (oci === undefined) {
    throw new TwoliterError(`'${architecture}' is not an architecture twoliter builds for.`, {
      hint: 'Use x86_64 or aarch64.',
      code: 'oci.architecture-unknown',
    })
  }

  return {architecture: oci, os: 'linux'}
}

/** Whether an image's platform is the one wanted; a variant only matters when both name one. */
export function platformMatches(candidate: Platform | undefined, wanted: Platform): boolean {
  if (candidate === undefined) return false
  if (candidate.architecture !== wanted.architecture || candidate.os !== wanted.os) return false
  return candidate.variant === undefined || wanted.variant === undefined || candidate.variant === wanted.variant
}

/** `os/architecture[/variant]`, as docker prints platforms. */
export function formatPlatform(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter((part) => part !== undefined).join('/')
}
