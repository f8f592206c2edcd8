import {BuildLayout} from '../build/layout.js'
import {hostArch} from '../build/arch.js'
import type {SdkImage} from '../build/sdk-image.js'
import type {Engine} from '../engine/index.js'
import {localSdkRecipeHash} from '../sdk/index.js'
import {BUILDKIT_CHECK, checkBuildkitSupport, probeBuildkit} from './buildkit.js'
import {type CheckDefinition, type CheckResult, NEEDS_ENGINE, type SkipReason, describeError, skip} from './check.js'
import {DISK_SPACE_CHECK, type DiskThresholds, checkDiskSpace, measureFreeSpace} from './disk-space.js'
import {probeEngine} from './engine.js'
import {NODE_CHECK, type NodeRuntime, checkNodeVersion} from './node-version.js'
import {type InstalledPlugin, type PluginReport, describePlugins} from './plugins.js'
import {
  CYCLES_CHECK,
  PROJECT_FILE_CHECK,
  WORKSPACE_CHECK,
  checkDependencyCycles,
  checkProjectFile,
  checkWorkspace,
  searchProject,
  type ProjectSearch,
} from './project-files.js'
import {LOCAL_SDK_CHECK, SDK_IMAGE_CHECK, checkLocalSdk, checkSdkImage} from './sdk.js'

/** `twoliter doctor`'s result. */
export interface DoctorReport {
  checks: CheckResult[]
  plugins: PluginReport[]
  /** False when a check failed; warnings and skipped checks leave it true. */
  ok: boolean
}

/** Everything the doctor looks at, passed in so that tests can choose it. */
export interface DoctorOptions {
  node: NodeRuntime
  /** The semver range of Node versions twoliter runs on: package.json's engines.node. */
  nodeRequirement: string
  connectEngine: () => Promise<Engine>
  cwd: string
  /** --project-path: the project's Twoliter.toml. */
  projectPath?: string
  /** Also build a probe image to prove that BuildKit works. */
  deep: boolean
  plugins: readonly InstalledPlugin[]
  diskThresholds?: DiskThresholds
}

const NEEDS_PROJECT_FILE: SkipReason = {
  detail: 'needs Twoliter.toml, which did not load',
  fix: 'Correct Twoliter.toml as its check says, then run twoliter doctor again.',
}
const NEEDS_WORKSPACE: SkipReason = {
  detail: 'needs the Cargo workspace, which did not load',
  fix: 'Correct the Cargo workspace as its check says, then run twoliter doctor again.',
}

const NOT_IN_PROJECT_FIX = 'Run twoliter doctor inside a project, or pass --project-path PATH/Twoliter.toml, to check its files.'

/** Runs every check in order; a check that throws fails by itself instead of ending the report. */
export async function runDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const checks: CheckResult[] = [await guard(NODE_CHECK, () => checkNodeVersion(options.node, options.nodeRequirement))]

  const {engine, version, check: engineCheck} = await probeEngine(options.connectEngine)
  checks.push(engineCheck)
  checks.push(
    await guard(BUILDKIT_CHECK, async () => {
      if (engine === undefined || version === undefined) return skip(BUILDKIT_CHECK, NEEDS_ENGINE)
      const support = checkBuildkitSupport(version)
      return options.deep && support.status !== 'fail' ? probeBuildkit(engine) : support
    }),
  )

  const search = await searchProject({cwd: options.cwd, projectPath: options.projectPath})
  const buildDir = search.kind === 'found' ? new BuildLayout(search.location.root, hostArch()).buildDir : options.cwd
  checks.push(await guard(DISK_SPACE_CHECK, async () => checkDiskSpace(await measureFreeSpace(buildDir), options.diskThresholds)))

  const project = await projectChecks(search, engine)
  checks.push(...project.checks)
  checks.push(
    await guard(LOCAL_SDK_CHECK, async () => {
      if (engine === undefined) return skip(LOCAL_SDK_CHECK, NEEDS_ENGINE)
      return checkLocalSdk(engine, {recipeHash: await localSdkRecipeHash(), projectSdk: project.sdk})
    }),
  )

  return {checks, plugins: describePlugins(options.plugins), ok: !checks.some((check) => check.status === 'fail')}
}

/** The checks of the project's files, and of its SDK image when both the project and the engine are there. */
async function projectChecks(search: ProjectSearch, engine: Engine | undefined): Promise<{checks: CheckResult[]; sdk?: SdkImage}> {
  const dependent = [WORKSPACE_CHECK, CYCLES_CHECK, SDK_IMAGE_CHECK]
  if (search.kind === 'outside') {
    const outside = `not in a project: no Twoliter.toml in ${search.cwd} or any directory above it`
    const needsProject = {detail: 'needs a project', fix: NOT_IN_PROJECT_FIX}
    return {checks: [PROJECT_FILE_CHECK.skipped(outside, NOT_IN_PROJECT_FIX), ...dependent.map((definition) => skip(definition, needsProject))]}
  }

  if (search.kind === 'failed') {
    const {detail, fix} = describeError(search.error, 'Pass --project-path the path of the project\'s Twoliter.toml file.')
    const noProject = {detail: 'needs the project, which was not found', fix}
    return {checks: [PROJECT_FILE_CHECK.fail(detail, fix), ...dependent.map((definition) => skip(definition, noProject))]}
  }

  const project = await checkProjectFile(search.location)
  const workspace = await checkWorkspace(search.location.root)
  const loadedWorkspace = workspace.value
  const cycles = loadedWorkspace === undefined ? skip(CYCLES_CHECK, NEEDS_WORKSPACE) : await guard(CYCLES_CHECK, () => checkDependencyCycles(loadedWorkspace))
  if (project.value === undefined) return {checks: [project.check, workspace.check, cycles, skip(SDK_IMAGE_CHECK, NEEDS_PROJECT_FILE)]}
  const sdk = await checkSdkImage(project.value, engine)
  return {checks: [project.check, workspace.check, cycles, sdk.check], sdk: sdk.value}
}

async function guard(definition: CheckDefinition, run: () => CheckResult | Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await run()
  } catch (error) {
    const {detail, fix} = describeError(error, 'Correct what the message names, then run twoliter doctor again.')
    return definition.fail(detail, fix)
  }
}
