/**
 * The last step of a variant build: the installed root file system (a tar archive) becomes the disk
 * images, in one run of assets/sdk-tools/rpm2img.sh in the SDK without network: the root, boot, private
 * and data file systems, the root's dm-verity hash tree, grub.cfg, the GPT of each disk, and the outputs
 * in the requested format. TypeScript checks the partition plan first and records the outputs after.
 */

import {mkdir, stat} from 'node:fs/promises'
import path from 'node:path'

import type {BuildLog} from '../build/build-log.js'
import {sha256File} from '../build/digest.js'
import {checkMountableHostPath} from '../build/host-paths.js'
import {SDK_TOOLS_DIR} from '../build/package-builder.js'
import type {Engine} from '../engine/index.js'
import {TwoliterError} from '../errors.js'
import {
  DEFAULT_IMAGE_NAME,
  IMAGE_MANIFEST_FILE,
  type ImageOutput,
  type ImageOutputKind,
  type VerityParameters,
  imageFileNames,
  writeImageManifest,
} from './image-outputs.js'
import {sgdiskArguments} from './partition-plan.js'
import type {DiskLayout, PartitionPlan, PartitionRole, PartitionSpec, VariantImageOptions} from './types.js'

export const RPM2IMG_SCRIPT = path.join(SDK_TOOLS_DIR, 'rpm2img.sh')

/** BUILDSYS_PRETTY_NAME's default. */
export const DEFAULT_PRETTY_NAME = 'Bottlerocket OS'

const VERITY = {version: 1, hashAlgorithm: 'sha256', dataBlockSize: 4096, hashBlockSize: 4096, hashStartBlock: 1} as const

// rpm2img.sh exits with this code after a `twoliter-error:` line that says what went wrong.
const EXPLAINED_EXIT_CODE = 3

export interface DiskImageRequest {
  engine: Engine
  sdkImage: string
  /** The installed root file system; its /boot holds the kernel and what goes into BOOT-A. */
  rootfsTar: string
  /** application-inventory.json, installed at /usr/share/bottlerocket/ in the root. */
  inventoryFile?: string
  plan: PartitionPlan
  options: VariantImageOptions
  /** Staging output directory; files are named as the reference names them. */
  outputDir: string
  projectRoot: string
  log: BuildLog
  /** BUILDSYS_PRETTY_NAME: os-release's PRETTY_NAME and grub's menu entry. */
  prettyName?: string
  /** BUILDSYS_NAME: the first word of the file names. */
  imageName?: string
  onLine?: (line: string) => void
  signal?: AbortSignal
}

export interface DiskImage {
  /** Every output, the image manifest last. */
  files: ImageOutput[]
  rootHash: string
  verityTable: string
  verity: VerityParameters
  /** The image manifest's path. */
  manifest: string
}

/** An image build that failed: the reason and the end of its log. */
export class DiskImageError extends TwoliterError {
  constructor(
    readonly logFile: string,
    readonly logTail: string[],
    message: string,
    options: {code: string; hint?: string},
  ) {
    const tail = logTail.length === 0 ? '' : `\n${logTail.map((line) => `    ${line}`).join('\n')}\n`
    super(`${message}${tail}`, {
      hint: [options.hint, `The whole log is in ${logFile}.`].filter((part) => part !== undefined).join(' '),
      code: options.code,
    })
  }
}

/** The partitions rpm2img writes to, found in the plan by their roles. */
export interface ImagePartitions {
  boot: PartitionSpec
  root: PartitionSpec
  hash: PartitionSpec
  private: PartitionSpec
  /** The partition that gets the data file system: on the data disk when there is one, else DATA-A. */
  data: PartitionSpec
  dataDisk: 'os' | 'data'
  efi?: PartitionSpec
  bios?: PartitionSpec
  osDisk: DiskLayout
  dataDiskLayout?: DiskLayout
}

function planError(message: string): TwoliterError {
  return new TwoliterError(`The partition plan cannot be written: ${message}.`, {
    hint: 'This is a bug in the partition plan twoliter computed for the variant; please report it with the variant\'s image-layout.',
    code: 'variant.image-plan',
  })
}

const inBankA = (spec: PartitionSpec) => spec.bank !== 'B'

