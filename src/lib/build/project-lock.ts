import {mkdir, open, readFile, rm} from 'node:fs/promises'
import path from 'node:path'

import {TwoliterError} from '../errors.js'
import type {Logger} from '../ui/logger.js'

interface LockOwner {
  pid: number
  startedAt: string
  command: string
}

/** Whether a process exists (EPERM: it does, it is someone else's). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Makes sure only one build at a time writes a project's build directory. A lock left by a process that
 * no longer exists (killed, machine restarted) is taken over with a warning.
 */
export async function acquireBuildLock(lockFile: string, command: string, logger: Logger): Promise<() => Promise<void>> {
  await mkdir(path.dirname(lockFile), {recursive: true})
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(lockFile, 'wx')
      const owner: LockOwner = {pid: process.pid, startedAt: new Date().toISOString(), command}
      await handle.writeFile(JSON.stringify(owner) + '\n')
      await handle.close()
      return () => rm(lockFile, {force: true})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }

    const owner = await readFile(lockFile, 'utf8').then((text) => JSON.parse(text) as LockOwner, () => undefined)
    if (owner && isAlive(owner.pid) && owner.pid !== process.pid) {
      throw new TwoliterError(
        `another build is running in this project: \`${owner.command}\` (process ${owner.pid}, started ${owner.startedAt}).`,
        {
          hint: `Wait for it to finish, or stop it; two builds at once would overwrite each other's outputs. If no such build runs, delete ${lockFile}.`,
          code: 'build.locked',
        },
      )
    }

    logger.warn(`taking over the build lock ${lockFile} left by process ${owner?.pid ?? 'unknown'}, which is no longer running`)
    await rm(lockFile, {force: true})
  }

  throw new TwoliterError(`could not take the build lock ${lockFile}.`, {hint: 'Try again; if it persists, delete the file.', code: 'build.locked'})
}
