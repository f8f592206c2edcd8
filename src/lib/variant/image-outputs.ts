/**
 * The files a variant's image build leaves in build/images/<arch>-<variant>/<version>-<build id>/: their
 * names as the Rust twoliter's rpm2img gives them, the friendly symbolic links next to them, and the
 * image manifest that records every output with its digest, the dm-verity root hash and the partition plan.
 */

import {lstat, readFile, readlink, rename, rm, symlink, writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {ImageFormat} from '../manifest/index.js'
import type {PartitionPlan, VariantImageOptions} from './types.js'

/** BUILDSYS_NAME's default: the first word of every image file name. */
export const DEFAULT_IMAGE_NAME = 'bottlerocket'

export const IMAGE_MANIFEST_FILE = 'image-manifest.json'

export type ImageOutputKind = 'os-image' | 'data-image' | 'boot' | 'root' | 'verity' | 'manifest' | 'other'

export interface ImageOutput {
  /** The file's name in the image directory. */
  name: string
  kind: ImageOutputKind
  sha256: string
  size: number
}

export interface ImageFileNames {
  /** `<image name>-<variant>-<arch>-<version>-<build id>` */
  prefix: string
  os: string
  /** Only written for a plan with a data disk (split). */
  data: string
  boot: string
  root: string
  verity: string
}

const DISK_EXTENSIONS: Record<ImageFormat, string> = {raw: '.img.lz4', qcow2: '.qcow2', vmdk: '.vmdk'}

export function diskImageExtension(format: ImageFormat): string {
  return DISK_EXTENSIONS[format]
}

export function imageFileNames(options: VariantImageOptions, imageName = DEFAULT_IMAGE_NAME): ImageFileNames {
  const prefix = `${imageName}-${options.variant}-${options.arch}-${options.version}-${options.buildId}`
  const extension = diskImageExtension(options.format)
  return {
    prefix,
    os: `${prefix}${extension}`,
    data: `${prefix}-data${extension}`,
    boot: `${prefix}-boot.ext4.lz4`,
    root: `${prefix}-root.ext4.lz4`,
    verity: `${prefix}-root.verity.lz4`,
  }
}

/**
 * The links rpm2img makes to an output: `<image name>-<variant>-<arch><suffix>`, the same with `-<version>`
 * and with `-v<version>`, where the suffix is what follows the full prefix in the file's name. None for a
 * file that does not carry the prefix.
 */
export function symlinkNames(options: VariantImageOptions, file: string, imageName = DEFAULT_IMAGE_NAME): string[] {
  const {prefix} = imageFileNames(options, imageName)
  if (!file.startsWith(prefix)) return []
  const suffix = file.slice(prefix.length)
  if (suffix !== '' && !suffix.startsWith('-') && !suffix.startsWith('.')) return []
  const variantPrefix = `${imageName}-${options.variant}-${options.arch}`
  return [`${variantPrefix}${suffix}`, `${variantPrefix}-${options.version}${suffix}`, `${variantPrefix}-v${options.version}${suffix}`]
}

/** How the root's dm-verity hash tree was made, and the device-mapper table grub.cfg boots it with. */
export interface VerityParameters {
  version: number
  hashAlgorithm: string
  dataBlockSize: number
  hashBlockSize: number
  /** Data blocks the tree covers: the root file system's size in data blocks. */
  dataBlocks: number
  /** The tree starts after the verity superblock, one hash block into the HASH partition. */
  hashStartBlock: number
  rootHash: string
  salt: string
  /** The `dm-mod.create` value, with grub's `$boot_uuid` left for grub to fill in. */
  table: string
}

export interface ImageManifestContent {
  options: VariantImageOptions
  plan: PartitionPlan
  /** The outputs to record; an entry for the manifest itself is left out. */
  files: ImageOutput[]
  rootHash: string
  /** When absent, the verity parameters of the manifest already in the directory, if it has the same root hash. */
  verity?: VerityParameters
  imageName?: string
  prettyName?: string
}

/** The outputs whose friendly links rpm2img makes. */
const LINKED_KINDS: ReadonlySet<ImageOutputKind> = new Set(['os-image', 'data-image', 'boot', 'root', 'verity'])

/**
 * Writes image-manifest.json (every output with its sha256 and size, the root hash and verity table, the
 * plan) and the friendly symbolic links in `dir`; returns the manifest's path. Both replace what an
 * earlier run left; the manifest appears whole, by rename.
 */
export async function writeImageManifest(dir: string, content: ImageManifestContent): Promise<string> {
  const imageName = content.imageName ?? DEFAULT_IMAGE_NAME
  const {options} = content
  const file = path.join(dir, IMAGE_MANIFEST_FILE)
  const outputs = content.files.filter((output) => output.kind !== 'manifest' && output.name !== IMAGE_MANIFEST_FILE)
  const verity = content.verity ?? (await previousVerity(file, content.rootHash))
  const links: Record<string, string> = {}
  for (const output of outputs) {
    if (!LINKED_KINDS.has(output.kind)) continue
    for (const link of symlinkNames(options, output.name, imageName)) links[link] = output.name
  }

  const manifest = {
    manifestVersion: 1,
    imageName,
    ...(content.prettyName === undefined ? {} : {prettyName: content.prettyName}),
    variant: options.variant,
    arch: options.arch,
    version: options.version,
    buildId: options.buildId,
    format: options.format,
    features: options.features,
    kernelParameters: options.kernelParameters,
    outputs: [...outputs].sort((a, b) => a.name.localeCompare(b.name)),
    symlinks: links,
    rootHash: content.rootHash,
    ...(verity === undefined ? {} : {verity}),
    partitionPlan: content.plan,
  }
  const partial = path.join(dir, `.${IMAGE_MANIFEST_FILE}.partial`)
  await writeFile(partial, `${JSON.stringify(manifest, null, 2)}\n`)
  await rename(partial, file)

  for (const [link, target] of Object.entries(links)) await replaceSymlink(path.join(dir, link), target)
  return file
}

async function previousVerity(file: string, rootHash: string): Promise<VerityParameters | undefined> {
  try {
    const previous = JSON.parse(await readFile(file, 'utf8')) as {verity?: VerityParameters}
    return previous.verity?.rootHash === rootHash ? previous.verity : undefined
  } catch {
    return undefined
  }
}

async function replaceSymlink(link: string, target: string): Promise<void> {
  const existing = await lstat(link).catch(() => undefined)
  if (existing?.isSymbolicLink() && (await readlink(link)) === target) return
  if (existing !== undefined) await rm(link, {force: true, recursive: existing.isDirectory()})
  await symlink(target, link)
}
