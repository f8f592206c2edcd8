import {expect} from 'chai'
import path from 'node:path'

import {findImageOverride} from '../../../src/lib/project/override.js'
import {expectTwoliterError, fixture, lineOf, loadProjectIn, recordingLogger, temporaryDirectories} from './helpers.js'

const TWOLITER_TOML = `schema-version = 1
release-version = "1.0.0"

[vendor.bottlerocket]
registry = "public.ecr.aws/bottlerocket"
`

describe('Twoliter.override', () => {
  const directories = temporaryDirectories()

  async function loadWithOverride(override: string, logger = recordingLogger().logger) {
    const root = await directories.create({'Twoliter.toml': TWOLITER_TOML, 'Twoliter.override': override})
    return {root, project: await loadProjectIn(root, logger)}
  }

  it('is read into vendor → artifact → {name, registry}, and its detection is logged', async () => {
    const {logger, lines} = recordingLogger()
    const project = await loadProjectIn(fixture('valid'), logger)
    expect(project.override.file).to.equal(path.join(fixture('valid'), 'Twoliter.override'))
    expect(project.override.images).to.deep.equal({
      'my-vendor': {
        'my-sdk': {name: 'my-overridden-sdk', registry: 'c.com/d'},
        'some-transitive-kit': {name: 'elsewhere'},
      },
      bottlerocket: {'bottlerocket_extra-kit': {registry: 'localhost:5000'}},
    })
    expect(lines.some((line) => line.startsWith('Detected override file') && line.includes(project.override.file!))).to.equal(true)
  })

  it('is optional', async () => {
    const {logger, lines} = recordingLogger()
    const root = await directories.create({'Twoliter.toml': TWOLITER_TOML})
    const project = await loadProjectIn(root, logger)
    expect(project.override).to.deep.equal({images: {}})
    expect(lines.filter((line) => line.includes('override'))).to.deep.equal([])
  })

  it('finds an override by vendor and artifact name, and nothing for others', async () => {
    const project = await loadProjectIn(fixture('valid'))
    expect(findImageOverride(project.override, 'my-vendor', 'my-sdk')).to.deep.equal({name: 'my-overridden-sdk', registry: 'c.com/d'})
    expect(findImageOverride(project.override, 'bottlerocket', 'my-sdk')).to.equal(undefined)
    expect(findImageOverride(project.override, 'nobody', 'my-sdk')).to.equal(undefined)
    expect(findImageOverride(project.override, 'my-vendor', 'toString')).to.equal(undefined)
  })

  it('warns about, but keeps, overrides for a vendor Twoliter.toml does not declare', async () => {
    const {logger} = recordingLogger()
    const text = '[bottlerocket.core-kit]\nregistry = "localhost:5000"\n\n[unknown-vendor.core-kit]\nregistry = "localhost:5000"\n'
    const {root, project} = await loadWithOverride(text, logger)
    expect(logger.warnings).to.have.length(1)
    expect(logger.warnings[0]).to.contain(`${path.join(root, 'Twoliter.override')}:4:1:`)
    expect(logger.warnings[0]).to.contain("vendor 'unknown-vendor' are ignored")
    expect(logger.warnings[0]).to.contain('declared: bottlerocket')
    expect(Object.keys(project.override.images)).to.deep.equal(['bottlerocket', 'unknown-vendor'])
  })

  it('warns about a misspelt key', async () => {
    const {logger} = recordingLogger()
    await loadWithOverride('[bottlerocket.core-kit]\nregsitry = "localhost:5000"\n', logger)
    expect(logger.warnings).to.have.length(1)
    expect(logger.warnings[0]).to.contain("unknown key 'regsitry' is ignored; did you mean registry?")
  })

  it('rejects a registry that is not a string, at its line', async () => {
    const text = '[bottlerocket.core-kit]\nname = "core-kit"\nregistry = 5000\n'
    const root = await directories.create({'Twoliter.toml': TWOLITER_TOML, 'Twoliter.override': text})
    const error = await expectTwoliterError(loadProjectIn(root), 'toml.wrong-type')
    expect(error.message).to.contain('`registry` in [bottlerocket.core-kit] must be a string, but it is an integer (5000)')
    expect(error.location).to.include({file: path.join(root, 'Twoliter.override'), line: lineOf(text, 'registry')})
  })

  it('rejects entries that are not tables', async () => {
    for (const text of ['bottlerocket = "localhost:5000"\n', '[bottlerocket]\ncore-kit = "localhost:5000"\n']) {
      const root = await directories.create({'Twoliter.toml': TWOLITER_TOML, 'Twoliter.override': text})
      const error = await expectTwoliterError(loadProjectIn(root), 'toml.wrong-type')
      expect(error.message).to.contain('must be a table')
    }
  })

  it('reports a syntax error with its position', async () => {
    const root = await directories.create({'Twoliter.toml': TWOLITER_TOML, 'Twoliter.override': '[bottlerocket.core-kit\n'})
    const error = await expectTwoliterError(loadProjectIn(root), 'toml.syntax')
    expect(error.location).to.include({file: path.join(root, 'Twoliter.override'), line: 1})
  })
  it('takes `path` as a local kit project, relative to the project root', async () => {
    const {root, project} = await loadWithOverride('[bottlerocket.core-kit]\npath = "../core-kit-project"\n')
    expect(findImageOverride(project.override, 'bottlerocket', 'core-kit')).to.deep.equal({path: path.resolve(root, '../core-kit-project')})
  })

  it('refuses `path` together with `registry` or `name`, pointing at the line', async () => {
    const override = '[bottlerocket.core-kit]\nregistry = "localhost:5000"\npath = "../core"\n'
    const error = await expectTwoliterError(loadWithOverride(override), 'override.path-and-registry')
    expect(error.message).to.include('both `path` and `registry`')
    expect(error.location?.line).to.equal(lineOf(override, 'path ='))
  })
})
