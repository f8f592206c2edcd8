import {expect} from 'chai'
import {chmod, readFile, stat} from 'node:fs/promises'
import path from 'node:path'

import type {BuildLifecycle, BuildStep, StepIO} from '../../../src/lib/build/lifecycle.js'
import {TwoliterError} from '../../../src/lib/errors.js'
import {HookStepError, projectHooksLifecycle} from '../../../src/lib/extensions/project-hooks.js'
import {parseToml} from '../../../src/lib/toml/document.js'
import {expectTwoliterError, lineOf, recordingLogger, temporaryDirectories} from '../project/helpers.js'

const MINIMAL = 'schema-version = 1\nrelease-version = "1.0.0"\n'

interface Recorder {
  io: StepIO
  lines: string[]
  abort(reason?: unknown): void
}

function recorder(): Recorder {
  const controller = new AbortController()
  const lines: string[] = []
  return {io: {signal: controller.signal, onLine: (line) => lines.push(line)}, lines, abort: (reason) => controller.abort(reason)}
}

/** The lines a step printed, without the line the runner writes before each step. */
const printed = (lines: string[]) => lines.filter((line) => !/^\[(pre|post)-[a-z-]+\] /.test(line))

/** Whether the process exists and is not a zombie (whose parent, here maybe a container's init, has not reaped it). */
async function isRunning(pid: number): Promise<boolean> {
  const status = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  return status !== undefined && status.slice(status.lastIndexOf(')') + 2)[0] !== 'Z'
}

