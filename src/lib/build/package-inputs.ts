import {access} from 'node:fs/promises'
import path from 'node:path'

import type {PackageMember} from '../manifest/index.js'
import {listFiles, sha256File} from './digest.js'

export interface PackageInputContext {
  projectRoot: string
  arch: string
  /** The engine's id of the SDK image: a different SDK means different RPMs. */
  sdkImageId: string
  /** Digest of the in-container build recipe, so changing how twoliter builds rebuilds. */
  recipeDigest: string
  /** Output digests of the packages this one is built against (its build closure). */
  dependencyOutputs: Record<string, string>
  /** Digests of the kit repositories it may take build dependencies from (repo id → digest). */
  kitRepoDigests?: Record<string, string>
}

/** Files of a source group that matter, as buildsys chose them: no dotfiles, target/, vendor/ or README.md. */
export function isIgnoredSourceFile(name: string, isDirectory: boolean): boolean {
  return name.startsWith('.') || (isDirectory && (name === 'target' || name === 'vendor')) || (!isDirectory && name === 'README.md')
}

/**
 * Every input of a package build, each with its own digest: the files of its directory (Cargo.toml,
 * spec, sources, patches), the files of its source groups, its external files (by their declared
 * SHA-512, which the fetch verifies), the outputs of the packages it builds against, the SDK, the arch and
 * the build recipe. The build id is deliberately not an input, as in the Rust twoliter: a new commit
 * elsewhere does not rebuild every package.
 */
export async function packageInputs(member: PackageMember, context: PackageInputContext): Promise<Record<string, string>> {
  const inputs: Record<string, string> = {
    arch: context.arch,
    sdk: context.sdkImageId,
    recipe: context.recipeDigest,
  }

  for (const file of await listFiles(member.dir, (name) => name.startsWith('.'))) {
    inputs[`file:${file}`] = await sha256File(path.join(member.dir, file))
  }

  for (const group of member.metadata.sourceGroups) {
    const groupDir = path.join(context.projectRoot, 'sources', group)
    const exists = await access(groupDir).then(() => true, () => false)
    if (!exists) {
      inputs[`source-group:${group}`] = 'missing'
      continue
    }

    for (const file of await listFiles(groupDir, isIgnoredSourceFile)) {
      inputs[`source:${group}/${file}`] = await sha256File(path.join(groupDir, file))
    }
  }

  for (const external of member.metadata.externalFiles) {
    inputs[`external:${external.path ?? path.posix.basename(new URL(external.url).pathname)}`] = external.sha512
  }

  for (const [name, digest] of Object.entries(context.dependencyOutputs)) inputs[`dependency:${name}`] = digest
  for (const [id, digest] of Object.entries(context.kitRepoDigests ?? {})) inputs[`kit:${id}`] = digest
  return inputs
}
