import type {Engine} from '../engine/index.js'
import {TwoliterError} from '../errors.js'
import {toProjectImage} from '../project/project-image.js'
import type {Project} from '../project/project.js'

export interface SdkImage {
  /** The reference the build runs, with Twoliter.override applied. */
  image: string
  /** The engine's image id: part of every package's inputs. */
  id: string
}

/**
 * The SDK a build uses: the image the project's [sdk] names (Twoliter.override applied), taken from the
 * engine. Kits and the lock add inference and pinning later.
 */
export async function resolveSdkImage(project: Project, engine: Engine): Promise<SdkImage> {
  if (!project.sdk) {
    throw new TwoliterError(`${project.file} has no [sdk] table, so twoliter does not know which SDK to build with.`, {
      hint: 'Add one, e.g. `[sdk] name = "bottlerocket-sdk", version = "0.42.0", vendor = "bottlerocket"`, or build the local SDK with `twoliter sdk build-local` and name it there.',
      code: 'build.no-sdk',
    })
  }

  const image = toProjectImage(project, project.sdk).pull.toString()
  const id = await engine.imageId(image)
  if (!id) {
    throw new TwoliterError(`the SDK image ${image} is not in the container engine.`, {
      hint: `Build the local SDK under that name with \`twoliter sdk build-local\` (run in the project), or pull ${image} into the engine.`,
      code: 'build.sdk-missing',
    })
  }

  return {image, id}
}
