import {readdir, rm} from 'node:fs/promises'
import path from 'node:path'

import type {BuildLayout} from './layout.js'

/** Removes everything builds wrote under build/ (outputs, state, logs, staging) but the build lock itself. */
export async function cleanBuildDirectory(layout: BuildLayout): Promise<string[]> {
  const entries = await readdir(layout.buildDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return []
    throw error
  })
  const removed: string[] = []
  for (const entry of entries.sort()) {
    const target = path.join(layout.buildDir, entry)
    if (target === layout.lockFile) continue
    await rm(target, {recursive: true, force: true})
    removed.push(path.relative(layout.projectRoot, target))
  }

  return removed
}
