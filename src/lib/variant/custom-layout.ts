/**
 * A project's own partition layout (a twoliter extension; the Rust twoliter ignores the table), used
 * instead of the reference's plan when a variant gives one:
 *
 * ```toml
 * [package.metadata.build-variant.partition-layout]
 * os-disk-size-mib = 4096
 * data-disk-size-mib = 2048          # optional: a separate data disk
 *
 * [[package.metadata.build-variant.partition-layout.os]]
 * role = "bios-boot"                 # label defaults to BIOS-BOOT
 * size-mib = 4
 *
 * [[package.metadata.build-variant.partition-layout.os]]
 * label = "BOTTLEROCKET-BOOT-A"      # optional for every role but "custom"
 * role = "boot"
 * size-mib = 40
 * bank = "A"                         # A (default) or B, for efi, boot, root, hash, reserved
 * type = "6b636168-7420-6568-2070-6c616e657421"   # optional: the reference's type for the role
 *
 * # ... root, hash, reserved, then bank B, private ...
 *
 * [[package.metadata.build-variant.partition-layout.data]]
 * role = "data"
 * size-mib = 2046
 * ```
 *
 * Roles: bios-boot, efi, boot, root, hash, reserved, private, data, custom. Partitions are laid out in the
 * order written, from MiB 1 of their disk; the last MiB is left for the backup GPT. A layout with any
 * bank B partition has in-place updates, and then each bank needs boot, root and hash, in that order.
 * Labels default to the reference's (BOTTLEROCKET-ROOT-B, EFI-SYSTEM, ...; data stays unlabelled),
 * types to the reference's type GUID for the role, and data partitions get the reference's fixed unique
 * GUIDs (the preferred one on the data disk, or on the os disk when there is no data disk).
 */

import {type SourceLocation, TwoliterError} from '../errors.js'
import {locate, suggestKey} from '../toml/document.js'
import {type TableReader, quoteList} from '../toml/table-reader.js'
import type {Logger} from '../ui/logger.js'
import {BANK_ROLES, BOOT_A_ATTRIBUTE_BITS, DATA_PARTITION_GUIDS, checkPartitionPlan, standardLabel, standardType} from './partition-plan.js'
import type {PartitionPlan, PartitionRole, PartitionSpec} from './types.js'

export const PARTITION_ROLES: readonly PartitionRole[] = ['bios-boot', 'efi', 'boot', 'root', 'hash', 'reserved', 'private', 'data', 'custom']

export interface CustomPartition {
  label: string
  role: PartitionRole
  sizeMiB: number
  /** A lower-case GPT type GUID or sgdisk type code; the reference's type for the role when absent. */
  type?: string
  bank?: 'A' | 'B'
  /** Where the partition's table is written. */
  location?: SourceLocation
}

export interface CustomDisk {
  disk: 'os' | 'data'
  sizeMiB: number
  partitions: CustomPartition[]
  /** Where the disk's size is written. */
  location?: SourceLocation
}

export interface CustomLayout {
  /** The os disk, then the data disk when there is one. */
  disks: CustomDisk[]
  /** Where the partition-layout table is written. */
  location: SourceLocation
}

const GPT_MIB = 1
const MAX_MIB = 2 ** 32
const LAYOUT_KEYS = ['os-disk-size-mib', 'data-disk-size-mib', 'os', 'data'] as const
const PARTITION_KEYS = ['label', 'role', 'size-mib', 'type', 'bank'] as const
const BANKS = ['A', 'B'] as const
const TYPE = /^(?:[\dA-Fa-f]{8}-[\dA-Fa-f]{4}-[\dA-Fa-f]{4}-[\dA-Fa-f]{4}-[\dA-Fa-f]{12}|[\dA-Fa-f]{4})$/

/** Reads `[package.metadata.build-variant.partition-layout]`; the plan itself is checked by customPartitionPlan. */
export function parseCustomLayout(table: TableReader, logger: Logger): CustomLayout {
  table.warnAboutTypos(LAYOUT_KEYS, logger)
  const osSize = requiredSize(table, 'os-disk-size-mib', 'os-disk-size-mib = 4096')
  const osPartitions = table.arrayOfTables('os')
  if (osPartitions.length === 0) {
    throw table.error(undefined, `${table.keyName()} has no partitions for the os disk.`, {
      hint: `Add one [[${table.keyName('os')}]] table per partition, in disk order.`,
      code: 'variant.layout-missing-role',
    })
  }

  const disks: CustomDisk[] = [
    {disk: 'os', sizeMiB: osSize, partitions: osPartitions.map((entry) => parsePartition(entry, logger)), location: where(table, 'os-disk-size-mib')},
  ]

  const dataSize = table.integer('data-disk-size-mib', GPT_MIB * 2 + 1, MAX_MIB)
  const dataPartitions = table.arrayOfTables('data')
  if (dataSize === undefined && dataPartitions.length > 0) {
    throw table.error(['data', 0], `${table.keyName()} has partitions for a data disk but no data-disk-size-mib.`, {
      hint: 'Add data-disk-size-mib = SIZE for the separate data disk, or move the partitions to the os disk.',
      code: 'variant.layout-disks',
    })
  }

  if (dataSize !== undefined) {
    if (dataPartitions.length === 0) {
      throw table.error('data-disk-size-mib', `${table.keyName('data-disk-size-mib')} asks for a data disk, but no partitions are given for it.`, {
        hint: `Add a [[${table.keyName('data')}]] table with role = "data", or remove data-disk-size-mib.`,
        code: 'variant.layout-missing-role',
      })
    }

    disks.push({disk: 'data', sizeMiB: dataSize, partitions: dataPartitions.map((entry) => parsePartition(entry, logger)), location: where(table, 'data-disk-size-mib')})
  }

  return {disks, location: where(table, undefined)}
}

