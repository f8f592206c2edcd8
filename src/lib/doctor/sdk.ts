import {type SdkImage, sdkImageInEngine} from '../build/sdk-image.js'
import type {Engine} from '../engine/index.js'
import type {Project} from '../project/project.js'
import {SDK_RECIPE_LABEL, localSdkCacheTag} from '../sdk/index.js'
import {type CheckResult, type Checked, NEEDS_ENGINE, defineCheck, describeError, skip} from './check.js'
import {formatBytes} from './disk-space.js'

export const SDK_IMAGE_CHECK = defineCheck('sdk-image', 'SDK image')
export const LOCAL_SDK_CHECK = defineCheck('local-sdk', 'Local SDK')

/**
 * The project must name its SDK, and the image [sdk] names (Twoliter.override applied) must be in the
 * engine, as builds require.
 */
export async function checkSdkImage(project: Project, engine: Engine | undefined): Promise<Checked<SdkImage>> {
  if (project.sdk === undefined) {
    return {
      check: SDK_IMAGE_CHECK.warn(
        `${project.file} has no [sdk] table, so builds do not know which SDK to use.`,
        'Add one, e.g. `[sdk] name = "bottlerocket-sdk", version = "0.42.0", vendor = "bottlerocket"` with that vendor\'s [vendor.bottlerocket] registry, or build the local SDK with `twoliter sdk build-local` and name its image there.',
      ),
    }
  }

  if (engine === undefined) return {check: skip(SDK_IMAGE_CHECK, NEEDS_ENGINE)}
  let sdk: SdkImage
  try {
    sdk = await sdkImageInEngine(project, engine)
  } catch (error) {
    // Builds stop here too, but the project itself is sound: a warning, with the build's own advice.
    const {detail, fix} = describeError(error, 'Check that the Docker engine is healthy (`docker info`).')
    return {check: SDK_IMAGE_CHECK.warn(detail, fix)}
  }

  return {check: SDK_IMAGE_CHECK.ok(`${sdk.image} is in the engine (${sdk.id.slice(0, 19)})`), value: sdk}
}

/**
 * Informational: whether the engine holds the local SDK of this twoliter's recipe (`recipeHash`), and
 * whether the project's SDK, when it is a local SDK, was built from that recipe or an older one.
 */
export async function checkLocalSdk(engine: Engine, options: {recipeHash: string; projectSdk?: SdkImage}): Promise<CheckResult> {
  const {recipeHash, projectSdk} = options
  const projectSdkRecipe = projectSdk === undefined ? undefined : (await engine.inspectImage(projectSdk.image))?.labels[SDK_RECIPE_LABEL]
  if (projectSdk !== undefined && projectSdkRecipe !== undefined) {
    if (projectSdkRecipe === recipeHash) return LOCAL_SDK_CHECK.ok(`the project's SDK ${projectSdk.image} is the local SDK of this twoliter's recipe`)
    return LOCAL_SDK_CHECK.warn(
      `the project's SDK ${projectSdk.image} is a local SDK of an older recipe (${projectSdkRecipe.slice(0, 12)}), not of this twoliter's (${recipeHash.slice(0, 12)}).`,
      `Run \`twoliter sdk build-local\` in the project: it builds the current recipe and tags it ${projectSdk.image}.`,
    )
  }

  const tag = localSdkCacheTag(recipeHash)
  const cached = await engine.inspectImage(tag)
  if (cached?.labels[SDK_RECIPE_LABEL] === recipeHash) return LOCAL_SDK_CHECK.ok(`${tag} is built from this twoliter's recipe (${formatBytes(cached.size)})`)
  return LOCAL_SDK_CHECK.ok(`not built: the engine has no ${tag}, which only projects using the local SDK need (\`twoliter sdk build-local\` builds it)`)
}
