/**
 * The disk layout of a variant image: the reference's partyplanner (split or unified, one or two update
 * banks, sizes scaled by the OS image size), the sgdisk arguments that create it, and the checks every
 * plan, including a project's own layout, must pass before an image is built.
 */

import {type SourceLocation, TwoliterError} from '../errors.js'
import {ARCHES} from '../manifest/types.js'
import type {DiskLayout, PartitionPlan, PartitionRole, PartitionSpec} from './types.js'

/** GPT partition type GUIDs and sgdisk type codes, as the reference's partyplanner defines them. */
export const PARTITION_TYPES = {
  bootA: '6b636168-7420-6568-2070-6c616e657421',
  root: '5526016a-1a97-4ea4-b39a-b7c8c6ca4502',
  hash: '598f10af-c955-4456-6a99-7720068a6cea',
  reserved: '0c5d99a5-d331-4147-baef-08e2b855bdc9',
  private: '440408bb-eb0b-4328-a6e5-a29038fad706',
  data: '626f7474-6c65-6474-6861-726d61726b73',
  biosBoot: 'ef02',
  efiSystem: 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b',
  efiBackup: 'b39ce39c-0a00-b4ab-2d11-f18f8237a21c',
  /** Not in the reference: the generic Linux file system type, for a project's own extra partitions. */
  linuxData: '0fc63daf-8483-4772-8e79-3d69d8477de4',
} as const

/**
 * Unique partition GUIDs of the data partitions. Bottlerocket decides at boot which data partition to use
 * by these GUIDs: the preferred one when it exists, else the fallback.
 */
export const DATA_PARTITION_GUIDS = {
  preferred: '5b94e8df-28b8-485c-9d19-362263b5944c',
  fallback: '69040874-417d-4e26-a764-7885f22007ea',
} as const

/** gptprio bits GRUB reads on the boot partitions: 48 = priority, 56 = successful. */
export const BOOT_A_ATTRIBUTE_BITS: readonly number[] = [48, 56]

/** Roles that come once per update bank. */
export const BANK_ROLES: readonly PartitionRole[] = ['efi', 'boot', 'root', 'hash', 'reserved']

/** The GPT name field holds 36 UTF-16 code units. */
export const MAX_LABEL_LENGTH = 36
const MAX_PARTITIONS = 128
const SECTORS_PER_MIB = 2048

// The reference's constants (MiB): fixed sizes, and per-GiB scale factors of the OS image.
const GPT_MIB = 1
const BIOS_MIB = 4
const EFI_MIB = 5
const DATA_A_MIB = 1
const BOOT_SCALE = 20
const ROOT_SCALE = 460
const HASH_SCALE = 5
const RESERVE_SCALE = 15
const PRIVATE_SCALE = 24

/** The standard GPT name of a partition with this role and bank; empty for data, which is labelled at boot. */
export function standardLabel(role: PartitionRole, bank: 'A' | 'B' | undefined): string | undefined {
  switch (role) {
    case 'bios-boot':
      return 'BIOS-BOOT'
    case 'efi':
      return bank === 'B' ? 'EFI-BACKUP' : 'EFI-SYSTEM'
    case 'boot':
    case 'root':
    case 'hash':
    case 'reserved':
      return `BOTTLEROCKET-${role.toUpperCase()}-${bank ?? 'A'}`
    case 'private':
      return 'BOTTLEROCKET-PRIVATE'
    case 'data':
      return ''
    case 'custom':
      return undefined
  }
}

/** The reference's GPT type of a partition with this role and bank. */
export function standardType(role: PartitionRole, bank: 'A' | 'B' | undefined): string {
  switch (role) {
    case 'bios-boot':
      return PARTITION_TYPES.biosBoot
    case 'efi':
      return bank === 'B' ? PARTITION_TYPES.efiBackup : PARTITION_TYPES.efiSystem
    case 'boot':
      return PARTITION_TYPES.bootA
    case 'root':
      return PARTITION_TYPES.root
    case 'hash':
      return PARTITION_TYPES.hash
    case 'reserved':
      return PARTITION_TYPES.reserved
    case 'private':
      return PARTITION_TYPES.private
    case 'data':
      return PARTITION_TYPES.data
    case 'custom':
      return PARTITION_TYPES.linuxData
  }
}

export interface ReferencePlanOptions {
  arch: string
  osImageSizeGiB: number
  dataImageSizeGiB: number
  partitionPlan: 'split' | 'unified'
  inPlaceUpdates: boolean
}

/**
 * The reference's partyplanner. BIOS-BOOT is on every architecture: the reference allocates it
 * unconditionally and only runs grub-bios-setup on x86_64, so aarch64 images keep the same offsets.
 */