/** Checks that the plan can be written as GPT and booted, and finds the partitions rpm2img fills. */
export function imagePartitions(plan: PartitionPlan): ImagePartitions {
  const [osDisk, dataDisk, ...more] = plan.disks
  if (osDisk === undefined || osDisk.disk !== 'os') throw planError('its first disk is not the OS disk')
  if (more.length > 0 || (dataDisk !== undefined && dataDisk.disk !== 'data')) throw planError('it has disks other than one OS disk and one data disk')
  for (const disk of plan.disks) checkDisk(disk)

  const onOs = (role: PartitionRole, required: boolean): PartitionSpec | undefined => {
    const found = osDisk.partitions.find((spec) => spec.role === role && inBankA(spec))
    if (found === undefined && required) throw planError(`the OS disk has no ${role} partition`)
    return found
  }

  const boot = onOs('boot', true)!
  const root = onOs('root', true)!
  const hash = onOs('hash', true)!
  const privatePart = onOs('private', true)!
  const data = dataDisk === undefined ? onOs('data', false) : dataDisk.partitions.find((spec) => spec.role === 'data')
  if (data === undefined) throw planError(`the ${dataDisk === undefined ? 'OS' : 'data'} disk has no data partition`)

  // grub.cfg names the root and hash partitions relative to the boot partition's PARTUUID (PARTNROFF=1
  // and 2), and sgdiskArguments numbers partitions in the order they are listed.
  const order = osDisk.partitions
  const bootIndex = order.indexOf(boot)
  if (order[bootIndex + 1] !== root || order[bootIndex + 2] !== hash) {
    throw planError(`${root.label} and ${hash.label} must directly follow ${boot.label}, because grub.cfg finds them by their offset from it`)
  }

  return {
    boot,
    root,
    hash,
    private: privatePart,
    data,
    dataDisk: dataDisk === undefined ? 'os' : 'data',
    efi: onOs('efi', false),
    bios: onOs('bios-boot', false),
    osDisk,
    ...(dataDisk === undefined ? {} : {dataDiskLayout: dataDisk}),
  }
}

function checkDisk(disk: DiskLayout): void {
  if (!Number.isInteger(disk.sizeMiB) || disk.sizeMiB < 3) throw planError(`the ${disk.disk} disk's size ${disk.sizeMiB} MiB is not a whole number of at least 3 MiB`)
  let previous: PartitionSpec | undefined
  for (const spec of disk.partitions) {
    const name = spec.label === '' ? `the ${spec.role} partition` : spec.label
    if (!Number.isInteger(spec.startMiB) || !Number.isInteger(spec.sizeMiB) || spec.sizeMiB < 1) {
      throw planError(`${name} has no whole number of MiB for its start and size`)
    }

    // The first and last MiB of a disk hold the primary and the backup GPT.
    if (spec.startMiB < 1 || spec.startMiB + spec.sizeMiB > disk.sizeMiB - 1) {
      throw planError(`${name} (${spec.startMiB} MiB + ${spec.sizeMiB} MiB) does not fit between the GPTs of the ${disk.sizeMiB} MiB ${disk.disk} disk`)
    }

    if (previous !== undefined && previous.startMiB + previous.sizeMiB > spec.startMiB) {
      throw planError(`${name} overlaps ${previous.label === '' ? `the ${previous.role} partition` : previous.label}, or is listed before it`)
    }

    for (const guid of [spec.typeGuid, ...(spec.uniqueGuid === undefined ? [] : [spec.uniqueGuid])]) {
      if (!/^[\da-f-]+$/i.test(guid)) throw planError(`${name} has the malformed GUID or type code "${guid}"`)
    }

    if (spec.label.includes('\n')) throw planError(`${name}'s label has a line break`)

    previous = spec
  }
}

const yesNo = (on: boolean) => (on ? 'yes' : 'no')
const placement = (spec: PartitionSpec) => `${spec.startMiB}:${spec.sizeMiB}`

