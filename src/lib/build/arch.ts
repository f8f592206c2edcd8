import {UsageError} from '../errors.js'
import {ARCHES, type Arch} from '../manifest/index.js'

/** The host's architecture in Bottlerocket's terms: the default --arch (the Rust twoliter always used x86_64). */
export function hostArch(): Arch {
  return process.arch === 'arm64' ? 'aarch64' : 'x86_64'
}

export function parseArch(value: string): Arch {
  const normalized = value === 'amd64' ? 'x86_64' : value === 'arm64' ? 'aarch64' : value
  if (!(ARCHES as readonly string[]).includes(normalized)) {
    throw new UsageError(`--arch ${value} is not an architecture Bottlerocket builds for.`, {hint: `Use ${ARCHES.join(' or ')}.`, code: 'build.arch'})
  }

  return normalized as Arch
}