export function referencePartitionPlan(options: ReferencePlanOptions): PartitionPlan {
  const {osImageSizeGiB: os, dataImageSizeGiB: data, partitionPlan, inPlaceUpdates} = options
  checkReferenceOptions(options)

  const boot = os * BOOT_SCALE
  const root = os * ROOT_SCALE
  const hash = os * HASH_SCALE
  const reserved = os * RESERVE_SCALE - EFI_MIB
  const privateSize = os * PRIVATE_SCALE - (GPT_MIB * 2 + BIOS_MIB) - DATA_A_MIB

  const partitions: PartitionSpec[] = []
  let offset = GPT_MIB
  const add = (spec: Omit<PartitionSpec, 'startMiB'>) => {
    partitions.push({...spec, startMiB: offset})
    offset += spec.sizeMiB
  }

  const bankPartition = (role: PartitionRole, bank: 'A' | 'B', sizeMiB: number): Omit<PartitionSpec, 'startMiB'> => ({
    label: standardLabel(role, bank) ?? '',
    typeGuid: standardType(role, bank),
    sizeMiB,
    role,
    bank,
    ...(role === 'boot' && bank === 'A' ? {attributeBits: [...BOOT_A_ATTRIBUTE_BITS]} : {}),
  })

  add({label: 'BIOS-BOOT', typeGuid: PARTITION_TYPES.biosBoot, sizeMiB: BIOS_MIB, role: 'bios-boot'})
  const banks: Array<'A' | 'B'> = inPlaceUpdates ? ['A', 'B'] : ['A']
  // Without in-place updates the single bank takes the space of both.
  const scale = inPlaceUpdates ? 1 : 2
  for (const bank of banks) {
    add(bankPartition('efi', bank, EFI_MIB * scale))
    add(bankPartition('boot', bank, boot * scale))
    add(bankPartition('root', bank, root * scale))
    add(bankPartition('hash', bank, hash * scale))
    add(bankPartition('reserved', bank, reserved * scale))
  }

  add({label: 'BOTTLEROCKET-PRIVATE', typeGuid: PARTITION_TYPES.private, sizeMiB: privateSize, role: 'private'})

  const disks: DiskLayout[] = []
  if (partitionPlan === 'split') {
    add({label: '', typeGuid: PARTITION_TYPES.data, uniqueGuid: DATA_PARTITION_GUIDS.fallback, sizeMiB: DATA_A_MIB, role: 'data'})
    disks.push(
      {disk: 'os', sizeMiB: os * 1024, partitions},
      {
        disk: 'data',
        sizeMiB: data * 1024,
        partitions: [
          {
            label: '',
            typeGuid: PARTITION_TYPES.data,
            uniqueGuid: DATA_PARTITION_GUIDS.preferred,
            startMiB: GPT_MIB,
            sizeMiB: data * 1024 - GPT_MIB * 2,
            role: 'data',
          },
        ],
      },
    )
  } else {
    add({label: '', typeGuid: PARTITION_TYPES.data, uniqueGuid: DATA_PARTITION_GUIDS.preferred, sizeMiB: data * 1024, role: 'data'})
    disks.push({disk: 'os', sizeMiB: (os + data) * 1024, partitions})
  }

  const plan: PartitionPlan = {plan: partitionPlan, inPlaceUpdates, disks}
  validatePartitionPlan(plan, {file: 'the reference partition plan'})
  return plan
}

function checkReferenceOptions(options: ReferencePlanOptions): void {
  const where = '[package.metadata.build-variant.image-layout]'
  if (!(ARCHES as readonly string[]).includes(options.arch)) {
    throw new TwoliterError(`there is no partition plan for the architecture "${options.arch}".`, {
      hint: `Build for one of ${ARCHES.join(', ')}.`,
      code: 'variant.layout-arch',
    })
  }

  if (!Number.isInteger(options.osImageSizeGiB) || options.osImageSizeGiB < 1) {
    throw new TwoliterError(`an OS image of ${options.osImageSizeGiB} GiB cannot hold the partition plan: it needs at least 1 GiB.`, {
      hint: `Set os-image-size-gib to 1 or more in ${where}.`,
      code: 'variant.layout-too-small',
    })
  }

  if (!Number.isInteger(options.dataImageSizeGiB) || options.dataImageSizeGiB < 1) {
    throw new TwoliterError(`a data image of ${options.dataImageSizeGiB} GiB leaves no room for the data partition.`, {
      hint: `Set data-image-size-gib to 1 or more in ${where}.`,
      code: 'variant.layout-too-small',
    })
  }
}