/** Turns the root file system into the disk images, the manifest and the links in `outputDir`. */
export async function buildDiskImage(request: DiskImageRequest): Promise<DiskImage> {
  const {options, log, plan} = request
  const parts = imagePartitions(plan)
  const imageName = request.imageName ?? DEFAULT_IMAGE_NAME
  const prettyName = request.prettyName ?? DEFAULT_PRETTY_NAME
  const names = imageFileNames(options, imageName)

  const rootfs = await stat(request.rootfsTar).catch(() => undefined)
  if (!rootfs?.isFile()) {
    throw new TwoliterError(`The root file system of variant ${options.variant} (${request.rootfsTar}) is missing.`, {
      hint: 'It is made by installing the variant\'s packages; build the variant again.',
      code: 'variant.image-rootfs',
    })
  }

  await mkdir(request.outputDir, {recursive: true})
  const mounts = [
    {host: SDK_TOOLS_DIR, container: '/twoliter/tools', readOnly: true},
    {host: path.resolve(request.rootfsTar), container: '/twoliter/rootfs.tar', readOnly: true},
    ...(request.inventoryFile === undefined ? [] : [{host: path.resolve(request.inventoryFile), container: '/twoliter/inventory.json', readOnly: true}]),
    {host: path.resolve(request.outputDir), container: '/twoliter/out'},
  ]
  for (const mount of mounts) checkMountableHostPath(mount.host, `a path to mount for the image of ${options.variant}`)

  const {features} = options
  const env: Record<string, string> = {
    VARIANT: options.variant,
    ARCH: options.arch,
    VERSION_ID: options.version,
    BUILD_ID: options.buildId,
    PRETTY_NAME: prettyName,
    OUTPUT_FMT: options.format,
    KERNEL_PARAMETERS: options.kernelParameters.join(' '),
    GRUB_SET_PRIVATE_VAR: yesNo(features['grub-set-private-var']),
    XFS_DATA_PARTITION: yesNo(features['xfs-data-partition']),
    EROFS_ROOT_PARTITION: yesNo(features['erofs-root-partition']),
    UEFI_SECURE_BOOT: yesNo(features['uefi-secure-boot']),
    OS_DISK_MIB: String(parts.osDisk.sizeMiB),
    OS_SGDISK_ARGS: [...sgdiskArguments(parts.osDisk), '--print'].join('\n'),
    DATA_DISK_MIB: String(parts.dataDiskLayout?.sizeMiB ?? 0),
    DATA_SGDISK_ARGS: parts.dataDiskLayout === undefined ? '' : [...sgdiskArguments(parts.dataDiskLayout), '--print'].join('\n'),
    PART_BOOT: placement(parts.boot),
    PART_ROOT: placement(parts.root),
    PART_HASH: placement(parts.hash),
    PART_PRIVATE: placement(parts.private),
    PART_DATA: placement(parts.data),
    PART_EFI: parts.efi === undefined ? '' : placement(parts.efi),
    PART_BIOS: parts.bios === undefined ? '' : placement(parts.bios),
    DATA_DISK: parts.dataDisk,
    OS_IMAGE_FILE: names.os,
    DATA_IMAGE_FILE: names.data,
    BOOT_IMAGE_FILE: names.boot,
    ROOT_IMAGE_FILE: names.root,
    VERITY_IMAGE_FILE: names.verity,
    HOST_UID: String(process.getuid?.() ?? 0),
    HOST_GID: String(process.getgid?.() ?? 0),
  }

  const results = new Map<string, string>()
  let explained: string[] | undefined
  let pending = ''
  const readStdout = (text: string) => {
    const lines = (pending + text).split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) {
      const result = /^twoliter-result: (\S+) (.*)$/.exec(line)
      if (result) results.set(result[1]!, result[2]!)
      const error = /^twoliter-error: (.*)$/.exec(line)
      if (error) explained = error[1]!.split(' ')
    }
  }

  const {exitCode} = await request.engine.run(
    {
      image: request.sdkImage,
      cmd: ['/bin/bash', '/twoliter/tools/rpm2img.sh'],
      user: '0:0',
      env,
      mounts,
      network: 'none',
      labels: {'dev.twoliter.project': request.projectRoot, 'dev.twoliter.node': `variant/${options.variant}`},
    },
    {
      onOutput: (text, stream) => {
        if (stream === 'stdout') readStdout(text)
        for (const line of log.write(text)) request.onLine?.(line)
      },
      signal: request.signal,
    },
  )
  readStdout('\n')

  if (exitCode !== 0) throw failure(request, parts, exitCode, explained)

  const verity = verityFrom(results)
  if (verity === undefined) {
    throw new DiskImageError(log.file, log.lastLines(), `The image build of variant ${options.variant} did not report the root file system's dm-verity root hash.`, {
      code: 'variant.image-failed',
    })
  }

  const expected: Array<[string, ImageOutputKind]> = [
    [names.os, 'os-image'],
    ...(parts.dataDiskLayout === undefined ? [] : [[names.data, 'data-image'] as [string, ImageOutputKind]]),
    [names.boot, 'boot'],
    [names.root, 'root'],
    [names.verity, 'verity'],
  ]
  const outputs: ImageOutput[] = []
  for (const [name, kind] of expected) outputs.push(await describeOutput(request, name, kind))

  const manifest = await writeImageManifest(request.outputDir, {options, plan, files: outputs, rootHash: verity.rootHash, verity, imageName, prettyName})
  const manifestOutput = await describeOutput(request, IMAGE_MANIFEST_FILE, 'manifest')
  return {files: [...outputs, manifestOutput], rootHash: verity.rootHash, verityTable: verity.table, verity, manifest}
}

