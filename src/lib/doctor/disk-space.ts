import {statfs} from 'node:fs/promises'
import path from 'node:path'

import {type CheckResult, defineCheck} from './check.js'

export const DISK_SPACE_CHECK = defineCheck('disk-space', 'Free disk space')

export const GiB = 1024 ** 3

/** Free bytes under which the check warns, and under which it fails. */
export interface DiskThresholds {
  warnBelow: number
  failBelow: number
}

export const DEFAULT_DISK_THRESHOLDS: DiskThresholds = {warnBelow: 10 * GiB, failBelow: 2 * GiB}

export interface FreeSpace {
  /** The directory asked about: it may not exist yet (a project's build/ before its first build). */
  dir: string
  /** Bytes an unprivileged user may still write on its file system. */
  freeBytes: number
}

/** The free space of the file system `dir` is (or will be) on: that of its nearest existing ancestor. */
export async function measureFreeSpace(dir: string): Promise<FreeSpace> {
  for (let candidate = path.resolve(dir); ; candidate = path.dirname(candidate)) {
    try {
      const stats = await statfs(candidate)
      return {dir, freeBytes: stats.bavail * stats.bsize}
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(candidate) === candidate) throw error
    }
  }
}

export function checkDiskSpace(space: FreeSpace, thresholds: DiskThresholds = DEFAULT_DISK_THRESHOLDS): CheckResult {
  const detail = `${formatBytes(space.freeBytes)} free for ${space.dir}`
  const fix = `Free space on that file system, or build elsewhere: builds write packages, images and logs there and need at least ${formatBytes(thresholds.warnBelow)}. \`twoliter build clean --all\` removes a project's build outputs and caches; \`docker system prune\` removes unused images when the engine keeps them on the same disk.`
  if (space.freeBytes < thresholds.failBelow) return DISK_SPACE_CHECK.fail(`${detail}: less than ${formatBytes(thresholds.failBelow)}, builds will run out of space.`, fix)
  if (space.freeBytes < thresholds.warnBelow) return DISK_SPACE_CHECK.warn(`${detail}: less than ${formatBytes(thresholds.warnBelow)}, large builds may run out of space.`, fix)
  return DISK_SPACE_CHECK.ok(detail)
}

/** `77.0 GiB`, `512 MiB`, `20 KiB`: binary units, one decimal from GiB up. */
export function formatBytes(bytes: number): string {
  if (bytes >= GiB) return `${(bytes / GiB).toFixed(1)} GiB`
  if (bytes >= 1024 ** 2) return `${Math.floor(bytes / 1024 ** 2)} MiB`
  if (bytes >= 1024) return `${Math.floor(bytes / 1024)} KiB`
  return `${bytes} bytes`
}