/**
 * The sgdisk arguments that make a fresh GPT with the disk's partitions, numbered in the order they are
 * listed; the caller adds the image path. Ends are given in sectors: the sector before the next MiB.
 * Random unique GUIDs are sgdisk's default, so `-u` appears only for fixed ones.
 */
export function sgdiskArguments(disk: DiskLayout): string[] {
  const args = ['--clear']
  for (const [index, partition] of disk.partitions.entries()) {
    const number = index + 1
    const first = partition.startMiB * SECTORS_PER_MIB
    const last = (partition.startMiB + partition.sizeMiB) * SECTORS_PER_MIB - 1
    args.push('-n', `${number}:${first}:${last}`)
    if (partition.label !== '') args.push('-c', `${number}:${partition.label}`)
    args.push('-t', `${number}:${partition.typeGuid}`)
    if (partition.uniqueGuid !== undefined) args.push('-u', `${number}:${partition.uniqueGuid}`)
    for (const bit of partition.attributeBits ?? []) args.push('-A', `${number}:set:${bit}`)
  }

  return args
}

/** Where a plan's problems are reported: the whole plan, and optionally each disk and partition. */
export interface PlanPlaces {
  plan: SourceLocation
  disk?(diskIndex: number): SourceLocation | undefined
  partition?(diskIndex: number, partitionIndex: number): SourceLocation | undefined
}

export function validatePartitionPlan(plan: PartitionPlan, where: {file: string; line?: number}): void {
  checkPartitionPlan(plan, {plan: where})
}

const GUID = /^[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}$/
const SGDISK_CODE = /^[\da-f]{4}$/

/** validatePartitionPlan, with each problem reported where `places` says its disk or partition is written. */
export function checkPartitionPlan(plan: PartitionPlan, places: PlanPlaces): void {
  const fail = (message: string, hint: string, code: string, location?: SourceLocation): never => {
    throw new TwoliterError(message, {hint, code: `variant.layout-${code}`, location: location ?? places.plan})
  }

  const diskAt = (index: number) => places.disk?.(index)
  const partitionAt = (diskIndex: number, index: number) => places.partition?.(diskIndex, index) ?? diskAt(diskIndex)

  checkDisks(plan, fail, diskAt)
  for (const [diskIndex, disk] of plan.disks.entries()) {
    checkPartitionsFit(disk, fail, (index) => partitionAt(diskIndex, index))
  }

  checkLabels(plan, fail, partitionAt)
  checkRoles(plan, fail, partitionAt)
}

type Fail = (message: string, hint: string, code: string, location?: SourceLocation) => never

function checkDisks(plan: PartitionPlan, fail: Fail, diskAt: (index: number) => SourceLocation | undefined): void {
  if (plan.disks.length === 0 || plan.disks[0].disk !== 'os') {
    fail('the partition plan has no OS disk first.', 'Describe the OS disk, then optionally a data disk.', 'disks')
  }

  if (plan.disks.length > 2 || (plan.disks.length === 2 && plan.disks[1].disk !== 'data')) {
    fail(
      `the partition plan has the disks ${plan.disks.map((disk) => disk.disk).join(', ')}, but a plan has one OS disk and at most one data disk.`,
      'Remove the extra disks.',
      'disks',
    )
  }

  for (const [index, disk] of plan.disks.entries()) {
    if (!Number.isInteger(disk.sizeMiB) || disk.sizeMiB < GPT_MIB * 2 + 1) {
      fail(
        `the ${disk.disk} disk is ${disk.sizeMiB} MiB, but a disk needs a whole number of MiB, at least 3: one for the GPT, one for its backup and one for a partition.`,
        'Make the disk larger.',
        'too-small',
        diskAt(index),
      )
    }

    if (disk.partitions.length > MAX_PARTITIONS) {
      fail(`the ${disk.disk} disk has ${disk.partitions.length} partitions; a GPT holds at most ${MAX_PARTITIONS}.`, 'Remove partitions.', 'disks', diskAt(index))
    }
  }
}

