import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {mkdir, readFile} from 'node:fs/promises'
import path from 'node:path'

import {Engine, EngineAbortError, RUN_LABEL, type RunSpec} from '../../src/lib/engine/index.js'
import {TwoliterError} from '../../src/lib/errors.js'
import {Logger} from '../../src/lib/ui/logger.js'
import {connectEngine, ensureLocalSdk} from '../helpers/sdk.js'
import {expectTwoliterError, temporaryDirectories} from '../unit/project/helpers.js'

// Every container and image of this file carries this label, so that the tests can find what they left.
const TEST_LABEL = 'dev.twoliter.test'

describe('Engine (real Docker engine)', function () {
  this.timeout(120_000)
  const directories = temporaryDirectories()
  const runId = randomBytes(6).toString('hex')
  let engine: Engine
  let sdk: string

  before(async function () {
    this.timeout(20 * 60_000)
    sdk = await ensureLocalSdk()
    engine = await connectEngine()
  })

  after(async () => {
    await engine?.removeStrayContainers({[TEST_LABEL]: runId})
  })

  function spec(cmd: string, extra: Partial<RunSpec> = {}): RunSpec {
    return {image: sdk, cmd: ['bash', '-c', cmd], labels: {[TEST_LABEL]: runId}, ...extra}
  }

  async function containersOfThisRun(): Promise<string[]> {
    const found = await engine.docker.listContainers({all: true, filters: {label: [`${TEST_LABEL}=${runId}`]}})
    return found.map((container) => container.Id)
  }

  it('runs a container, streams stdout and stderr, reports a failing exit code, and removes the container', async () => {
    const before = engine.stats.containerRuns
    const chunks: {text: string; stream: string}[] = []
    const result = await engine.run(spec('echo to-stdout; echo to-stderr >&2; exit 3'), {onOutput: (text, stream) => chunks.push({text, stream})})
    expect(result.exitCode).to.equal(3)
    expect(chunks.filter((chunk) => chunk.stream === 'stdout').map((chunk) => chunk.text).join('')).to.equal('to-stdout\n')
    expect(chunks.filter((chunk) => chunk.stream === 'stderr').map((chunk) => chunk.text).join('')).to.equal('to-stderr\n')
    expect(result.tail).to.include('to-stdout').and.include('to-stderr')
    expect(engine.stats.containerRuns).to.equal(before + 1)
    expect(await containersOfThisRun()).to.deep.equal([])
  })

  it('labels its containers dev.twoliter.run=1 besides the caller\'s labels', async () => {
    const name = `twoliter-test-${runId}-labels`
    const controller = new AbortController()
    let labels: Record<string, string> = {}
    const run = engine.run(spec('echo up; sleep 300', {name}), {
      signal: controller.signal,
      onOutput() {
        void engine.docker
          .getContainer(name)
          .inspect()
          .then((info) => {
            labels = info.Config.Labels
          })
          .finally(() => controller.abort())
      },
    })
    await expectTwoliterError(run, 'engine.aborted')
    expect(labels).to.include({[RUN_LABEL]: '1', [TEST_LABEL]: runId})
  })

  it('fails runChecked with the exit code and the last lines of output', async () => {
    const error = await expectTwoliterError(engine.runChecked(spec('echo the reason it broke >&2; exit 4'), {description: 'The test step'}), 'engine.container-failed')
    expect(error.message).to.match(/^The test step failed with exit code 4\./)
    expect(error.message).to.include('  | the reason it broke')
  })

  it('kills and removes the container when the signal aborts the run', async () => {
    const controller = new AbortController()
    const started = Date.now()
    let outcome: unknown
    try {
      await engine.run(spec('echo started; sleep 300'), {
        signal: controller.signal,
        onOutput: (text) => {
          if (text.includes('started')) controller.abort()
        },
      })
    } catch (error) {
      outcome = error
    }

    expect(outcome).to.be.instanceOf(EngineAbortError)
    expect((outcome as EngineAbortError).code).to.equal('engine.aborted')
    expect(Date.now() - started).to.be.below(30_000)
    expect(await containersOfThisRun()).to.deep.equal([])
  })

  it('creates no container when the signal has already fired', async () => {
    const before = engine.stats.containerRuns
    await expectTwoliterError(engine.run(spec('true'), {signal: AbortSignal.abort()}), 'engine.aborted')
    expect(engine.stats.containerRuns).to.equal(before)
  })

  it('gives containers no network unless asked', async () => {
    const isolated = await engine.runChecked(spec('ls /sys/class/net'))
    expect(isolated.tail.split('\n').filter((line) => line !== '')).to.deep.equal(['lo'])
    const bridged = await engine.runChecked(spec('ls /sys/class/net', {network: 'bridge'}))
    expect(bridged.tail).to.include('eth0')
  })

  it('mounts host directories read-write, and read-only ones so that even root cannot write them', async () => {
    const writable = await directories.create()
    const readOnly = await directories.create({'input.txt': 'from the host\n'})
    const mounts = [
      {host: writable, container: '/work/out'},
      {host: readOnly, container: '/work/in', readOnly: true},
    ]
    await engine.runChecked(spec('cat /work/in/input.txt > /work/out/copy.txt', {user: '0:0', mounts}))
    expect(await readFile(path.join(writable, 'copy.txt'), 'utf8')).to.equal('from the host\n')

    const denied = await engine.run(spec('echo changed > /work/in/input.txt', {user: '0:0', mounts}))
    expect(denied.exitCode).not.to.equal(0)
    expect(denied.tail).to.include('Read-only file system')
    expect(await readFile(path.join(readOnly, 'input.txt'), 'utf8')).to.equal('from the host\n')
  })

  it('runs as the user, in the working directory and with the environment asked for', async () => {
    const result = await engine.runChecked(spec('echo "$(id -u):$(id -g) $(pwd) $GREETING"', {user: '1000:1000', workdir: '/tmp', env: {GREETING: 'hello there'}}))
    expect(result.tail.trim()).to.equal('1000:1000 /tmp hello there')
  })

  it('says so when the image is missing or a mounted directory does not exist, leaving no container', async () => {
    await expectTwoliterError(engine.run({image: `twoliter-test-missing:${runId}`, cmd: ['true']}), 'engine.no-image')
    const missing = path.join(await directories.create(), 'not-there')
    const error = await expectTwoliterError(engine.run(spec('true', {mounts: [{host: missing, container: '/work'}]})), 'engine.request')
    expect(error.message).to.include(missing)
    expect(await containersOfThisRun()).to.deep.equal([])
  })

  it('reports a command that does not exist as exit code 127 and removes the container', async () => {
    const result = await engine.run({image: sdk, cmd: ['/no/such/program'], labels: {[TEST_LABEL]: runId}})
    expect(result.exitCode).to.equal(127)
    expect(result.tail).to.include('/no/such/program')
    expect(await containersOfThisRun()).to.deep.equal([])
  })

  it('removes stray twoliter containers, and only those', async () => {
    // What a crashed twoliter leaves: a container with the run label that nobody removes.
    await engine.docker.createContainer({Image: sdk, Cmd: ['true'], Labels: {[RUN_LABEL]: '1', [TEST_LABEL]: runId}})
    const foreign = await engine.docker.createContainer({Image: sdk, Cmd: ['true'], Labels: {[TEST_LABEL]: runId}})
    try {
      expect(await engine.removeStrayContainers({[TEST_LABEL]: runId})).to.equal(1)
      expect(await containersOfThisRun()).to.deep.equal([foreign.id])
      expect(await engine.removeStrayContainers({[TEST_LABEL]: runId})).to.equal(0)
    } finally {
      await foreign.remove({force: true})
    }
  })

  describe('image builds and imports', () => {
    const tags: string[] = []
    afterEach(async () => {
      for (const tag of tags.splice(0)) await engine.removeImage(tag, {force: true})
    })

    async function context(dockerfile: string): Promise<string> {
      // The run id in the context keeps BuildKit from answering from its cache.
      return directories.create({Dockerfile: dockerfile, 'data/note.txt': `in the context ${runId}\n`})
    }

    it('builds with BuildKit, streams the steps and their output, labels and tags the image', async () => {
      const tag = `twoliter-test-build:${runId}`
      tags.push(tag)
      const dir = await context('ARG BASE\nFROM ${BASE}\nCOPY data/note.txt /note.txt\nRUN cat /note.txt && ls /sys/class/net > /tmp/nets && echo to-stderr >&2\n')
      const lines: string[] = []
      const builds = engine.stats.imageBuilds
      const runs = engine.stats.containerRuns
      const result = await engine.buildImage({context: dir, tag, buildArgs: {BASE: sdk}, labels: {[TEST_LABEL]: runId}}, {onOutput: (line) => lines.push(line)})
      expect(result.tag).to.equal(tag)
      expect(result.id).to.equal(await engine.imageId(tag))
      expect((await engine.inspectImage(tag))?.labels).to.include({[TEST_LABEL]: runId})
      expect(lines.some((line) => /^#\d+ \[\d\/\d\] RUN cat \/note.txt/.test(line)), lines.join('\n')).to.equal(true)
      expect(lines.some((line) => /^#\d+ in the context [0-9a-f]+$/.test(line)), lines.join('\n')).to.equal(true)
      expect(lines.some((line) => /^#\d+ to-stderr$/.test(line)), lines.join('\n')).to.equal(true)
      expect(engine.stats).to.include({imageBuilds: builds + 1, containerRuns: runs})
      // RUN steps had no network either.
      const nets = await engine.runChecked({image: tag, cmd: ['cat', '/tmp/nets'], labels: {[TEST_LABEL]: runId}})
      expect(nets.tail.trim()).to.equal('lo')
    })

    it('fails a build with the engine\'s reason and the last lines of the build', async () => {
      const tag = `twoliter-test-build-fail:${runId}`
      tags.push(tag)
      const dir = await context('ARG BASE\nFROM ${BASE}\nCOPY data/note.txt /note.txt\nRUN echo the last words && exit 3\n')
      const error = await expectTwoliterError(engine.buildImage({context: dir, tag, buildArgs: {BASE: sdk}}), 'engine.build-failed')
      expect(error.message).to.include('exit code: 3')
      expect(error.message).to.match(/\| #\d+ the last words/)
      expect(await engine.imageId(tag)).to.equal(undefined)
    })

    it('stops a build when the signal aborts it', async () => {
      const tag = `twoliter-test-build-abort:${runId}`
      tags.push(tag)
      const dir = await context('ARG BASE\nFROM ${BASE}\nCOPY data/note.txt /note.txt\nRUN echo building && sleep 300\n')
      const controller = new AbortController()
      const started = Date.now()
      const error = await expectTwoliterError(
        engine.buildImage({context: dir, tag, buildArgs: {BASE: sdk}, noCache: true}, {signal: controller.signal, onOutput: (line) => line.endsWith(' building') && controller.abort()}),
        'engine.aborted',
      )
      expect(error).to.be.instanceOf(TwoliterError)
      expect(Date.now() - started).to.be.below(60_000)
    })

    it('imports a root file system from a tar stream with Dockerfile changes, tags and removes images', async () => {
      const root = await directories.create({'etc/hello.txt': 'imported\n'})
      await mkdir(path.join(root, 'bin'))
      const tag = `twoliter-test-import:${runId}`
      tags.push(tag)
      const tar = spawn('tar', ['-C', root, '-cf', '-', '.'], {stdio: ['ignore', 'pipe', 'inherit']})
      const id = await engine.importImage(tar.stdout, tag, [`LABEL ${TEST_LABEL}=${runId}`, 'ENV IMPORTED=yes'])
      expect(id).to.match(/^sha256:[0-9a-f]{64}$/)
      const details = await engine.inspectImage(tag)
      expect(details?.labels).to.include({[TEST_LABEL]: runId})
      expect((await engine.imagesWithLabel(TEST_LABEL, runId)).map((image) => image.id)).to.include(id)

      const alias = `twoliter-test-import-alias:${runId}`
      await engine.tagImage(tag, alias)
      expect(await engine.imageId(alias)).to.equal(id)
      expect(await engine.removeImage(alias)).to.equal(true)
      expect(await engine.removeImage(alias)).to.equal(false)
      expect(await engine.imageId(alias)).to.equal(undefined)
    })
  })

  it('tells what to do when no engine answers', async () => {
    const socket = path.join(await directories.create(), 'docker.sock')
    const error = await expectTwoliterError(Engine.connect(new Logger('off'), {env: {DOCKER_HOST: `unix://${socket}`}}), 'engine.unreachable')
    expect(error.message).to.include(`unix://${socket}`)
    expect(error.hint).to.include('scripts/setup').and.include('DOCKER_HOST')
  })

  it('reports the engine version', async () => {
    const version = await engine.version()
    expect(version.apiVersion).to.match(/^1\.\d+$/)
    expect(version.os).to.equal('linux')
  })

  it('leaves no container of these tests behind', async () => {
    expect(await containersOfThisRun()).to.deep.equal([])
  })
})
