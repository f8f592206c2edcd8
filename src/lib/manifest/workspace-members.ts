/**
 * Which directories are members of the Cargo workspace: `[workspace] members` lists paths relative to
 * the root, where a trailing `/*` stands for every subdirectory holding a Cargo.toml; `exclude` removes
 * directories that a glob matched. As in cargo, a member listed explicitly is kept even when excluded.
 */

import {readdir, stat} from 'node:fs/promises'
import path from 'node:path'

import {TwoliterError} from '../errors.js'
import {locateArrayItem} from '../toml/document.js'
import type {TableReader} from '../toml/table-reader.js'

export const CARGO_MANIFEST = 'Cargo.toml'

export interface MemberDirectory {
  /** Absolute path of the member's Cargo.toml. */
  manifestPath: string
  /** As written in the root Cargo.toml (the glob, for members found through one). */
  declaredAs: string
}

const GLOB_CHARACTERS = /[*?[\]{}]/

export async function listMemberDirectories(workspace: TableReader): Promise<MemberDirectory[]> {
  const root = path.dirname(workspace.document.file)
  const members = workspace.stringArray('members') ?? []
  const excluded = (workspace.stringArray('exclude') ?? []).map((entry) => path.resolve(root, entry))
  const isExcluded = (dir: string) => excluded.some((entry) => dir === entry || dir.startsWith(entry + path.sep))

  const found = new Map<string, MemberDirectory>()
  for (const entry of members) {
    if (entry.endsWith('/*') && !GLOB_CHARACTERS.test(entry.slice(0, -2))) {
      for (const dir of await subdirectoriesWithManifest(path.resolve(root, entry.slice(0, -2)))) {
        if (!isExcluded(dir)) found.set(dir, {manifestPath: path.join(dir, CARGO_MANIFEST), declaredAs: entry})
      }

      continue
    }

    if (GLOB_CHARACTERS.test(entry)) {
      throw new TwoliterError(`workspace member pattern ${JSON.stringify(entry)} is not supported: twoliter reads members without cargo and understands only plain paths and a trailing "/*".`, {
        location: locateArrayItem(workspace.document, ['workspace', 'members'], entry),
        hint: 'List the members by path, or use DIR/* for every directory in DIR.',
        code: 'manifest.workspace',
      })
    }

    const dir = path.resolve(root, entry)
    if (!(await isFile(path.join(dir, CARGO_MANIFEST)))) {
      throw new TwoliterError(`workspace member ${JSON.stringify(entry)} has no ${CARGO_MANIFEST} (looked for ${path.join(dir, CARGO_MANIFEST)}).`, {
        location: locateArrayItem(workspace.document, ['workspace', 'members'], entry),
        hint: 'Correct the path in [workspace] members, or remove the entry.',
        code: 'manifest.workspace',
      })
    }

    found.set(dir, {manifestPath: path.join(dir, CARGO_MANIFEST), declaredAs: entry})
  }

  return [...found.values()]
}

async function subdirectoriesWithManifest(parent: string): Promise<string[]> {
  let entries: string[]
  try {
    entries = (await readdir(parent, {withFileTypes: true}))
      .filter((entry) => entry.isDirectory() && !entry.name.startsWith('.'))
      .map((entry) => entry.name)
  } catch {
    return []
  }

  const dirs: string[] = []
  for (const name of entries.sort()) {
    const dir = path.join(parent, name)
    if (await isFile(path.join(dir, CARGO_MANIFEST))) dirs.push(dir)
  }

  return dirs
}

async function isFile(file: string): Promise<boolean> {
  return stat(file).then((info) => info.isFile(), () => false)
}
