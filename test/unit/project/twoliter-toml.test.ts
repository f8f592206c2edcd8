import {expect} from 'chai'
import {readFile} from 'node:fs/promises'
import path from 'node:path'

import {formatError} from '../../../src/lib/errors.js'
import {TOP_LEVEL_KEYS} from '../../../src/lib/project/twoliter-toml.js'
import {
  expectTwoliterError,
  fixture,
  lineOf,
  loadProjectIn,
  recordingLogger,
  temporaryDirectories,
} from './helpers.js'

const MINIMAL = 'schema-version = 1\nrelease-version = "1.0.0"\n'

const VENDOR = '[vendor.bottlerocket]\nregistry = "public.ecr.aws/bottlerocket"\n'

function kit(name: string, version: string, vendor = 'bottlerocket'): string {
  return `[[kit]]\nname = ${JSON.stringify(name)}\nversion = ${JSON.stringify(version)}\nvendor = ${JSON.stringify(vendor)}\n`
}

describe('loadProject (Twoliter.toml)', () => {
  const directories = temporaryDirectories()

  async function loadText(text: string, logger = recordingLogger().logger) {
    const root = await directories.create({'Twoliter.toml': text})
    return loadProjectIn(root, logger)
  }

  async function expectLoadError(text: string, code: string) {
    const root = await directories.create({'Twoliter.toml': text})
    const error = await expectTwoliterError(loadProjectIn(root), code)
    expect(error.location?.file).to.equal(path.join(root, 'Twoliter.toml'))
    return error
  }

  describe('a valid project', () => {
    it('reads the schema, release version, SDK, vendors and kits in file order', async () => {
      const project = await loadProjectIn(fixture('valid'))
      expect(project.file).to.equal(path.join(fixture('valid'), 'Twoliter.toml'))
      expect(project.root).to.equal(fixture('valid'))
      expect(project.schemaVersion).to.equal(1)
      expect(project.releaseVersion).to.equal('1.0.0')
      expect(project.sdk).to.deep.equal({name: 'my-sdk', version: '1.2.3', vendor: 'my-vendor'})
      expect(Object.keys(project.vendors)).to.deep.equal(['my-vendor', 'bottlerocket'])
      expect(project.vendors['my-vendor']).to.deep.equal({registry: 'a.com/b'})
      expect(project.vendors.bottlerocket).to.deep.equal({registry: 'public.ecr.aws/bottlerocket'})
      expect(project.kits).to.deep.equal([
        {name: 'my-core-kit', version: '2.0.0-rc.1+build.5', vendor: 'my-vendor'},
        {name: 'bottlerocket_extra-kit', version: '0.1.0', vendor: 'bottlerocket'},
      ])
    })

    it('keeps the raw table and the document, with extension tables, for later features', async () => {
      const project = await loadProjectIn(fixture('valid'))
      expect(project.raw.hooks).to.deep.equal({'pre-build-package': ['scripts/prepare']})
      expect(project.raw['lookaside-caches']).to.deep.equal(['https://cache.example.com'])
      expect(project.document.source).to.equal(await readFile(project.file, 'utf8'))
    })

    it('warns about nothing: extension keys are known and far-off unknown keys are ignored silently', async () => {
      const {logger} = recordingLogger()
      await loadProjectIn(fixture('valid'), logger)
      expect(logger.warnings).to.deep.equal([])
    })

    it('accepts a project without [sdk], vendors or kits', async () => {
      const project = await loadText(MINIMAL)
      expect(project.sdk).to.equal(undefined)
      expect(project.vendors).to.deep.equal({})
      expect(project.kits).to.deep.equal([])
    })

    it('accepts `kit = []` as no kits', async () => {
      expect((await loadText(`${MINIMAL}kit = []\n`)).kits).to.deep.equal([])
    })

    it('does not validate release-version as semver when loading, like twoliter 0.5', async () => {
      expect((await loadText('schema-version = 1\nrelease-version = "not a version"\n')).releaseVersion).to.equal('not a version')
    })
  })

  describe('syntax errors', () => {
    it('show the file, line and column', async () => {
      const root = fixture('syntax-error')
      const error = await expectTwoliterError(loadProjectIn(root), 'toml.syntax')
      expect(error.location).to.include({file: path.join(root, 'Twoliter.toml'), line: 3})
      expect(error.location?.column).to.be.a('number')
      expect(formatError(error)).to.match(new RegExp(`^${path.join(root, 'Twoliter.toml')}:3:\\d+: `))
    })
  })

  describe('schema-version', () => {
    it('rejects 2 with the got/expected message at its line', async () => {
      const error = await expectTwoliterError(loadProjectIn(fixture('schema-version-2')), 'project.schema-version')
      expect(error.message).to.contain("got '2', expected '1'")
      expect(error.location?.line).to.equal(2)
    })

    it('rejects 4294967295', async () => {
      const error = await expectTwoliterError(loadProjectIn(fixture('schema-version-u32-max')), 'project.schema-version')
      expect(error.message).to.contain("got '4294967295', expected '1'")
    })

    it('rejects 0 and -1', async () => {
      for (const value of ['0', '-1']) {
        const error = await expectLoadError(`schema-version = ${value}\nrelease-version = "1.0.0"\n`, 'project.schema-version')
        expect(error.message).to.contain(`got '${value}', expected '1'`)
      }
    })

    it('must be an integer: 1.0 and "1" are refused', async () => {
      for (const value of ['1.0', '"1"', '1e0']) {
        const error = await expectLoadError(`schema-version = ${value}\nrelease-version = "1.0.0"\n`, 'toml.wrong-type')
        expect(error.message).to.contain('`schema-version` must be an integer')
        expect(error.location?.line).to.equal(1)
      }
    })

    it('says that 1.0 is a float, not an integer', async () => {
      const error = await expectLoadError('schema-version = 1.0\nrelease-version = "1.0.0"\n', 'toml.wrong-type')
      expect(error.message).to.contain('but it is a float (1.0)')
    })

    it('reports a schema-version beyond 64 bits exactly', async () => {
      const error = await expectLoadError('schema-version = 9223372036854775807\nrelease-version = "1.0.0"\n', 'project.schema-version')
      expect(error.message).to.contain("got '9223372036854775807', expected '1'")
    })

    it('is required', async () => {
      const error = await expectLoadError('release-version = "1.0.0"\n', 'toml.missing-key')
      expect(error.message).to.contain('`schema-version` is missing')
      expect(error.hint).to.contain('schema-version = 1')
    })
  })

  describe('release-version', () => {
    it('is required', async () => {
      const error = await expectLoadError('schema-version = 1\n', 'toml.missing-key')
      expect(error.message).to.contain('`release-version` is missing')
    })

    it('must be a string', async () => {
      const error = await expectLoadError('schema-version = 1\nrelease-version = 1\n', 'toml.wrong-type')
      expect(error.message).to.contain('`release-version` must be a string, but it is an integer (1)')
      expect(error.location?.line).to.equal(2)
    })
  })

  describe('identifiers', () => {
    it('rejects a kit name with a dot, naming the key and its line', async () => {
      const root = fixture('bad-identifier')
      const error = await expectTwoliterError(loadProjectIn(root), 'project.invalid-identifier')
      expect(error.message).to.contain('`name` of the 2nd [[kit]]')
      expect(error.message).to.contain('invalid character "." in \'extra.kit\'')
      const text = await readFile(path.join(root, 'Twoliter.toml'), 'utf8')
      expect(error.location?.line).to.equal(lineOf(text, 'name = "extra.kit"'))
    })

    it('rejects an empty SDK name', async () => {
      const text = `${MINIMAL}${VENDOR}[sdk]\nname = ""\nversion = "1.0.0"\nvendor = "bottlerocket"\n`
      const error = await expectLoadError(text, 'project.invalid-identifier')
      expect(error.message).to.contain('`name` in [sdk] is not a valid identifier: it is empty')
      expect(error.location?.line).to.equal(lineOf(text, 'name = ""'))
    })

    it('rejects a vendor reference with a space', async () => {
      const text = `${MINIMAL}${VENDOR}${kit('core-kit', '1.0.0', 'bottle rocket')}`
      const error = await expectLoadError(text, 'project.invalid-identifier')
      expect(error.message).to.contain('`vendor` of the 1st [[kit]]')
      expect(error.message).to.contain('" "')
    })

    it('rejects a vendor table whose name is not an identifier', async () => {
      const text = `${MINIMAL}[vendor."my/vendor"]\nregistry = "a.com"\n`
      const error = await expectLoadError(text, 'project.invalid-identifier')
      expect(error.message).to.contain('in [vendor]')
      expect(error.message).to.contain('"/"')
      expect(error.location?.line).to.equal(3)
    })

    it('accepts letters, digits, - and _', async () => {
      const project = await loadText(`${MINIMAL}[vendor.A-z_09]\nregistry = "a.com"\n${kit('Kit_1-x', '1.0.0', 'A-z_09')}`)
      expect(project.kits[0]).to.deep.equal({name: 'Kit_1-x', version: '1.0.0', vendor: 'A-z_09'})
    })
  })

  describe('versions', () => {
    for (const version of ['v1.2.3', '1.2', '01.2.3', '1.2.3-01', '1.2.3+', ' 1.2.3']) {
      it(`rejects ${JSON.stringify(version)} at the version's line`, async () => {
        const text = `${MINIMAL}${VENDOR}${kit('core-kit', version)}`
        const error = await expectLoadError(text, 'project.invalid-version')
        expect(error.message).to.contain(`\`version\` of the 1st [[kit]] '${version}' is not a valid version`)
        expect(error.location?.line).to.equal(lineOf(text, `version = ${JSON.stringify(version)}`))
      })
    }

    it('explains a leading v', async () => {
      const error = await expectLoadError(`${MINIMAL}${VENDOR}${kit('core-kit', 'v1.2.3')}`, 'project.invalid-version')
      expect(error.message).to.contain("remove the leading 'v'")
    })

    it('checks the SDK version too', async () => {
      const text = `${MINIMAL}${VENDOR}[sdk]\nname = "sdk"\nversion = "1.2"\nvendor = "bottlerocket"\n`
      const error = await expectLoadError(text, 'project.invalid-version')
      expect(error.message).to.contain('`version` in [sdk]')
    })

    it('accepts pre-release and build metadata', async () => {
      const project = await loadText(`${MINIMAL}${VENDOR}${kit('core-kit', '1.2.3-alpha.0.x-y+build.007')}`)
      expect(project.kits[0].version).to.equal('1.2.3-alpha.0.x-y+build.007')
    })
  })

  describe('vendor availability', () => {
    it('rejects a kit whose vendor is not declared, listing the declared ones', async () => {
      const root = fixture('unknown-vendor')
      const error = await expectTwoliterError(loadProjectIn(root), 'project.unknown-vendor')
      expect(error.message).to.contain('cannot define a dependency on a vendor that is not specified in Twoliter.toml')
      expect(error.message).to.contain("'custom-vendor'")
      expect(error.message).to.contain("declares only 'bottlerocket'")
      expect(error.hint).to.contain('[vendor.custom-vendor]')
      const text = await readFile(path.join(root, 'Twoliter.toml'), 'utf8')
      expect(error.location?.line).to.equal(lineOf(text, 'vendor = "custom-vendor"'))
    })

    it('rejects an SDK vendor when no vendor is declared at all', async () => {
      const error = await expectLoadError(`${MINIMAL}[sdk]\nname = "sdk"\nversion = "1.0.0"\nvendor = "bottlerocket"\n`, 'project.unknown-vendor')
      expect(error.message).to.contain('`vendor` in [sdk]')
      expect(error.message).to.contain('declares no vendors')
    })

    it('is checked before Release.toml, which is checked before Twoliter.override', async () => {
      const unknownVendor = `schema-version = 1\nrelease-version = "1.0.0"\n${kit('k', '1.0.0', 'nobody')}`
      const badRelease = 'version = "9.9.9"\n'
      const badOverride = '[bottlerocket.k]\nregistry = 1\n'
      const root = await directories.create({'Twoliter.toml': unknownVendor, 'Release.toml': badRelease, 'Twoliter.override': badOverride})
      await expectTwoliterError(loadProjectIn(root), 'project.unknown-vendor')

      const second = await directories.create({'Twoliter.toml': MINIMAL, 'Release.toml': badRelease, 'Twoliter.override': badOverride})
      await expectTwoliterError(loadProjectIn(second), 'project.release-toml')
    })
  })

  describe('wrong types', () => {
    const cases: Array<{title: string; text: string; message: string}> = [
      {title: 'a numeric kit version', text: `${MINIMAL}${VENDOR}[[kit]]\nname = "k"\nversion = 1\nvendor = "bottlerocket"\n`, message: '`version` of the 1st [[kit]] must be a string, but it is an integer (1)'},
      {title: 'a string [sdk]', text: `sdk = "bottlerocket-sdk"\n${MINIMAL}`, message: '`sdk` must be a table, but it is a string ("bottlerocket-sdk")'},
      {title: 'a string vendor entry', text: `${MINIMAL}[vendor]\nbottlerocket = "public.ecr.aws/bottlerocket"\n`, message: '`bottlerocket` in [vendor] must be a table'},
      {title: 'a numeric registry', text: `${MINIMAL}[vendor.bottlerocket]\nregistry = 5\n`, message: '`registry` in [vendor.bottlerocket] must be a string, but it is an integer (5)'},
      {title: 'a kit table instead of an array', text: `${MINIMAL}[kit]\nname = "k"\n`, message: '`kit` must be an array of tables, but it is a table'},
      {title: 'a kit array of strings', text: `${MINIMAL}kit = ["core-kit"]\n`, message: 'the 1st [[kit]] entry must be a table, but it is a string ("core-kit")'},
      {title: 'a boolean name', text: `${MINIMAL}${VENDOR}[sdk]\nname = true\nversion = "1.0.0"\nvendor = "bottlerocket"\n`, message: '`name` in [sdk] must be a string, but it is a boolean (true)'},
    ]
    for (const {title, text, message} of cases) {
      it(`explains ${title}`, async () => {
        const error = await expectLoadError(text, 'toml.wrong-type')
        expect(error.message).to.contain(message)
        expect(error.location?.line).to.be.a('number')
        expect(error.hint).to.match(/^Write it like `.+`\.$/)
      })
    }

    it('reports a missing registry at its vendor table', async () => {
      const text = `${MINIMAL}\n[vendor.bottlerocket]\nsigning-keys = []\n`
      const error = await expectLoadError(text, 'toml.missing-key')
      expect(error.message).to.contain('`registry` in [vendor.bottlerocket] is missing')
      expect(error.location?.line).to.equal(lineOf(text, '[vendor.bottlerocket]'))
    })

    it('reports a missing kit vendor at its [[kit]] header', async () => {
      const text = `${MINIMAL}${VENDOR}\n[[kit]]\nname = "a"\nversion = "1.0.0"\nvendor = "bottlerocket"\n\n[[kit]]\nname = "b"\nversion = "1.0.0"\n`
      const error = await expectLoadError(text, 'toml.missing-key')
      expect(error.message).to.contain('`vendor` of the 2nd [[kit]] is missing')
      expect(error.location?.line).to.equal(text.split('\n').lastIndexOf('[[kit]]') + 1)
    })
  })

  describe('likely typos', () => {
    it('warns about release-verison with its line and suggestion, and still reports the missing key', async () => {
      const {logger} = recordingLogger()
      const root = await directories.create({'Twoliter.toml': 'schema-version = 1\nrelease-verison = "1.0.0"\n'})
      await expectTwoliterError(loadProjectIn(root, logger), 'toml.missing-key')
      expect(logger.warnings).to.deep.equal([
        `${path.join(root, 'Twoliter.toml')}:2:1: unknown key 'release-verison' is ignored; did you mean release-version?`,
      ])
    })

    it('warns in [sdk], [vendor.X] and each [[kit]]', async () => {
      const {logger} = recordingLogger()
      const text = [
        MINIMAL,
        'kits-dir = "x"',
        '[sdk]\nname = "sdk"\nversion = "1.0.0"\nvendor = "bottlerocket"\nverison = "2.0.0"',
        '[vendor.bottlerocket]\nregistry = "r"\nregistyr = "x"\nsigning-key = []',
        '[[kit]]\nname = "a"\nversion = "1.0.0"\nvendor = "bottlerocket"',
        '[[kit]]\nname = "b"\nversion = "1.0.0"\nvendor = "bottlerocket"\nvendr = "x"',
      ].join('\n')
      await loadText(text, logger)
      const suggestions = logger.warnings.map((warning) => warning.replace(/^.*: unknown key/, 'unknown key'))
      expect(suggestions).to.have.members([
        "unknown key 'verison' is ignored; did you mean version?",
        "unknown key 'registyr' is ignored; did you mean registry?",
        "unknown key 'signing-key' is ignored; did you mean signing-keys?",
        "unknown key 'vendr' is ignored; did you mean vendor?",
      ])
      const vendrWarning = logger.warnings.find((warning) => warning.includes("'vendr'"))
      expect(vendrWarning).to.contain(`:${lineOf(text, 'vendr =')}:`)
    })

    it('does not warn about any known top-level key, including the extension keys', async () => {
      expect(TOP_LEVEL_KEYS).to.include.members(['hooks', 'lookaside-caches', 'upstream-source-fallback', 'require-signatures'])
      const {logger} = recordingLogger()
      await loadText(`${MINIMAL}lookaside-caches = []\nupstream-source-fallback = false\nrequire-signatures = true\n[hooks]\n`, logger)
      expect(logger.warnings).to.deep.equal([])
    })

    it('suggests kit for kits', async () => {
      const {logger} = recordingLogger()
      await loadText(`${MINIMAL}[[kits]]\nname = "a"\n`, logger)
      expect(logger.warnings).to.have.length(1)
      expect(logger.warnings[0]).to.contain("unknown key 'kits' is ignored; did you mean kit?")
    })
  })
})
