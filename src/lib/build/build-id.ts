import {execFile} from 'node:child_process'
import {promisify} from 'node:util'

const run = promisify(execFile)

export interface BuildId {
  /** Short commit id of the project, `00000000` outside a git checkout. */
  id: string
  /** Commit time in seconds since the epoch, `0000000000` outside a git checkout. */
  timestamp: string
}

/**
 * The build id and timestamp the Rust twoliter stamps into RPM release fields
 * (`dist = .<timestamp>.<id>.br1`): `git describe --always --dirty --exclude '*'` without `-dirty`, and the
 * commit time of HEAD.
 */
export async function projectBuildId(projectRoot: string): Promise<BuildId> {
  const git = async (args: string[]) => (await run('git', args, {cwd: projectRoot})).stdout.trim()
  try {
    const [described, timestamp] = await Promise.all([
      git(['describe', '--always', '--dirty', '--exclude', '*']),
      git(['show', '-s', '--format=%ct', 'HEAD']),
    ])
    return {id: described.replace(/-dirty$/, ''), timestamp}
  } catch {
    return {id: '00000000', timestamp: '0000000000'}
  }
}

/** The RPM `dist` macro for a build. */
export function distTag(buildId: BuildId): string {
  return `.${buildId.timestamp}.${buildId.id}.br1`
}