function checkPartitionsFit(disk: DiskLayout, fail: Fail, at: (index: number) => SourceLocation | undefined): void {
  const lastUsable = disk.sizeMiB - GPT_MIB
  let previous: PartitionSpec | undefined
  for (const [index, partition] of disk.partitions.entries()) {
    const name = describePartition(partition, disk)
    if (!Number.isInteger(partition.startMiB) || !Number.isInteger(partition.sizeMiB) || partition.sizeMiB < 1) {
      fail(
        `${name} starts at MiB ${partition.startMiB} and is ${partition.sizeMiB} MiB, but partitions are whole MiB, at least 1, and start on a MiB boundary.`,
        'Give it a size in whole MiB of 1 or more.',
        'alignment',
        at(index),
      )
    }

    if (partition.startMiB < GPT_MIB) {
      fail(`${name} starts at MiB ${partition.startMiB}, inside the GPT.`, `Start it at MiB ${GPT_MIB} or later: the first MiB holds the partition table.`, 'overlap', at(index))
    }

    const end = partition.startMiB + partition.sizeMiB
    if (end > lastUsable) {
      fail(
        `${name} ends at MiB ${end}, past the last usable MiB of the ${disk.sizeMiB} MiB ${disk.disk} disk (${lastUsable}).`,
        `Make the disk at least ${end + GPT_MIB} MiB or shrink the partitions: the last MiB holds the backup GPT.`,
        'too-small',
        at(index),
      )
    }

    if (previous !== undefined) {
      const previousEnd = previous.startMiB + previous.sizeMiB
      if (partition.startMiB < previousEnd) {
        fail(
          `${name} (MiB ${partition.startMiB}-${end}) overlaps ${describePartition(previous, disk)} (MiB ${previous.startMiB}-${previousEnd}), or is listed before it.`,
          'List the partitions in the order they sit on the disk, each starting where the one before it ends or later.',
          'overlap',
          at(index),
        )
      }
    }

    const type = partition.typeGuid
    if (!GUID.test(type) && !SGDISK_CODE.test(type)) {
      fail(
        `${name} has the type "${type}", which is neither a GPT type GUID nor an sgdisk type code.`,
        'Give a lower-case GUID like "0fc63daf-8483-4772-8e79-3d69d8477de4" or a four-digit sgdisk code like "8300".',
        'type',
        at(index),
      )
    }

    if (partition.uniqueGuid !== undefined && !GUID.test(partition.uniqueGuid)) {
      fail(`${name} has the unique GUID "${partition.uniqueGuid}", which is not a lower-case GUID.`, 'Give a GUID like "5b94e8df-28b8-485c-9d19-362263b5944c".', 'type', at(index))
    }

    const badBit = partition.attributeBits?.find((bit) => !Number.isInteger(bit) || bit < 0 || bit > 63)
    if (badBit !== undefined) {
      fail(`${name} sets the attribute bit ${badBit}; GPT attributes are bits 0 to 63.`, 'Remove that bit.', 'attributes', at(index))
    }

    previous = partition
  }
}

function checkLabels(plan: PartitionPlan, fail: Fail, at: (disk: number, index: number) => SourceLocation | undefined): void {
  const seen = new Map<string, string>()
  for (const [diskIndex, disk] of plan.disks.entries()) {
    for (const [index, partition] of disk.partitions.entries()) {
      const {label} = partition
      if (label === '') {
        if (partition.role !== 'data') {
          fail(`partition ${index + 1} of the ${disk.disk} disk (role ${partition.role}) has no label; only data partitions are left unlabelled.`, 'Give it a label.', 'label', at(diskIndex, index))
        }

        continue
      }

      if (label.length > MAX_LABEL_LENGTH || /[\u0000-\u001F]/.test(label)) {
        fail(
          `the label "${label}" is not a valid GPT partition name: names are at most ${MAX_LABEL_LENGTH} characters, without control characters.`,
          'Shorten the label.',
          'label',
          at(diskIndex, index),
        )
      }

      const first = seen.get(label)
      if (first !== undefined) {
        fail(
          `two partitions are labelled ${label} (${first} and partition ${index + 1} of the ${disk.disk} disk).`,
          'Give every partition its own label: Bottlerocket finds partitions by label.',
          'duplicate-label',
          at(diskIndex, index),
        )
      }

      seen.set(label, `partition ${index + 1} of the ${disk.disk} disk`)
    }
  }
}

