import {expect} from 'chai'
import {mkdir} from 'node:fs/promises'
import path from 'node:path'

import {expectTwoliterError, fixture, loadProjectIn, recordingLogger, temporaryDirectories} from './helpers.js'

const TWOLITER_TOML = 'schema-version = 1\nrelease-version = "1.0.0"\n'

describe('Release.toml check', () => {
  const directories = temporaryDirectories()

  it('fails when its version differs from release-version, naming both values and the file', async () => {
    const root = fixture('release-toml-mismatch')
    const error = await expectTwoliterError(loadProjectIn(root), 'project.release-toml')
    expect(error.message).to.contain("'1.2.0'")
    expect(error.message).to.contain("'1.0.0'")
    expect(error.location).to.deep.equal({file: path.join(root, 'Release.toml'), line: 2, column: 1})
  })

  it('loads when the versions match, warning that Release.toml is deprecated', async () => {
    const {logger} = recordingLogger()
    const project = await loadProjectIn(fixture('release-toml-match'), logger)
    expect(project.releaseVersion).to.equal('1.0.0')
    expect(logger.warnings).to.have.length(1)
    expect(logger.warnings[0]).to.contain('Release.toml is deprecated')
  })

  it('only warns when it cannot be parsed, with the position of the syntax error', async () => {
    const root = fixture('release-toml-unparsable')
    const {logger} = recordingLogger()
    await loadProjectIn(root, logger)
    expect(logger.warnings).to.have.length(2)
    expect(logger.warnings[1]).to.match(new RegExp(`^${path.join(root, 'Release.toml')}:1:\\d+: Release.toml is ignored because it cannot be parsed`))
  })

  it('ignores a Release.toml without a version key', async () => {
    const {logger} = recordingLogger()
    const root = await directories.create({'Twoliter.toml': TWOLITER_TOML, 'Release.toml': '[migrations]\n'})
    await loadProjectIn(root, logger)
    expect(logger.warnings).to.have.length(1)
  })

  it('fails when its version is not a string', async () => {
    const root = await directories.create({'Twoliter.toml': TWOLITER_TOML, 'Release.toml': 'version = 1\n'})
    const error = await expectTwoliterError(loadProjectIn(root), 'project.release-toml')
    expect(error.message).to.contain('must be a string, but it is an integer (1)')
    expect(error.location?.line).to.equal(1)
  })

  it('is not checked, nor warned about, when absent or not a file', async () => {
    const {logger} = recordingLogger()
    const root = await directories.create({'Twoliter.toml': TWOLITER_TOML})
    await loadProjectIn(root, logger)
    await mkdir(path.join(root, 'Release.toml'))
    await loadProjectIn(root, logger)
    expect(logger.warnings).to.deep.equal([])
  })
})
