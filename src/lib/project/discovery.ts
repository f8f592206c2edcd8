import {stat} from 'node:fs/promises'
import path from 'node:path'

import {TwoliterError} from '../errors.js'

export const PROJECT_FILE = 'Twoliter.toml'

export interface ProjectLocation {
  /** The Twoliter.toml file (any file name when given with --project-path). */
  file: string
  /** The directory holding it: the project root. */
  root: string
}

async function isFile(candidate: string): Promise<boolean> {
  try {
    return (await stat(candidate)).isFile()
  } catch {
    return false
  }
}

/**
 * Where the project is: `--project-path` names the Twoliter.toml file itself (as in the Rust twoliter);
 * otherwise the nearest Twoliter.toml in the working directory or one of its parents.
 */
export async function findProject(options: {cwd?: string; projectPath?: string} = {}): Promise<ProjectLocation> {
  const cwd = path.resolve(options.cwd ?? process.cwd())
  if (options.projectPath !== undefined) {
    const file = path.resolve(cwd, options.projectPath)
    if (!(await isFile(file))) {
      const isDir = await stat(file).then((s) => s.isDirectory(), () => false)
      throw new TwoliterError(`--project-path ${options.projectPath}: ${isDir ? 'this is a directory' : 'no such file'}.`, {
        hint: isDir
          ? `--project-path names the Twoliter.toml file itself: try --project-path ${path.join(options.projectPath, PROJECT_FILE)}.`
          : 'Give the path of the project\'s Twoliter.toml file, or leave the flag out to search upward from the current directory.',
        code: 'project.not-found',
        exitCode: 2,
      })
    }

    return {file, root: path.dirname(file)}
  }

  for (let dir = cwd; ; dir = path.dirname(dir)) {
    const file = path.join(dir, PROJECT_FILE)
    if (await isFile(file)) return {file, root: dir}
    if (path.dirname(dir) === dir) break
  }

  throw new TwoliterError(`Unable to find a ${PROJECT_FILE} file in ${cwd} or any directory above it.`, {
    hint: 'Run the command inside a twoliter project, pass --project-path PATH/Twoliter.toml, or create a project with `twoliter new project --name NAME`.',
    code: 'project.not-found',
  })
}
