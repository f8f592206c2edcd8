/**
 * The pieces a variant build passes between its phases: the partition plan (computed in TypeScript), the
 * packages installed into the root (with where each came from), and the disk image outputs.
 */

import type {ImageFeatures, ImageFormat, PartitionPlan as PartitionPlanName} from '../manifest/index.js'

export type PartitionRole = 'bios-boot' | 'efi' | 'boot' | 'root' | 'hash' | 'reserved' | 'private' | 'data' | 'custom'

export interface PartitionSpec {
  /** GPT partition name, e.g. BOTTLEROCKET-ROOT-A. Empty for the unlabeled data partition. */
  label: string
  /** GPT type GUID (lower case), or an sgdisk type code like `ef02`. */
  typeGuid: string
  /** GPT unique partition GUID when it must be fixed (the data partition); random otherwise. */
  uniqueGuid?: string
  startMiB: number
  sizeMiB: number
  role: PartitionRole
  /** A or B for the partitions of an update bank. */
  bank?: 'A' | 'B'
  /** sgdisk attribute bits to set (e.g. gptprio bits 48 and 56 on BOOT-A). */
  attributeBits?: number[]
}

export interface DiskLayout {
  disk: 'os' | 'data'
  sizeMiB: number
  partitions: PartitionSpec[]
}

export interface PartitionPlan {
  plan: PartitionPlanName | 'custom'
  inPlaceUpdates: boolean
  /** The OS disk first; a split plan has the data disk second. */
  disks: DiskLayout[]
}

/** One package installed into the variant's root. */
export interface InstalledPackage {
  name: string
  epoch?: string
  version: string
  release: string
  arch: string
  license: string
  summary: string
  url?: string
  vendor?: string
  /** The dnf repository it came from: `local` (the project's packages), a kit repo id, or `metadata`. */
  repo: string
  /** The kit it came from (its name), `local` for the project's own packages, `metadata` for the metadata RPM. */
  source: string
  /** The included-packages (RPM names) whose Requires pulled it in; itself when it was requested. */
  requestedBy: string[]
  /**
   * The installed packages its Requires (and Recommends) lead to, by name, sorted; the edges requestedBy
   * follows. Absent in audits written before it was recorded.
   */
  requires?: string[]
  /** License files it ships (paths in the root, e.g. /usr/share/licenses/x/LICENSE). */
  licenseFiles: string[]
  /** The RPM file name. */
  rpm: string
}

export interface VariantImageOptions {
  variant: string
  arch: string
  version: string
  buildId: string
  format: ImageFormat
  features: ImageFeatures
  kernelParameters: string[]
}
