/**
 * Loads the project's Cargo workspace: the members listed in the root Cargo.toml, each member's manifest,
 * and each dependency matched with the member its path points at. Cargo is never run.
 */

import {stat} from 'node:fs/promises'
import path from 'node:path'

import {type SourceLocation, TwoliterError, formatLocation} from '../errors.js'
import {readTomlFile} from '../toml/document.js'
import {type Logger, silentLogger} from '../ui/logger.js'
import {type DeclaredDependency, type MemberManifest, readMemberManifest} from './member-manifest.js'
import type {DependencyLink, Member, Workspace} from './types.js'
import {manifestReader} from './wording.js'
import {CARGO_MANIFEST, listMemberDirectories} from './workspace-members.js'

export interface LoadWorkspaceOptions {
  /** Receives warnings (e.g. a member without a build-* table); silent by default. */
  logger?: Logger
}

export async function loadWorkspace(projectRoot: string, options: LoadWorkspaceOptions = {}): Promise<Workspace> {
  const logger = options.logger ?? silentLogger()
  const root = path.resolve(projectRoot)
  const manifestPath = path.join(root, CARGO_MANIFEST)
  const document = await readTomlFile(
    manifestPath,
    'The project root needs a Cargo.toml whose [workspace] members list the packages, kits and variants.',
  )
  const workspace = manifestReader(document).subTable('workspace')
  if (!workspace) {
    throw new TwoliterError('the project\'s root Cargo.toml has no [workspace] table.', {
      location: {file: manifestPath},
      hint: 'Add a [workspace] table whose members list the directories of the packages, kits and variants.',
      code: 'manifest.workspace',
    })
  }

  const inheritance = {
    root,
    version: workspace.subTable('package')?.string('version'),
    dependencies: workspace.subTable('dependencies'),
  }
  const manifests: MemberManifest[] = []
  for (const directory of await listMemberDirectories(workspace)) {
    manifests.push(await readMemberManifest(directory.manifestPath, inheritance, logger))
  }

  checkUniqueNames(manifests)
  const byDir = new Map(manifests.map((manifest) => [manifest.dir, manifest]))
  const members = await Promise.all(manifests.map((manifest) => resolveMember(manifest, byDir, root, manifestPath)))
  members.sort((a, b) => compareNames(a.name, b.name))
  const count = (kind: Member['kind']) => members.filter((member) => member.kind === kind).length
  logger.debug(`${manifestPath}: ${count('package')} packages, ${count('kit')} kits, ${count('variant')} variants`)
  return {root, manifestPath, members}
}

export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function checkUniqueNames(manifests: MemberManifest[]): void {
  const seen = new Map<string, MemberManifest>()
  for (const manifest of manifests) {
    for (const name of new Set([manifest.name, manifest.cargoName])) {
      const other = seen.get(name)
      if (other) {
        throw new TwoliterError(
          `two workspace members are named "${name}": this one and ${formatLocation(namedAt(other, name))}.`,
          {
            location: namedAt(manifest, name),
            hint: 'Names choose build outputs and command targets, so each must be unique: rename one of them.',
            code: 'manifest.duplicate-name',
          },
        )
      }

      seen.set(name, manifest)
    }
  }
}

function namedAt(manifest: MemberManifest, name: string): SourceLocation {
  return name === manifest.name ? manifest.nameLocation : {file: manifest.manifestPath}
}

async function resolveMember(
  manifest: MemberManifest,
  byDir: ReadonlyMap<string, MemberManifest>,
  root: string,
  workspaceManifest: string,
): Promise<Member> {
  const links: DependencyLink[] = []
  for (const declared of manifest.declaredDependencies) {
    const target = byDir.get(declared.dir)
    if (!target) throw await notAMemberError(declared, root, workspaceManifest)
    if (target.cargoName !== declared.cargoName) {
      throw new TwoliterError(
        `${declared.section}.${declared.key} points to ${relative(root, target.dir)}, but the package there is named "${target.cargoName}", not "${declared.cargoName}".`,
        {
          location: declared.location,
          hint: `Write ${target.cargoName} = { path = "..." }, or keep the key and add package = "${target.cargoName}".`,
          code: 'manifest.dependency',
        },
      )
    }

    links.push({name: target.name, section: declared.section, key: declared.key, location: declared.location})
  }

  const {declaredDependencies: _declared, nameLocation: _nameLocation, ...rest} = manifest
  return {
    ...rest,
    relativeDir: relative(root, manifest.dir),
    buildDependencies: links.filter((link) => link.section === 'build-dependencies'),
    dependencies: links.filter((link) => link.section === 'dependencies'),
  }
}

async function notAMemberError(declared: DeclaredDependency, root: string, workspaceManifest: string): Promise<TwoliterError> {
  const where = relative(root, declared.dir)
  const hasManifest = await stat(path.join(declared.dir, CARGO_MANIFEST)).then((info) => info.isFile(), () => false)
  if (!hasManifest) {
    return new TwoliterError(`${declared.section}.${declared.key} points to ${where}, which has no ${CARGO_MANIFEST}.`, {
      location: declared.location,
      hint: 'Correct the path (it is relative to the directory of this Cargo.toml).',
      code: 'manifest.dependency',
    })
  }

  return new TwoliterError(
    `${declared.section}.${declared.key} points to ${where}, which is not a member of the workspace.`,
    {
      location: declared.location,
      hint: `Add "${where}" to [workspace] members in ${workspaceManifest}, or correct the path.`,
      code: 'manifest.dependency',
    },
  )
}

function relative(root: string, dir: string): string {
  return path.relative(root, dir).split(path.sep).join('/') || '.'
}