function checkRoles(plan: PartitionPlan, fail: Fail, at: (disk: number, index: number) => SourceLocation | undefined): void {
  const os = plan.disks[0]
  const data = plan.disks.find((disk) => disk.disk === 'data')

  // Everything but data and the project's own partitions is found on the boot disk.
  for (const [diskIndex, disk] of plan.disks.entries()) {
    if (disk.disk === 'os') continue
    for (const [index, partition] of disk.partitions.entries()) {
      if (partition.role !== 'data' && partition.role !== 'custom') {
        fail(`${describePartition(partition, disk)} has role ${partition.role}, which belongs on the os disk.`, 'Move it to the os disk.', 'wrong-disk', at(diskIndex, index))
      }
    }
  }

  for (const [diskIndex, disk] of plan.disks.entries()) {
    const dataIndexes = indexesOf(disk, (partition) => partition.role === 'data')
    if (dataIndexes.length > 1) {
      fail(`the ${disk.disk} disk has ${dataIndexes.length} partitions with role data; Bottlerocket uses one per disk.`, 'Keep one data partition on each disk.', 'duplicate-role', at(diskIndex, dataIndexes[1]))
    }
  }

  for (const role of ['bios-boot', 'private'] as const) {
    const indexes = indexesOf(os, (partition) => partition.role === role)
    if (indexes.length > 1) fail(`two partitions have role ${role}.`, 'Keep one of them.', 'duplicate-role', at(0, indexes[1]))
  }

  const requiredOnce: Array<{role: PartitionRole; what: string}> = [
    {role: 'boot', what: 'the kernel and GRUB configuration'},
    {role: 'root', what: 'the root file system'},
    {role: 'hash', what: 'the dm-verity hash tree of the root file system'},
    {role: 'private', what: 'settings that persist across updates'},
  ]
  for (const {role, what} of requiredOnce) {
    if (!os.partitions.some((partition) => partition.role === role)) {
      fail(`no partition has role ${role}; the image needs one for ${what}.`, `Add a partition with role = "${role}" to the os disk.`, 'missing-role')
    }
  }

  if (data !== undefined && !data.partitions.some((partition) => partition.role === 'data')) {
    fail('the data disk has no partition with role data.', 'Add a partition with role = "data" to the data disk, or remove the data disk.', 'missing-role', at(1, 0))
  }

  if (data === undefined && !os.partitions.some((partition) => partition.role === 'data')) {
    fail('no partition has role data; the image needs one for /local (container images, volumes).', 'Add a partition with role = "data" to the os disk, or add a data disk with one.', 'missing-role')
  }

  checkBanks(plan, os, fail, (index) => at(0, index))
}

function checkBanks(plan: PartitionPlan, os: DiskLayout, fail: Fail, at: (index: number) => SourceLocation | undefined): void {
  const hasBankB = os.partitions.some((partition) => partition.bank === 'B')
  if (hasBankB && !plan.inPlaceUpdates) {
    const index = os.partitions.findIndex((partition) => partition.bank === 'B')
    fail('the plan has partitions in bank B but no in-place updates.', 'Remove bank B, or turn in-place updates on.', 'banks', at(index))
  }

  const banks: Array<'A' | 'B'> = plan.inPlaceUpdates ? ['A', 'B'] : ['A']
  for (const bank of banks) {
    const inBank = (partition: PartitionSpec) => (partition.bank ?? 'A') === bank && BANK_ROLES.includes(partition.role)
    for (const role of BANK_ROLES) {
      const indexes = indexesOf(os, (partition) => inBank(partition) && partition.role === role)
      if (indexes.length > 1) fail(`bank ${bank} has two partitions with role ${role}.`, 'Keep one of them.', 'duplicate-role', at(indexes[1]))
    }

    const boot = os.partitions.findIndex((partition) => inBank(partition) && partition.role === 'boot')
    const root = os.partitions.findIndex((partition) => inBank(partition) && partition.role === 'root')
    const hash = os.partitions.findIndex((partition) => inBank(partition) && partition.role === 'hash')
    const missing = [['boot', boot], ['root', root], ['hash', hash]].filter(([, index]) => index === -1).map(([role]) => role)
    if (missing.length > 0) {
      fail(
        `bank ${bank} has no partition with role ${missing.join(', ')}; each bank needs boot, root and hash.`,
        `Add the missing partitions with bank = "${bank}", or turn in-place updates off.`,
        'missing-role',
      )
    }

    // The kernel command line finds root and hash as the 1st and 2nd partitions after boot (PARTNROFF=1, 2).
    if (root !== boot + 1 || hash !== boot + 2) {
      fail(
        `in bank ${bank}, the root and hash partitions must directly follow the boot partition, in that order.`,
        'List boot, root and hash one after another: dm-verity finds them by their distance from the boot partition.',
        'bank-order',
        at(root === boot + 1 ? hash : root),
      )
    }
  }
}

function indexesOf(disk: DiskLayout, matches: (partition: PartitionSpec) => boolean): number[] {
  return disk.partitions.flatMap((partition, index) => (matches(partition) ? [index] : []))
}

function describePartition(partition: PartitionSpec, disk: DiskLayout): string {
  const index = disk.partitions.indexOf(partition) + 1
  const name = partition.label === '' ? `role ${partition.role}` : partition.label
  return `partition ${index} of the ${disk.disk} disk (${name})`
}
