/**
 * The model of a project's Cargo workspace as twoliter sees it: every member is a package, a kit or a
 * variant, described by its `[package.metadata.build-*]` table and linked to other members by the
 * `[build-dependencies]` and `[dependencies]` tables of its Cargo.toml.
 */

import type {SourceLocation} from '../errors.js'
import type {CustomLayout} from '../variant/custom-layout.js'

export const MEMBER_KINDS = ['package', 'kit', 'variant'] as const
export type MemberKind = (typeof MEMBER_KINDS)[number]

/** The Cargo.toml table a dependency is declared in. */
export const DEPENDENCY_SECTIONS = ['build-dependencies', 'dependencies'] as const
export type DependencySection = (typeof DEPENDENCY_SECTIONS)[number]

export const IMAGE_FORMATS = ['raw', 'qcow2', 'vmdk'] as const
export type ImageFormat = (typeof IMAGE_FORMATS)[number]

export const PARTITION_PLANS = ['split', 'unified'] as const
export type PartitionPlan = (typeof PARTITION_PLANS)[number]

export const ARCHES = ['x86_64', 'aarch64'] as const
export type Arch = (typeof ARCHES)[number]

export const BUNDLE_MODULES = ['go'] as const
export type BundleModule = (typeof BUNDLE_MODULES)[number]

/** Feature names and whether each is on when a variant does not mention it. */
export const IMAGE_FEATURE_DEFAULTS = {
  'in-place-updates': true,
  'host-containers': true,
  'grub-set-private-var': false,
  'uefi-secure-boot': false,
  'systemd-networkd': false,
  'xfs-data-partition': false,
  'erofs-root-partition': false,
  fips: false,
} as const satisfies Record<string, boolean>

export type ImageFeature = keyof typeof IMAGE_FEATURE_DEFAULTS
export const IMAGE_FEATURES = Object.keys(IMAGE_FEATURE_DEFAULTS) as ImageFeature[]
export type ImageFeatures = Record<ImageFeature, boolean>

/** `[[package.metadata.build-package.external-files]]`: a source fetched from a lookaside cache or upstream. */
export interface ExternalFile {
  url: string
  /** Lower-case hex SHA-512 of the file. */
  sha512: string
  /** File name in the package directory; the last segment of the URL when not given. */
  path?: string
  forceUpstream: boolean
  bundleModules: BundleModule[]
  bundleRootPath?: string
  bundleOutputPath?: string
}

/** `[package.metadata.build-package]` */
export interface PackageMetadata {
  /** `package-name`: the RPM/output name when the Cargo name cannot express it (e.g. `pkg-a-1.27`). */
  packageName?: string
  /** Directories under `sources/` whose files are inputs of the package build. */
  sourceGroups: string[]
  externalFiles: ExternalFile[]
}

/** `[package.metadata.build-kit]` */
export interface KitMetadata {
  vendor: string
  kitName?: string
}

export interface ImageLayout {
  osImageSizeGib: number
  dataImageSizeGib: number
  publishImageSizeHintGib: number
  partitionPlan: PartitionPlan
}

/** `[package.metadata.build-variant]` */
export interface VariantMetadata {
  includedPackages: string[]
  imageFormat: ImageFormat
  imageLayout: ImageLayout
  /** Undefined when the variant does not restrict its architectures. */
  supportedArches?: Arch[]
  kernelParameters: string[]
  /** Every known feature, with the defaults applied. */
  imageFeatures: ImageFeatures
  /** twoliter extension `kit-priority`: kit names, highest dnf priority first. Ignored by the Rust twoliter. */
  kitPriority?: string[]
  /**
   * twoliter extension `[...partition-layout]`: the project's own disk layout, used instead of the
   * reference's plan. Ignored by the Rust twoliter.
   */
  partitionLayout?: CustomLayout
}

/** One dependency of a member, resolved to the workspace member its `path` points at. */
export interface DependencyLink {
  /** The member's name (after package-name/kit-name overrides). */
  name: string
  section: DependencySection
  /** The key in the Cargo.toml table (differs from the Cargo name when `package = "..."` renames it). */
  key: string
  location: SourceLocation
}

interface MemberBase {
  /** `[package] name` */
  cargoName: string
  /** The name twoliter uses: `package-name` or `kit-name` when given, otherwise the Cargo name. */
  name: string
  version: string
  /** Absolute directory of the member. */
  dir: string
  /** Directory relative to the project root, with forward slashes. */
  relativeDir: string
  /** Absolute path of the member's Cargo.toml. */
  manifestPath: string
  buildDependencies: DependencyLink[]
  dependencies: DependencyLink[]
}

export interface PackageMember extends MemberBase {
  kind: 'package'
  metadata: PackageMetadata
}

export interface KitMember extends MemberBase {
  kind: 'kit'
  metadata: KitMetadata
}

export interface VariantMember extends MemberBase {
  kind: 'variant'
  metadata: VariantMetadata
}

export type Member = PackageMember | KitMember | VariantMember

export interface Workspace {
  root: string
  /** Absolute path of the root Cargo.toml. */
  manifestPath: string
  /** Sorted by name. */
  members: Member[]
}
