import {execFileSync} from 'node:child_process'

/** Makes the project a git checkout with one commit at a fixed time; returns the build id twoliter derives from it. */
export function commitProject(dir: string): {id: string; timestamp: string} {
  const timestamp = '1700000000'
  const env = {
    ...process.env,
    GIT_AUTHOR_NAME: 'e2e',
    GIT_AUTHOR_EMAIL: 'e2e@example.com',
    GIT_COMMITTER_NAME: 'e2e',
    GIT_COMMITTER_EMAIL: 'e2e@example.com',
    GIT_AUTHOR_DATE: `@${timestamp} +0000`,
    GIT_COMMITTER_DATE: `@${timestamp} +0000`,
  }
  const git = (...args: string[]) => execFileSync('git', ['-c', 'init.defaultBranch=main', ...args], {cwd: dir, env, encoding: 'utf8'}).trim()
  git('init', '-q')
  git('add', '-A')
  git('commit', '-q', '-m', 'fixture')
  return {id: git('describe', '--always', '--exclude', '*'), timestamp}
}
