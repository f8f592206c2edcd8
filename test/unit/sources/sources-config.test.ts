import {expect} from 'chai'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {ExitCode, UsageError} from '../../../src/lib/errors.js'
import {DEFAULT_LOOKASIDE_CACHES, readSourcesConfig, resolveSourcesConfig} from '../../../src/lib/project/sources-config.js'
import {expectThrownTwoliterError, lineOf, loadProjectIn, temporaryDirectories} from '../project/helpers.js'

const FIXTURES = fileURLToPath(new URL('../../fixtures/sources/', import.meta.url))
const MINIMAL = 'schema-version = 1\nrelease-version = "1.0.0"\n'

describe('sources configuration (lookaside-caches, upstream-source-fallback)', () => {
  const directories = temporaryDirectories()

  async function projectWith(text: string) {
    const root = await directories.create({'Twoliter.toml': text})
    return loadProjectIn(root)
  }

  describe('readSourcesConfig', () => {
    it('defaults to the Bottlerocket cache without upstream fallback, like twoliter 0.5', async () => {
      const project = await projectWith(MINIMAL)
      expect(readSourcesConfig(project)).to.deep.equal({lookasideCaches: ['https://cache.bottlerocket.aws'], upstreamFallback: false})
      expect(DEFAULT_LOOKASIDE_CACHES).to.deep.equal(['https://cache.bottlerocket.aws'])
    })

    it('reads the caches in file order, without trailing slashes, and the fallback', async () => {
      const project = await loadProjectIn(path.join(FIXTURES, 'custom-caches'))
      expect(readSourcesConfig(project)).to.deep.equal({
        lookasideCaches: ['https://lookaside.example.com/bottlerocket', 'https://cache.bottlerocket.aws'],
        upstreamFallback: true,
      })
    })

    it('takes an empty list to mean no lookaside cache at all', async () => {
      const project = await projectWith(`${MINIMAL}lookaside-caches = []\n`)
      expect(readSourcesConfig(project).lookasideCaches).to.deep.equal([])
    })

    for (const [value, problem] of [
      ['"ftp://cache.example.com"', 'must be an http or https URL, not ftp'],
      ['"cache.example.com"', 'is not a valid URL'],
      ['"https://cache.example.com/?token=1"', 'must not have a query'],
      ['"https://user:secret@cache.example.com"', 'must not contain a user name or password'],
    ] as const) {
      it(`refuses the cache ${value} at its line: it ${problem}`, async () => {
        const text = `${MINIMAL}lookaside-caches = [\n  "https://good.example.com",\n  ${value},\n]\n`
        const project = await projectWith(text)
        const error = expectThrownTwoliterError(() => readSourcesConfig(project), 'project.invalid-lookaside-cache')
        expect(error.message).to.include(problem)
        expect(error.location).to.deep.equal({file: project.file, line: lineOf(text, value), column: 3})
        expect(error.hint).to.include('lookaside-caches = [')
      })
    }

    it('points at the item on the key\'s line when the list is written on one line', async () => {
      const text = `${MINIMAL}lookaside-caches = ["https://good.example.com", 'gopher://old.example.com']\n`
      const project = await projectWith(text)
      const error = expectThrownTwoliterError(() => readSourcesConfig(project), 'project.invalid-lookaside-cache')
      expect(error.location).to.deep.equal({file: project.file, line: 3, column: text.split('\n')[2].indexOf("'gopher") + 1})
    })

    it('refuses a lookaside-caches that is not an array of strings, at its line', async () => {
      const text = `${MINIMAL}# the old single-cache spelling\nlookaside-caches = "https://cache.example.com"\n`
      const project = await projectWith(text)
      const error = expectThrownTwoliterError(() => readSourcesConfig(project), 'toml.wrong-type')
      expect(error.message).to.include('`lookaside-caches` must be an array of strings')
      expect(error.location).to.deep.equal({file: project.file, line: 4, column: 1})
    })

    it('refuses an item of lookaside-caches that is not a string', async () => {
      const project = await projectWith(`${MINIMAL}lookaside-caches = ["https://a.example.com", 5]\n`)
      const error = expectThrownTwoliterError(() => readSourcesConfig(project), 'toml.wrong-type')
      expect(error.message).to.include('must be a string').and.include('(5)')
      expect(error.location?.line).to.equal(3)
    })

    it('refuses an upstream-source-fallback that is not a boolean, at its line', async () => {
      const text = `${MINIMAL}\nupstream-source-fallback = "yes"\n`
      const project = await projectWith(text)
      const error = expectThrownTwoliterError(() => readSourcesConfig(project), 'toml.wrong-type')
      expect(error.message).to.include('`upstream-source-fallback` must be true or false')
      expect(error.location).to.deep.equal({file: project.file, line: 4, column: 1})
    })
  })

  describe('resolveSourcesConfig', () => {
    const CONFIGURED = `${MINIMAL}lookaside-caches = ["https://a.example.com", "https://b.example.com"]\nupstream-source-fallback = true\n`

    it('keeps Twoliter.toml\'s settings when the command line says nothing', async () => {
      const project = await projectWith(CONFIGURED)
      expect(resolveSourcesConfig(project, {})).to.deep.equal(readSourcesConfig(project))
    })

    it('replaces the whole list with the LOOKASIDE_CACHE argument', async () => {
      const project = await projectWith(CONFIGURED)
      expect(resolveSourcesConfig(project, {lookasideCache: 'http://127.0.0.1:8080/cache/'})).to.deep.equal({
        lookasideCaches: ['http://127.0.0.1:8080/cache'],
        upstreamFallback: true,
      })
    })

    it('lets the flag turn upstream fallback on, or off', async () => {
      expect(resolveSourcesConfig(await projectWith(MINIMAL), {upstreamFallback: true}).upstreamFallback).to.equal(true)
      expect(resolveSourcesConfig(await projectWith(CONFIGURED), {upstreamFallback: false}).upstreamFallback).to.equal(false)
    })

    it('refuses a LOOKASIDE_CACHE argument that is not an http(s) URL as a usage error', async () => {
      const project = await projectWith(MINIMAL)
      const error = expectThrownTwoliterError(() => resolveSourcesConfig(project, {lookasideCache: 'file:///srv/cache'}), 'usage.invalid-lookaside-cache')
      expect(error).to.be.instanceOf(UsageError)
      expect(error.exitCode).to.equal(ExitCode.usage)
      expect(error.message).to.include('LOOKASIDE_CACHE').and.include('file:///srv/cache')
    })

    it('still reports an invalid Twoliter.toml when the argument replaces its list', async () => {
      const project = await projectWith(`${MINIMAL}lookaside-caches = ["nope"]\n`)
      expectThrownTwoliterError(() => resolveSourcesConfig(project, {lookasideCache: 'https://ok.example.com'}), 'project.invalid-lookaside-cache')
    })
  })
})
