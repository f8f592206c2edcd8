import semver from 'semver'

import {type CheckResult, defineCheck} from './check.js'

export const NODE_CHECK = defineCheck('node', 'Node.js')

/** The Node.js running twoliter, as `process.version` and `process.execPath` give it. */
export interface NodeRuntime {
  /** e.g. `v22.22.0` */
  version: string
  execPath: string
}

/** Whether the running Node.js satisfies `required`, the semver range of package.json's engines.node. */
export function checkNodeVersion(runtime: NodeRuntime, required: string): CheckResult {
  const version = semver.valid(runtime.version)
  const where = `${runtime.version} at ${runtime.execPath}`
  const minimum = semver.minVersion(required)?.version ?? required
  const fix = `Install Node.js ${minimum} or later (Node 22 LTS from https://nodejs.org, or your distribution's nodejs 22), or run scripts/setup from a twoliter clone, which installs a private Node 22 into .tools/node; then run twoliter with it.`
  if (version === null) return NODE_CHECK.fail(`${where}: '${runtime.version}' is not a version twoliter understands (it needs ${required}).`, fix)
  // A nightly or release candidate of a recent enough Node is fine too.
  if (!semver.satisfies(version, required, {includePrerelease: true})) return NODE_CHECK.fail(`${where} is too old: twoliter needs ${required}.`, fix)
  return NODE_CHECK.ok(`${where} (twoliter needs ${required})`)
}