describe('project hook steps (real processes)', function () {
  this.timeout(20_000)
  const directories = temporaryDirectories()
  let root: string
  let hooksText: string

  function step(kind: BuildStep['kind'] = 'package', outputs?: string[]): BuildStep {
    return {kind, name: 'pkg-b', arch: 'x86_64', projectRoot: root, outputDir: path.join(root, 'build/rpms/pkg-b'), outputs}
  }

  async function lifecycleFor(hooks: string, files: Record<string, string> = {}): Promise<BuildLifecycle> {
    root = await directories.create(files)
    hooksText = `${MINIMAL}[hooks]\n${hooks}`
    const lifecycle = projectHooksLifecycle({document: parseToml(path.join(root, 'Twoliter.toml'), hooksText)}, recordingLogger().logger)
    expect(lifecycle).not.to.equal(undefined)
    return lifecycle!
  }

  it('has no lifecycle when the project declares no build steps', () => {
    const {logger} = recordingLogger()
    expect(projectHooksLifecycle({document: parseToml('/p/Twoliter.toml', MINIMAL)}, logger)).to.equal(undefined)
    const publishOnly = `${MINIMAL}[hooks]\npre-build-package = []\npost-publish-kit = ["true"]\n`
    expect(projectHooksLifecycle({document: parseToml('/p/Twoliter.toml', publishOnly)}, logger)).to.equal(undefined)
  })

  it('reports a mistake in [hooks] when the lifecycle is made, before any build', () => {
    const text = `${MINIMAL}[hooks]\npre-build = ["true"]\n`
    expect(() => projectHooksLifecycle({document: parseToml('/p/Twoliter.toml', text)}, recordingLogger().logger)).to.throw(TwoliterError, 'no lifecycle point named "pre-build"')
  })

  it('runs an argv without a shell: `$HOME`, `;` and quotes arrive as written', async () => {
    const lifecycle = await lifecycleFor(`pre-build-package = [["printf", "<%s>\\n", "$HOME; echo injected", "'a b'", "*"]]\n`)
    const {io, lines} = recorder()
    await lifecycle.beforeBuild(step(), io)
    expect(printed(lines)).to.deep.equal(['<$HOME; echo injected>', "<'a b'>", '<*>'])
  })

  it('runs a string with /bin/sh -c, which expands variables and runs every command', async () => {
    const lifecycle = await lifecycleFor(`pre-build-package = ["echo \\"target=$TWOLITER_TARGET\\"; echo second; echo to-stderr >&2"]\n`)
    const {io, lines} = recorder()
    await lifecycle.beforeBuild(step(), io)
    expect(printed(lines)).to.deep.equal(['target=pkg-b', 'second', 'to-stderr'])
    expect(lines[0]).to.equal('[pre-build-package] echo "target=$TWOLITER_TARGET"; echo second; echo to-stderr >&2')
  })

  it('runs in the project root with the user\'s environment plus the documented variables', async () => {
    const probe = JSON.stringify([process.execPath, '-e', 'console.log(JSON.stringify({cwd: process.cwd(), env: process.env}))'])
    const lifecycle = await lifecycleFor(`pre-build-package = [${probe}]\npost-build-package = [${probe}]\n`)
    process.env.USER_VAR = 'from the user'
    process.env.TWOLITER_OUTPUTS = 'a stale value from the user\'s shell'
    try {
      const before = recorder()
      await lifecycle.beforeBuild(step(), before.io)
      const after = recorder()
      const outputs = [path.join(root, 'build/rpms/pkg-b/a.rpm'), path.join(root, 'build/rpms/pkg-b/b.rpm')]
      await lifecycle.afterBuild(step('package', outputs), after.io)

      const documented = {
        TWOLITER_PROJECT_ROOT: root,
        TWOLITER_ARCH: 'x86_64',
        TWOLITER_TARGET: 'pkg-b',
        TWOLITER_TARGET_KIND: 'package',
        TWOLITER_OUTPUT_DIR: path.join(root, 'build/rpms/pkg-b'),
      }
      const seen = (lines: string[]) => {
        const {cwd, env} = JSON.parse(printed(lines)[0]) as {cwd: string; env: Record<string, string>}
        return {cwd, env: Object.fromEntries(Object.entries(env).filter(([name]) => name.startsWith('TWOLITER_') || name === 'USER_VAR'))}
      }

      expect(seen(before.lines)).to.deep.equal({cwd: root, env: {...documented, TWOLITER_HOOK: 'pre-build-package', USER_VAR: 'from the user'}})
      expect(seen(after.lines)).to.deep.equal({
        cwd: root,
        env: {...documented, TWOLITER_HOOK: 'post-build-package', TWOLITER_OUTPUTS: outputs.join('\n'), USER_VAR: 'from the user'},
      })
    } finally {
      delete process.env.USER_VAR
      delete process.env.TWOLITER_OUTPUTS
    }
  })

  it('runs the steps of a point in order, and only those of the build step\'s kind and phase', async () => {
    const append = (text: string) => `"echo ${text} >> order.txt"`
    const lifecycle = await lifecycleFor(
      `pre-build-package = [${append('pre-1')}, ["sh", "-c", "echo pre-2 >> order.txt"], ${append('pre-3')}]\n` +
        `post-build-package = [${append('post')}]\npre-build-kit = [${append('kit')}]\npre-build-variant = [${append('variant')}]\n`,
    )
    await lifecycle.beforeBuild(step(), recorder().io)
    expect(await readFile(path.join(root, 'order.txt'), 'utf8')).to.equal('pre-1\npre-2\npre-3\n')
    await lifecycle.afterBuild(step('package', []), recorder().io)
    await lifecycle.beforeBuild(step('kit'), recorder().io)
    expect(await readFile(path.join(root, 'order.txt'), 'utf8')).to.equal('pre-1\npre-2\npre-3\npost\nkit\n')
  })

  it('streams a last line that has no newline, and lines ending in CR LF without the CR', async () => {
    const lifecycle = await lifecycleFor(`pre-build-package = [["printf", "one\\r\\ntwo"]]\n`)
    const {io, lines} = recorder()
    await lifecycle.beforeBuild(step(), io)
    expect(printed(lines)).to.deep.equal(['one', 'two'])
  })

  it('fails on a non-zero exit naming the point, the command and the code, with the end of the output, and runs no later step', async () => {
    const script = 'for i in $(seq 1 30); do echo line $i; done; echo \\"the stamp is wrong\\" >&2; exit 3'
    const lifecycle = await lifecycleFor(`pre-build-package = [\n  "${script}",\n  "touch later-step-ran",\n]\n`)
    const {io, lines} = recorder()
    const error = await expectTwoliterError(lifecycle.beforeBuild(step(), io), 'hooks.step-failed')
    expect(error).to.be.instanceOf(HookStepError)
    const [first, ...tail] = error.message.trimEnd().split('\n')
    expect(first).to.equal(`the pre-build-package step \`${script.replaceAll('\\"', '"')}\` of package pkg-b failed: it exited with code 3.`)
    expect(tail).to.have.length(20)
    expect(tail[0]).to.equal('    line 12')
    expect(tail.at(-1)).to.equal('    the stamp is wrong')
    expect(error.hint).to.include(`The whole log is in ${root}/build/logs/x86_64/packages/pkg-b.log.`)
    expect(error.hint).to.include(`The step is declared at ${root}/Twoliter.toml:${lineOf(hooksText, 'for i in')}:3.`)
    expect(printed(lines)).to.have.length(31)
    expect(await stat(path.join(root, 'later-step-ran')).then(() => true, () => false)).to.equal(false)
  })

  it('says when a failing step printed nothing, and what exit code 127 of a shell means', async () => {
    const lifecycle = await lifecycleFor(`pre-build-package = ["no-such-command-anywhere 2>/dev/null"]\n`)
    const error = await expectTwoliterError(lifecycle.beforeBuild(step(), recorder().io), 'hooks.step-failed')
    expect(error.message).to.equal(
      'the pre-build-package step `no-such-command-anywhere 2>/dev/null` of package pkg-b failed: it exited with code 127 (the shell found no such command).\n    (it printed nothing)\n',
    )
  })

  it('fails when the program of an argv does not exist, or is not executable', async () => {
    const missing = await lifecycleFor(`pre-build-package = [["scripts/missing.sh", "x"]]\n`)
    const notFound = await expectTwoliterError(missing.beforeBuild(step(), recorder().io), 'hooks.step-failed')
    expect(notFound.message).to.equal('the pre-build-package step `scripts/missing.sh x` of package pkg-b could not be started: there is no such program.')
    expect(notFound.hint).to.include(`relative to the project root (${root})`)

    const notExecutable = await lifecycleFor(`pre-build-package = [["scripts/plain.sh"]]\n`, {'scripts/plain.sh': '#!/bin/sh\necho hi\n'})
    const denied = await expectTwoliterError(notExecutable.beforeBuild(step(), recorder().io), 'hooks.step-failed')
    expect(denied.message).to.include('could not be started: permission denied (is it executable?)')

    await chmod(path.join(root, 'scripts/plain.sh'), 0o755)
    const {io, lines} = recorder()
    await notExecutable.beforeBuild(step(), io)
    expect(printed(lines)).to.deep.equal(['hi'])
  })

  it('fails when a signal ends the step', async () => {
    const lifecycle = await lifecycleFor(`post-build-package = ["echo going; kill -KILL $$"]\n`)
    const error = await expectTwoliterError(lifecycle.afterBuild(step('package', []), recorder().io), 'hooks.step-failed')
    expect(error.message).to.match(/^the post-build-package step `echo going; kill -KILL \$\$` of package pkg-b failed: it was killed by signal SIGKILL\.\n {4}going\n$/)
  })

  it('kills a step, and what it started, soon after the build is stopped', async () => {
    const lifecycle = await lifecycleFor(`pre-build-package = ["echo $$ > shell.pid; sleep 60 & echo $! > sleep.pid; wait; echo not-reached"]\n`)
    const {io, lines, abort} = recorder()
    const started = Date.now()
    const running = lifecycle.beforeBuild(step(), io)
    const pids = await waitForPids(path.join(root, 'shell.pid'), path.join(root, 'sleep.pid'))
    expect(await Promise.all(pids.map((pid) => isRunning(pid)))).to.deep.equal([true, true])
    abort(new TwoliterError('the build was interrupted (SIGINT).', {code: 'interrupted', exitCode: 130, hint: 'Run it again.'}))
    const error = await expectTwoliterError(running, 'hooks.aborted')
    expect(Date.now() - started).to.be.lessThan(5000)
    expect(error.message).to.match(/^the pre-build-package step `.*` of package pkg-b was stopped: the build was interrupted \(SIGINT\)\.$/)
    expect(error.exitCode).to.equal(130)
    expect(error.hint).to.equal('Run it again.')
    expect(await Promise.all(pids.map((pid) => isRunning(pid)))).to.deep.equal([false, false])
    expect(lines).not.to.include('not-reached')
  })

  it('kills an argv `sleep 60` at once when aborted, and starts nothing once the build is stopped', async () => {
    const lifecycle = await lifecycleFor(`pre-build-package = [["sleep", "60"], "touch second-step-ran"]\n`)
    const {io, abort} = recorder()
    const started = Date.now()
    setTimeout(() => abort(), 200)
    await expectTwoliterError(lifecycle.beforeBuild(step(), io), 'hooks.aborted')
    expect(Date.now() - started).to.be.lessThan(3000)
    expect(await stat(path.join(root, 'second-step-ran')).then(() => true, () => false)).to.equal(false)

    const error = await expectTwoliterError(lifecycle.beforeBuild(step(), io), 'hooks.aborted')
    expect(error.message).to.equal('the pre-build-package step `sleep 60` of package pkg-b was stopped.')
  })

  it('does not wait for a process the step left running in the background', async () => {
    const lifecycle = await lifecycleFor(`pre-build-package = ["sleep 30 & echo $! > daemon.pid; echo done"]\n`)
    const {io, lines} = recorder()
    const started = Date.now()
    await lifecycle.beforeBuild(step(), io)
    expect(Date.now() - started).to.be.lessThan(5000)
    expect(printed(lines)).to.deep.equal(['done'])
    process.kill(Number(await readFile(path.join(root, 'daemon.pid'), 'utf8')), 'SIGKILL')
  })
})

async function waitForPids(...files: string[]): Promise<number[]> {
  const deadline = Date.now() + 5000
  for (;;) {
    const texts = await Promise.all(files.map((file) => readFile(file, 'utf8').catch(() => '')))
    if (texts.every((text) => text.endsWith('\n'))) return texts.map(Number)
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${files.join(', ')}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
