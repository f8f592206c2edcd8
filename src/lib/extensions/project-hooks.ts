/**
 * Runs the project's `[hooks]` steps around each build step: on the host, in the project root, with the
 * user's environment plus the TWOLITER_* variables that describe the step. Their output goes line by line
 * to the step's log and progress display; a step that fails makes the build step fail.
 */

import {spawn} from 'node:child_process'
import {createInterface} from 'node:readline'

import type {BuildLifecycle, BuildStep, StepIO} from '../build/lifecycle.js'
import {BuildLayout} from '../build/layout.js'
import {OutputTail} from '../engine/output-tail.js'
import {TwoliterError, formatLocation} from '../errors.js'
import {HOOK_POINTS, type HookCommand, type HookPoint, type HookStep, type ProjectHooks, describeCommand, readHooksConfig} from '../project/hooks-config.js'
import type {Project} from '../project/project.js'
import type {Logger} from '../ui/logger.js'

const TAIL_LINES = 20
/** After SIGTERM, how long a step has to exit before it gets SIGKILL. */
const KILL_GRACE_MS = 3000
/** After SIGKILL, how long to wait still: a process stuck in the kernel must not hang the build. */
const GIVE_UP_MS = 2000
/** After a step exits, how long a process it left running may hold its output open. */
const OUTPUT_DRAIN_MS = 500

const BUILD_POINTS = HOOK_POINTS.filter((point) => point.includes('-build-'))

/**
 * The lifecycle that runs the project's build hook steps; undefined when the project declares none.
 * Reads `[hooks]` at once, so a mistake in it is reported before any build starts.
 */
export function projectHooksLifecycle(project: Pick<Project, 'document'>, logger: Logger): BuildLifecycle | undefined {
  const hooks = readHooksConfig(project)
  if (BUILD_POINTS.every((point) => hooks[point].length === 0)) return undefined
  return {
    beforeBuild: (step, io) => runPoint(hooks, `pre-build-${step.kind}`, step, io, logger),
    afterBuild: (step, io) => runPoint(hooks, `post-build-${step.kind}`, step, io, logger),
  }
}

/**
 * The project's `pre-publish-kit` and `post-publish-kit` steps around publishing a kit, as a lifecycle
 * (its `outputDir` is the kit's build directory); undefined when the project declares none.
 */
export function projectPublishHooks(project: Pick<Project, 'document'>, logger: Logger): BuildLifecycle | undefined {
  const hooks = readHooksConfig(project)
  if (hooks['pre-publish-kit'].length === 0 && hooks['post-publish-kit'].length === 0) return undefined
  return {
    beforeBuild: (step, io) => runPoint(hooks, 'pre-publish-kit', step, io, logger),
    afterBuild: (step, io) => runPoint(hooks, 'post-publish-kit', step, io, logger),
  }
}

/** A hook step that failed (its exit code, a signal, or it could not start) or was stopped. */
export class HookStepError extends TwoliterError {
  constructor(
    readonly point: HookPoint,
    /** The command as messages show it. */
    readonly command: string,
    message: string,
    options: {hint?: string; code: 'hooks.step-failed' | 'hooks.aborted'; exitCode?: number; cause?: unknown},
  ) {
    super(message, options)
    this.name = 'HookStepError'
  }
}

/** One step running at one point of one build step. */
interface StepRun {
  point: HookPoint
  hook: HookStep
  step: BuildStep
  /** The command as messages show it. */
  command: string
}

/** The steps of one point, in order; the first that fails stops the rest. */
async function runPoint(hooks: ProjectHooks, point: HookPoint, step: BuildStep, io: StepIO, logger: Logger): Promise<void> {
  for (const hook of hooks[point]) {
    const run: StepRun = {point, hook, step, command: describeCommand(hook.command)}
    if (io.signal.aborted) throw stopped(run, io.signal.reason)
    logger.debug(`${step.kind} ${step.name}: running ${point} step ${run.command}`)
    io.onLine(`[${point}] ${run.command}`)
    const tail = new OutputTail(TAIL_LINES)
    const ended = await runProcess(argvOf(hook.command), {
      cwd: step.projectRoot,
      env: hookEnvironment(point, step),
      signal: io.signal,
      onLine(line) {
        tail.push(line + '\n')
        io.onLine(line)
      },
    })
    if (io.signal.aborted) throw stopped(run, io.signal.reason)
    if (ended.how !== 'exited' || ended.exitCode !== 0) throw failed(run, ended, tail.text())
  }
}

function argvOf(command: HookCommand): string[] {
  return command.form === 'argv' ? [command.program, ...command.args] : ['/bin/sh', '-c', command.script]
}

/** The user's environment with the variables documented in the README. */
function hookEnvironment(point: HookPoint, step: BuildStep): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    TWOLITER_PROJECT_ROOT: step.projectRoot,
    TWOLITER_ARCH: step.arch,
    TWOLITER_TARGET: step.name,
    TWOLITER_TARGET_KIND: step.kind,
    TWOLITER_HOOK: point,
    TWOLITER_OUTPUT_DIR: step.outputDir,
  }
  // A value inherited from the user's shell must not pass for outputs at a point that has none.
  delete env.TWOLITER_OUTPUTS
  if (point.startsWith('post-')) env.TWOLITER_OUTPUTS = (step.outputs ?? []).join('\n')
  return env
}

