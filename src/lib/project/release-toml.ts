import {stat} from 'node:fs/promises'
import path from 'node:path'

import {TwoliterError, formatLocation} from '../errors.js'
import {type TomlDocument, locate, readTomlFileIfExists} from '../toml/document.js'
import {describeValue} from '../toml/table-reader.js'
import type {Logger} from '../ui/logger.js'

export const RELEASE_TOML = 'Release.toml'

/**
 * Release.toml is deprecated (Twoliter.toml's release-version replaced it), but twoliter 0.5 still checks
 * one that is present: its `version`, if it has one, must equal release-version. An unparsable Release.toml
 * is only warned about.
 */
export async function checkReleaseToml(root: string, releaseVersion: string, logger: Logger): Promise<void> {
  const file = path.join(root, RELEASE_TOML)
  const isFile = await stat(file).then((stats) => stats.isFile(), () => false)
  if (!isFile) return

  logger.warn(`${file}: Release.toml is deprecated; release-version in Twoliter.toml replaces it. Please remove it from your project.`)

  let document: TomlDocument | undefined
  try {
    document = await readTomlFileIfExists(file)
  } catch (error) {
    if (!(error instanceof TwoliterError)) throw error
    const where = error.location ? formatLocation(error.location) : file
    logger.warn(`${where}: Release.toml is ignored because it cannot be parsed (${error.message.replace(/\.$/, '')}), so its version cannot be checked against release-version in Twoliter.toml.`)
    return
  }

  if (document === undefined || !Object.hasOwn(document.data, 'version')) {
    logger.debug(`${file} has no version key; ignoring it.`)
    return
  }

  const version = document.data.version
  const hint = `Remove ${RELEASE_TOML} (release-version in Twoliter.toml replaces it), or make its version equal to release-version.`
  if (typeof version !== 'string') {
    throw new TwoliterError(`The version in ${RELEASE_TOML} must be a string, but it is ${describeValue(version)}.`, {
      location: locate(document, ['version']),
      hint,
      code: 'project.release-toml',
    })
  }

  if (version !== releaseVersion) {
    throw new TwoliterError(
      `The version found in ${RELEASE_TOML}, '${version}', does not match the release-version found in Twoliter.toml, '${releaseVersion}'.`,
      {location: locate(document, ['version']), hint, code: 'project.release-toml'},
    )
  }
}