function requiredSize(table: TableReader, key: string, example: string): number {
  table.required(key, {example})
  return table.integer(key, GPT_MIB * 2 + 1, MAX_MIB) as number
}

function where(table: TableReader, key: string | undefined): SourceLocation {
  return locate(table.document, key === undefined ? table.path : [...table.path, key])
}

function parsePartition(entry: TableReader, logger: Logger): CustomPartition {
  entry.warnAboutTypos(PARTITION_KEYS, logger)
  const role = parseRole(entry)
  entry.required('size-mib', {example: 'size-mib = 40'})
  const sizeMiB = entry.integer('size-mib', 1, MAX_MIB) as number
  const bank = entry.oneOf('bank', BANKS)
  if (bank !== undefined && !BANK_ROLES.includes(role)) {
    throw entry.error('bank', `${entry.keyName('bank')} is given for a partition with role ${role}, which is not part of an update bank.`, {
      hint: `Remove bank; only ${quoteList(BANK_ROLES)} partitions belong to bank A or B.`,
      code: 'variant.layout-bank',
    })
  }

  const type = entry.string('type', {
    pattern: TYPE,
    patternText: 'a GPT type GUID like "0fc63daf-8483-4772-8e79-3d69d8477de4" or a four-digit sgdisk type code like "8300"',
  })
  const standard = standardLabel(role, bank)
  const label = entry.string('label') ?? standard
  if (label === undefined) {
    throw entry.error(undefined, `${entry.keyName()} has role custom but no label.`, {
      hint: 'Add label = "NAME": a partition of your own has no standard name.',
      code: 'variant.layout-label',
    })
  }

  if (standard !== undefined && label !== standard) {
    const at = locate(entry.document, [...entry.path, 'label'])
    const expected = standard === '' ? 'no label (Bottlerocket labels the data partition it uses at boot)' : standard
    logger.warn(`${at.file}:${at.line ?? '?'}: the ${role} partition is labelled "${label}"; Bottlerocket looks for ${expected}.`)
  }

  return {
    label,
    role,
    sizeMiB,
    ...(type === undefined ? {} : {type: type.toLowerCase()}),
    ...(bank === undefined ? {} : {bank}),
    location: locate(entry.document, entry.path),
  }
}

function parseRole(entry: TableReader): PartitionRole {
  const role = entry.requiredString('role', {example: 'role = "root"'})
  if ((PARTITION_ROLES as readonly string[]).includes(role)) return role as PartitionRole
  const suggestion = suggestKey(role, PARTITION_ROLES)
  const didYouMean = suggestion ? ` Did you mean "${suggestion}"?` : ''
  throw entry.error('role', `${entry.keyName('role')} = ${JSON.stringify(role)} is not a partition role.${didYouMean}`, {
    hint: `The roles are ${quoteList(PARTITION_ROLES)}.`,
    code: 'variant.layout-unknown-role',
  })
}

/** The layout as a plan: partitions one after another from MiB 1 of their disk, then checked like any plan. */
export function customPartitionPlan(layout: CustomLayout): PartitionPlan {
  const hasDataDisk = layout.disks.some((disk) => disk.disk === 'data')
  const disks = layout.disks.map((disk) => {
    const partitionsMiB = disk.partitions.reduce((sum, partition) => sum + partition.sizeMiB, 0)
    const needed = partitionsMiB + GPT_MIB * 2
    if (needed > disk.sizeMiB) {
      throw new TwoliterError(
        `the partitions of the ${disk.disk} disk need ${needed} MiB but ${disk.disk}-disk-size-mib is ${disk.sizeMiB}: ${partitionsMiB} MiB of partitions, and 1 MiB for each copy of the GPT.`,
        {
          hint: `Raise ${disk.disk}-disk-size-mib to at least ${needed}, or shrink the partitions by ${needed - disk.sizeMiB} MiB.`,
          code: 'variant.layout-too-small',
          location: disk.location ?? layout.location,
        },
      )
    }

    let offset = GPT_MIB
    const partitions = disk.partitions.map((partition): PartitionSpec => {
      const bank = partition.bank ?? (BANK_ROLES.includes(partition.role) ? 'A' : undefined)
      const spec: PartitionSpec = {
        label: partition.label,
        typeGuid: partition.type ?? standardType(partition.role, bank),
        startMiB: offset,
        sizeMiB: partition.sizeMiB,
        role: partition.role,
        ...(bank === undefined ? {} : {bank}),
        ...(partition.role === 'boot' && bank === 'A' ? {attributeBits: [...BOOT_A_ATTRIBUTE_BITS]} : {}),
        ...(partition.role === 'data' ? {uniqueGuid: dataGuid(disk.disk, hasDataDisk)} : {}),
      }
      offset += partition.sizeMiB
      return spec
    })
    return {disk: disk.disk, sizeMiB: disk.sizeMiB, partitions}
  })

  const inPlaceUpdates = disks.some((disk) => disk.partitions.some((partition) => partition.bank === 'B'))
  const plan: PartitionPlan = {plan: 'custom', inPlaceUpdates, disks}
  checkPartitionPlan(plan, {
    plan: layout.location,
    disk: (index) => layout.disks[index]?.location,
    partition: (diskIndex, index) => layout.disks[diskIndex]?.partitions[index]?.location,
  })
  return plan
}

/** Bottlerocket picks the data partition with the preferred GUID, and falls back to the other. */
function dataGuid(disk: 'os' | 'data', hasDataDisk: boolean): string {
  return disk === 'data' || !hasDataDisk ? DATA_PARTITION_GUIDS.preferred : DATA_PARTITION_GUIDS.fallback
}