function verityFrom(results: Map<string, string>): VerityParameters | undefined {
  const rootHash = results.get('root-hash')
  const salt = results.get('salt')
  const dataBlocks = Number(results.get('data-blocks'))
  const table = results.get('table')
  if (rootHash === undefined || salt === undefined || table === undefined || !Number.isInteger(dataBlocks)) return undefined
  return {...VERITY, dataBlocks, rootHash, salt, table}
}

async function describeOutput(request: DiskImageRequest, name: string, kind: ImageOutputKind): Promise<ImageOutput> {
  const file = path.join(request.outputDir, name)
  const info = await stat(file).catch(() => undefined)
  if (!info?.isFile()) {
    throw new DiskImageError(request.log.file, request.log.lastLines(), `The image build of variant ${request.options.variant} did not write ${name}.`, {
      code: 'variant.image-failed',
    })
  }

  return {name, kind, sha256: await sha256File(file), size: info.size}
}

const ROLE_HINTS: Partial<Record<string, string>> = {
  root: 'Include fewer packages in the variant, or raise os-image-size-gib in its [package.metadata.build-variant.image-layout]: the ROOT partitions grow by 460 MiB per GiB.',
  hash: 'Raise os-image-size-gib in the variant\'s [package.metadata.build-variant.image-layout]: the HASH partitions grow by 5 MiB per GiB.',
  boot: 'Move files out of /boot, or raise os-image-size-gib in the variant\'s [package.metadata.build-variant.image-layout]: the BOOT partitions grow by 20 MiB per GiB.',
  efi: 'The EFI system partition has a fixed size; the EFI binaries in /boot/efi/EFI/BOOT must fit into it.',
}

function failure(request: DiskImageRequest, parts: ImagePartitions, exitCode: number, explained: string[] | undefined): DiskImageError {
  const {log, options} = request
  const tail = log.lastLines()
  if (exitCode === EXPLAINED_EXIT_CODE && explained !== undefined) {
    const [kind, role, need, size] = explained
    if (kind === 'too-big' && role !== undefined) {
      const byRole: Record<string, PartitionSpec | undefined> = {root: parts.root, hash: parts.hash, boot: parts.boot, private: parts.private, efi: parts.efi}
      const partition = byRole[role]?.label || role
      const what = role === 'root' ? 'root file system' : role === 'efi' ? 'EFI binaries' : `${role} file system`
      const fits = Number(need) <= Number(size)
      const message = fits
        ? `The ${what} of variant ${options.variant} takes ${need} MiB and, with its file system's own overhead, does not fit into the ${size} MiB of its ${partition} partition.`
        : `The ${what} of variant ${options.variant} needs ${need} MiB, more than the ${size} MiB of its ${partition} partition.`
      return new DiskImageError(log.file, tail, message, {
        code: role === 'root' ? 'variant.image-root-too-big' : 'variant.image-partition-too-big',
        hint: ROLE_HINTS[role],
      })
    }

    if (kind === 'bootconfig-without-private-var') {
      return new DiskImageError(log.file, tail, `Packages of variant ${options.variant} put bootconfig snippets into /boot/boot-config.d, but the variant does not enable grub-set-private-var.`, {
        code: 'variant.image-bootconfig',
        hint: 'Add `grub-set-private-var = true` to [package.metadata.build-variant.image-features] in the variant\'s Cargo.toml.',
      })
    }
  }

  return new DiskImageError(log.file, tail, `The image build of variant ${options.variant} exited with code ${exitCode}.`, {code: 'variant.image-failed'})
}
