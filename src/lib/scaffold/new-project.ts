import path from 'node:path'

import {UsageError} from '../errors.js'
import {renderCargoLock} from './cargo-lock.js'
import {type PlannedFile, createTree} from './file-tree.js'
import {checkName} from './names.js'
import {renderTemplate} from './templates.js'
import {isStrictSemver} from '../project/semver.js'

export const BOTTLEROCKET_VENDOR = {name: 'bottlerocket', registry: 'public.ecr.aws/bottlerocket'}
export const BOTTLEROCKET_SDK = {name: 'bottlerocket-sdk', version: '0.42.0'}

export interface NewProjectOptions {
  name: string
  /** Where to create it; default ./NAME. */
  directory?: string
  variantName?: string
  /** The project's own vendor, used by its kit; with --sdk-name also the vendor of the SDK. */
  vendor?: {name: string; registry: string}
  sdk?: {name?: string; version?: string}
}

export interface NewProjectResult {
  root: string
  files: string[]
  package: string
  kit: string
  variant: string
}

/** The three members of a new project, wired together: variant → kit → package. */
export function memberNames(project: string, variant?: string) {
  return {package: `${project}-hello`, kit: `${project}-kit`, variant: variant ?? `${project}-dev`}
}

export async function createProject(options: NewProjectOptions, cwd = process.cwd()): Promise<NewProjectResult> {
  const name = checkName(options.name, 'project')
  const names = memberNames(name, options.variantName === undefined ? undefined : checkName(options.variantName, 'variant', '--variant-name'))
  const vendor = options.vendor ?? BOTTLEROCKET_VENDOR
  checkName(vendor.name, 'vendor', '--vendor')
  if (!/^[^\s"'\\]+$/.test(vendor.registry)) {
    throw new UsageError(`--registry '${vendor.registry}' is not a registry location.`, {
      hint: 'Give a registry host with an optional path, for example 127.0.0.1:5000/acme or public.ecr.aws/acme.',
    })
  }

  // An SDK named on the command line is one the project's vendor publishes (a local SDK, say); otherwise
  // the project uses Bottlerocket's public SDK from Bottlerocket's registry.
  const ownSdk = options.sdk?.name !== undefined
  const sdk = {
    name: ownSdk ? checkName(options.sdk!.name!, 'SDK', '--sdk-name') : BOTTLEROCKET_SDK.name,
    version: options.sdk?.version ?? BOTTLEROCKET_SDK.version,
    vendor: ownSdk ? vendor.name : BOTTLEROCKET_VENDOR.name,
  }
  if (!isStrictSemver(sdk.version)) {
    throw new UsageError(`--sdk-version '${sdk.version}' is not a semantic version.`, {
      hint: 'Give MAJOR.MINOR.PATCH without a leading v, for example 0.42.0.',
    })
  }

  const vendors = new Map([[sdk.vendor, sdk.vendor === vendor.name ? vendor.registry : BOTTLEROCKET_VENDOR.registry]])
  vendors.set(vendor.name, vendor.registry)

  const root = path.resolve(cwd, options.directory ?? name)
  const files: PlannedFile[] = [
    {path: 'Twoliter.toml', content: renderTwoliterToml(vendors, sdk)},
    {path: 'Cargo.toml', content: renderWorkspace([`kits/${names.kit}`, `packages/${names.package}`, `variants/${names.variant}`])},
    {
      path: 'Cargo.lock',
      content: renderCargoLock([
        {name: names.package, version: '0.1.0', dependencies: []},
        {name: names.kit, version: '0.1.0', dependencies: [names.package]},
        {name: names.variant, version: '0.1.0', dependencies: [names.kit]},
      ]),
    },
    {path: '.gitignore', content: await renderTemplate('project/gitignore', {})},
    {path: 'README.md', content: await renderTemplate('project/README.md', {project: name, variant: names.variant})},
    {path: 'sbkeys/generate-local-sbkeys', content: await renderTemplate('project/generate-local-sbkeys', {}), executable: true},
    ...(await sharedStubs('package')),
    ...(await sharedStubs('kit')),
    ...(await sharedStubs('variant')),
    ...(await packageFiles(names.package)),
    ...(await kitFiles(names.kit, vendor.name, [{name: names.package, path: `../../packages/${names.package}`}])),
    ...(await variantFiles(names.variant, [names.package], [{name: names.kit, path: `../../kits/${names.kit}`}])),
  ]

  await createTree(root, files, 'project')
  return {root, files: files.map((f) => f.path).sort(), ...names}
}

function renderTwoliterToml(vendors: Map<string, string>, sdk: {name: string; version: string; vendor: string}): string {
  let text = 'schema-version = 1\nrelease-version = "0.1.0"\n'
  for (const [name, registry] of vendors) text += `\n[vendor.${name}]\nregistry = "${registry}"\n`
  text += `\n[sdk]\nname = "${sdk.name}"\nversion = "${sdk.version}"\nvendor = "${sdk.vendor}"\n`
  return text
}

function renderWorkspace(members: string[]): string {
  return `[workspace]\nresolver = "2"\nmembers = [\n${[...members].sort().map((m) => `    "${m}",\n`).join('')}]\n`
}

export const MEMBER_DIRS = {package: 'packages', kit: 'kits', variant: 'variants'} as const
export type MemberKind = keyof typeof MEMBER_DIRS

const STUBS: Record<MemberKind, string> = {package: 'packages.rs', kit: 'kit.rs', variant: 'variants.rs'}

/** build.rs and the empty lib target that the Rust twoliter's cargo build expects in each member directory. */
export async function sharedStubs(kind: MemberKind): Promise<PlannedFile[]> {
  const dir = MEMBER_DIRS[kind]
  return [
    {path: `${dir}/build.rs`, content: await renderTemplate(`${kind}/build.rs`, {})},
    {path: `${dir}/${STUBS[kind]}`, content: await renderTemplate(`${kind}/${STUBS[kind]}`, {})},
  ]
}

export async function packageFiles(name: string, prefix = `packages/${name}/`): Promise<PlannedFile[]> {
  return [
    {path: `${prefix}Cargo.toml`, content: await renderTemplate('package/Cargo.toml', {name})},
    {path: `${prefix}${name}.spec`, content: await renderTemplate('package/spec', {name})},
    {path: `${prefix}${name}.txt`, content: await renderTemplate('package/source.txt', {name})},
  ]
}

export interface DependencyLink {
  name: string
  path: string
}

function dependencyLines(links: readonly DependencyLink[]): string {
  return links.map((l) => `${l.name} = { path = "${l.path}" }\n`).join('')
}

export async function kitFiles(name: string, vendor: string, links: readonly DependencyLink[], prefix = `kits/${name}/`): Promise<PlannedFile[]> {
  return [{path: `${prefix}Cargo.toml`, content: (await renderTemplate('kit/Cargo.toml', {name, vendor})) + dependencyLines(links)}]
}

export async function variantFiles(
  name: string,
  packages: readonly string[],
  links: readonly DependencyLink[],
  prefix = `variants/${name}/`,
): Promise<PlannedFile[]> {
  let text = (await renderTemplate('variant/Cargo.toml', {name})) + dependencyLines(links)
  text = text.replace('included-packages = []', `included-packages = [${packages.map((p) => `"${p}"`).join(', ')}]`)
  return [{path: `${prefix}Cargo.toml`, content: text}]
}
