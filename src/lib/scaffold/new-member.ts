import {access, readFile} from 'node:fs/promises'
import path from 'node:path'

import {UsageError} from '../errors.js'
import {writeFileAtomic} from '../fs/atomic.js'
import {type Member, type Workspace, loadWorkspace} from '../manifest/index.js'
import type {Project} from '../project/project.js'
import {parseToml} from '../toml/document.js'
import type {Logger} from '../ui/logger.js'
import {type LockedCrate, renderCargoLock} from './cargo-lock.js'
import {addBuildDependency, addIncludedPackage, addWorkspaceMember} from './cargo-toml-edit.js'
import {type PlannedFile, createTree} from './file-tree.js'
import {checkName} from './names.js'
import {MEMBER_DIRS, type MemberKind, kitFiles, packageFiles, sharedStubs, variantFiles} from './new-project.js'

export interface NewMemberOptions {
  kind: MemberKind
  name: string
  /** package: the kit that bundles it; variant: the kit it is composed from. */
  kit?: string
  /** kit: the variant composed from it; package: the variant whose included-packages it joins. */
  variant?: string
  /** kit: its vendor; default the vendor of the project's other kits, or its only vendor. */
  vendor?: string
}

export interface NewMemberResult {
  kind: MemberKind
  name: string
  directory: string
  created: string[]
  changed: string[]
}

/**
 * Adds a package, kit or variant to an existing project: its directory, the workspace member, the
 * dependency edge asked for, and a Cargo.lock that matches. Every edit is computed and checked before
 * the first file is written, and nothing that exists is overwritten.
 */
export async function addMember(project: Project, options: NewMemberOptions, logger: Logger): Promise<NewMemberResult> {
  const name = checkName(options.name, options.kind)
  const workspace = await loadWorkspace(project.root, {logger})
  if (workspace.members.some((m) => m.name === name || m.cargoName === name)) {
    throw new UsageError(`the project already has a member named '${name}'.`, {hint: 'Choose another name.', code: 'scaffold.exists'})
  }

  const relativeDir = `${MEMBER_DIRS[options.kind]}/${name}`
  const directory = path.join(project.root, relativeDir)
  const edits = new Map<string, string>()
  const edit = async (file: string, change: (text: string) => string) => {
    const text = edits.get(file) ?? (await readFile(file, 'utf8'))
    const changed = change(text)
    parseToml(file, changed) // an edit that breaks the file must never be written
    edits.set(file, changed)
  }

  await edit(workspace.manifestPath, (text) => addWorkspaceMember(text, relativeDir))
  const crates = new Map<string, LockedCrate>(workspace.members.map((m) => [m.cargoName, lockedCrate(workspace, m)]))
  const newCrate: LockedCrate = {name, version: '0.1.0', dependencies: []}
  crates.set(name, newCrate)
  const link = (from: Member, to: string, toDir: string) => {
    const crate = crates.get(from.cargoName)!
    crates.set(from.cargoName, {...crate, dependencies: [...crate.dependencies, to]})
    return edit(from.manifestPath, (text) => addBuildDependency(text, to, path.relative(from.dir, toDir).split(path.sep).join('/')))
  }

  let files: PlannedFile[]
  switch (options.kind) {
    case 'package': {
      files = await packageFiles(name, '')
      if (options.kit !== undefined) await link(findMember(workspace, options.kit, 'kit', '--kit'), name, directory)
      if (options.variant !== undefined) {
        const variant = findMember(workspace, options.variant, 'variant', '--variant')
        await edit(variant.manifestPath, (text) => addIncludedPackage(text, name))
        // Without a kit, the variant must build the package itself to offer it to dnf.
        if (options.kit === undefined) await link(variant, name, directory)
      }

      break
    }

    case 'kit': {
      files = await kitFiles(name, chooseVendor(project, workspace, options.vendor), [], '')
      if (options.variant !== undefined) await link(findMember(workspace, options.variant, 'variant', '--variant'), name, directory)
      break
    }

    case 'variant': {
      const kit = options.kit === undefined ? undefined : findMember(workspace, options.kit, 'kit', '--kit')
      const included = kit ? workspace.members.filter((m) => m.kind === 'package' && kit.buildDependencies.some((d) => d.name === m.name)) : []
      files = await variantFiles(
        name,
        included.map((m) => m.name),
        kit ? [{name: kit.cargoName, path: path.relative(directory, kit.dir).split(path.sep).join('/')}] : [],
        '',
      )
      if (kit) newCrate.dependencies = [kit.cargoName]
      break
    }
  }

  const stubs = await missingStubs(project.root, options.kind)
  edits.set(path.join(project.root, 'Cargo.lock'), renderCargoLock([...crates.values()]))

  await createTree(directory, files, options.kind)
  for (const stub of stubs) await writeFileAtomic(path.join(project.root, stub.path), stub.content)
  for (const [file, text] of edits) await writeFileAtomic(file, text)

  return {
    kind: options.kind,
    name,
    directory,
    created: [...files.map((f) => `${relativeDir}/${f.path}`), ...stubs.map((s) => s.path)].sort(),
    changed: [...edits.keys()].map((f) => path.relative(project.root, f)).sort(),
  }
}

function lockedCrate(workspace: Workspace, member: Member): LockedCrate {
  const cargoNameOf = new Map(workspace.members.map((m) => [m.name, m.cargoName]))
  return {
    name: member.cargoName,
    version: member.version,
    dependencies: [...member.buildDependencies, ...member.dependencies].map((d) => cargoNameOf.get(d.name) ?? d.name),
  }
}

function findMember(workspace: Workspace, name: string, kind: MemberKind, flag: string): Member {
  const member = workspace.members.find((m) => m.kind === kind && (m.name === name || m.cargoName === name))
  if (!member) {
    const candidates = workspace.members.filter((m) => m.kind === kind).map((m) => m.name)
    throw new UsageError(`${flag} ${name}: the project has no ${kind} of that name.`, {
      hint: candidates.length > 0 ? `Its ${kind}s are: ${candidates.join(', ')}.` : `Create one first with \`twoliter new ${kind} --name NAME\`.`,
      code: 'scaffold.unknown-member',
    })
  }

  return member
}

function chooseVendor(project: Project, workspace: Workspace, vendor: string | undefined): string {
  const declared = Object.keys(project.vendors)
  if (vendor !== undefined) {
    checkName(vendor, 'vendor', '--vendor')
    if (!declared.includes(vendor)) {
      throw new UsageError(`--vendor ${vendor} is not declared in ${project.file}.`, {
        hint: `Add a [vendor.${vendor}] table with its registry first, or use one of: ${declared.join(', ') || '(none declared)'}.`,
        code: 'scaffold.unknown-vendor',
      })
    }

    return vendor
  }

  const kitVendors = new Set(workspace.members.flatMap((m) => (m.kind === 'kit' ? [m.metadata.vendor] : [])))
  if (kitVendors.size === 1) return [...kitVendors][0]
  if (declared.length === 1) return declared[0]
  throw new UsageError('the kit\'s vendor cannot be chosen for you.', {
    hint: `Pass --vendor with one of the vendors declared in ${project.file}: ${declared.join(', ') || '(none declared)'}.`,
    code: 'scaffold.vendor-required',
  })
}

async function missingStubs(root: string, kind: MemberKind): Promise<PlannedFile[]> {
  const missing: PlannedFile[] = []
  for (const stub of await sharedStubs(kind)) {
    const exists = await access(path.join(root, stub.path)).then(() => true, () => false)
    if (!exists) missing.push(stub)
  }

  return missing
}
