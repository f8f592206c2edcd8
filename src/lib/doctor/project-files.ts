import {isTwoliterError} from '../errors.js'
import {DependencyGraph} from '../graph/index.js'
import {type Workspace, loadWorkspace} from '../manifest/index.js'
import {type ProjectLocation, findProject} from '../project/discovery.js'
import {describeImageRef} from '../project/project-image.js'
import type {Project} from '../project/project.js'
import {loadProject} from '../project/twoliter-toml.js'
import {Logger} from '../ui/logger.js'
import {type CheckResult, type Checked, defineCheck, describeError} from './check.js'

export const PROJECT_FILE_CHECK = defineCheck('project-file', 'Twoliter.toml')
export const WORKSPACE_CHECK = defineCheck('workspace', 'Cargo workspace')
export const CYCLES_CHECK = defineCheck('dependency-cycles', 'Dependency cycles')

const WARNINGS_FIX = 'Do what each warning says, at the file (and line:column) it names.'

/** Where the project search ended: at a project, outside any project (searched upward from `cwd`), or at an error. */
export type ProjectSearch =
  | {kind: 'found'; location: ProjectLocation}
  | {kind: 'outside'; cwd: string}
  | {kind: 'failed'; error: unknown}

/**
 * The project to look at: the nearest Twoliter.toml upward from `cwd`, or the one --project-path names
 * (which must exist).
 */
export async function searchProject(options: {cwd: string; projectPath?: string}): Promise<ProjectSearch> {
  try {
    return {kind: 'found', location: await findProject(options)}
  } catch (error) {
    if (options.projectPath === undefined && isTwoliterError(error) && error.code === 'project.not-found') return {kind: 'outside', cwd: options.cwd}
    return {kind: 'failed', error}
  }
}

/** Loads Twoliter.toml (with Twoliter.override and Release.toml) as every project command does. */
export async function checkProjectFile(location: ProjectLocation): Promise<Checked<Project>> {
  const logger = collectingLogger()
  let project: Project
  try {
    project = await loadProject(location, logger)
  } catch (error) {
    const {detail, fix} = describeError(error, `Correct ${location.file}.`)
    return {check: PROJECT_FILE_CHECK.fail(detail, fix)}
  }

  const sdk = project.sdk ? `SDK ${describeImageRef(project.sdk)}` : 'no [sdk]'
  const summary = `${location.file}: release ${project.releaseVersion}, ${sdk}, ${count(project.kits.length, 'kit')}`
  const check = logger.warnings.length === 0 ? PROJECT_FILE_CHECK.ok(summary) : PROJECT_FILE_CHECK.warn(withWarnings(summary, logger.warnings), WARNINGS_FIX)
  return {check, value: project}
}

/** Loads the Cargo workspace of packages, kits and variants under the project root. */
export async function checkWorkspace(projectRoot: string): Promise<Checked<Workspace>> {
  const logger = collectingLogger()
  let workspace: Workspace
  try {
    workspace = await loadWorkspace(projectRoot, {logger})
  } catch (error) {
    const {detail, fix} = describeError(error, 'Correct the Cargo.toml the error names.')
    return {check: WORKSPACE_CHECK.fail(detail, fix)}
  }

  const kinds = (['package', 'kit', 'variant'] as const).map((kind) => count(workspace.members.filter((member) => member.kind === kind).length, kind))
  const summary = `${workspace.manifestPath}: ${kinds.join(', ')}`
  const check = logger.warnings.length === 0 ? WORKSPACE_CHECK.ok(summary) : WORKSPACE_CHECK.warn(withWarnings(summary, logger.warnings), WARNINGS_FIX)
  return {check, value: workspace}
}

/** Cargo refuses a workspace whose members depend on each other in a circle, and so does every build. */
export function checkDependencyCycles(workspace: Workspace): CheckResult {
  const graph = new DependencyGraph(workspace)
  try {
    for (const member of graph.members) graph.assertNoCycleFrom(member.name)
  } catch (error) {
    const {detail, fix} = describeError(error, 'Remove one of the dependencies of the cycle.')
    return CYCLES_CHECK.fail(detail, fix)
  }

  return CYCLES_CHECK.ok(`none among the ${count(graph.members.length, 'member')}`)
}

/** Prints nothing: the warnings become the check's detail instead. */
function collectingLogger(): Logger {
  return new Logger('off')
}

function withWarnings(summary: string, warnings: string[]): string {
  return `${summary}; ${count(warnings.length, 'warning')}: ${warnings.join(' | ')}`
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
