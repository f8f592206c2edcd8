import {isTwoliterError} from '../errors.js'
import {findProject} from '../project/discovery.js'
import {toProjectImage} from '../project/project-image.js'
import {openProject} from '../project/project.js'
import type {Logger} from '../ui/logger.js'
import {LOCAL_SDK_REPOSITORY} from './local-sdk.js'

/** The tag of a local SDK built outside a project, or in one without an [sdk] table. */
export const STANDALONE_LOCAL_SDK_TAG = `${LOCAL_SDK_REPOSITORY}:latest`

/**
 * The name the local SDK should carry so that builds find it: the image the project's [sdk] names
 * (`<vendor registry>/<name>:v<version>`, Twoliter.override applied), or twoliter-local-sdk:latest
 * outside a project. A --project-path that names no file is still an error.
 */
export async function defaultLocalSdkTag(options: {cwd?: string; projectPath?: string; logger: Logger}): Promise<string> {
  if (options.projectPath === undefined) {
    try {
      await findProject({cwd: options.cwd})
    } catch (error) {
      if (isTwoliterError(error) && error.code === 'project.not-found') {
        options.logger.debug(`no project here: the local SDK is tagged ${STANDALONE_LOCAL_SDK_TAG}`)
        return STANDALONE_LOCAL_SDK_TAG
      }

      throw error
    }
  }

  const project = await openProject(options)
  if (project.sdk === undefined) {
    options.logger.info(`${project.file} has no [sdk] table: the local SDK is tagged ${STANDALONE_LOCAL_SDK_TAG}`)
    return STANDALONE_LOCAL_SDK_TAG
  }

  return toProjectImage(project, project.sdk).pull.toString()
}