function subjectOf(run: StepRun): string {
  return `the ${run.point} step \`${run.command}\` of ${run.step.kind} ${run.step.name}`
}

function failed(run: StepRun, ended: Ended, tail: string): HookStepError {
  const declared = `The step is declared at ${formatLocation(run.hook.location)}.`
  if (ended.how === 'not-started') {
    const reason = ended.error.code === 'ENOENT' ? 'there is no such program' : ended.error.code === 'EACCES' ? 'permission denied (is it executable?)' : ended.error.message
    return new HookStepError(run.point, run.command, `${subjectOf(run)} could not be started: ${reason}.`, {
      hint: `A program path is relative to the project root (${run.step.projectRoot}); a name without '/' is looked up on PATH. ${declared}`,
      code: 'hooks.step-failed',
      cause: ended.error,
    })
  }

  const how = ended.how === 'killed' ? `was killed by signal ${ended.signal}` : ended.how === 'abandoned' ? 'did not exit, even after SIGKILL' : `exited with code ${ended.exitCode}`
  const notFound = ended.how === 'exited' && ended.exitCode === 127 && run.hook.command.form === 'shell' ? ' (the shell found no such command)' : ''
  const output = tail.trimEnd() === '' ? ['(it printed nothing)'] : tail.trimEnd().split('\n')
  const log = logFileOf(run.step)
  return new HookStepError(run.point, run.command, `${subjectOf(run)} failed: it ${how}${notFound}.\n${output.map((line) => `    ${line}`).join('\n')}\n`, {
    hint: `Fix the step or what it checks, then build again.${log === undefined ? '' : ` The whole log is in ${log}.`} ${declared}`,
    code: 'hooks.step-failed',
  })
}

/** Stopped by the build's signal: a sibling failed, or Ctrl-C; an interruption keeps its exit code. */
function stopped(run: StepRun, reason: unknown): HookStepError {
  const why = reason instanceof Error && reason.name !== 'AbortError' ? `: ${reason.message.replace(/\.$/, '')}` : ''
  return new HookStepError(run.point, run.command, `${subjectOf(run)} was stopped${why}.`, {
    code: 'hooks.aborted',
    cause: reason,
    ...(reason instanceof TwoliterError ? {hint: reason.hint, exitCode: reason.exitCode} : {}),
  })
}

/** The log the step's output went to, where the build keeps one. */
function logFileOf(step: BuildStep): string | undefined {
  if (step.kind !== 'package') return undefined
  return new BuildLayout(step.projectRoot, step.arch).packageLogFile(step.name)
}

type Ended =
  | {how: 'exited'; exitCode: number}
  | {how: 'killed'; signal: NodeJS.Signals}
  | {how: 'not-started'; error: NodeJS.ErrnoException}
  | {how: 'abandoned'}

interface ProcessOptions {
  cwd: string
  env: NodeJS.ProcessEnv
  signal: AbortSignal
  onLine(line: string): void
}

/**
 * Runs `argv` in a session of its own (so without a terminal) whose process group an abort can signal as a
 * whole, stopping what a shell script started too; resolves however it ends. An abort sends SIGTERM to the
 * group, then SIGKILL, and gives up waiting after a bound.
 */
function runProcess(argv: readonly string[], options: ProcessOptions): Promise<Ended> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), {cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true})
    const timers: NodeJS.Timeout[] = []
    let settled = false
    const settle = (ended: Ended): void => {
      if (settled) return
      settled = true
      for (const timer of timers) clearTimeout(timer)
      options.signal.removeEventListener('abort', onAbort)
      child.stdout.destroy()
      child.stderr.destroy()
      resolve(ended)
    }

    const signalGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return
      try {
        process.kill(-child.pid, signal)
      } catch {
        // The group is gone already.
      }
    }

    function onAbort(): void {
      signalGroup('SIGTERM')
      timers.push(setTimeout(() => signalGroup('SIGKILL'), KILL_GRACE_MS), setTimeout(() => settle({how: 'abandoned'}), KILL_GRACE_MS + GIVE_UP_MS))
    }

    const outputClosed = [child.stdout, child.stderr].map((stream) => {
      const lines = createInterface({input: stream, crlfDelay: Number.POSITIVE_INFINITY})
      lines.on('line', (line) => options.onLine(line))
      return new Promise<void>((done) => lines.once('close', done))
    })

    child.once('error', (error: NodeJS.ErrnoException) => settle({how: 'not-started', error}))
    child.once('exit', (exitCode, signal) => {
      const ended: Ended = signal === null ? {how: 'exited', exitCode: exitCode ?? 0} : {how: 'killed', signal}
      // A process the step left running in the background may keep the pipes open; do not wait for it.
      timers.push(setTimeout(() => settle(ended), OUTPUT_DRAIN_MS))
      void Promise.all(outputClosed).then(() => settle(ended))
    })
    options.signal.addEventListener('abort', onAbort, {once: true})
    if (options.signal.aborted) onAbort()
  })
}
