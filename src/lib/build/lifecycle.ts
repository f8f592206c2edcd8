/**
 * What runs around each build step besides the build itself: the `twoliter:pre-build`/`post-build`
 * events of plugins and the project's own [hooks] steps. A step that fails makes the build step fail.
 */
export interface BuildStep {
  kind: 'package' | 'kit' | 'variant'
  name: string
  arch: string
  projectRoot: string
  /** Where the step's outputs go (build/rpms/<package>/ for a package). */
  outputDir: string
  /** After the build: the paths of its outputs. */
  outputs?: string[]
}

export interface StepIO {
  signal: AbortSignal
  /** Streams a line of a hook's output into the progress display and the step's log. */
  onLine(line: string): void
}

export interface BuildLifecycle {
  beforeBuild(step: BuildStep, io: StepIO): Promise<void>
  afterBuild(step: BuildStep, io: StepIO): Promise<void>
}

/** Runs several lifecycles in order: before-steps first to last, after-steps likewise. */
export function composeLifecycles(lifecycles: readonly BuildLifecycle[]): BuildLifecycle {
  return {
    async beforeBuild(step, io) {
      for (const lifecycle of lifecycles) await lifecycle.beforeBuild(step, io)
    },
    async afterBuild(step, io) {
      for (const lifecycle of lifecycles) await lifecycle.afterBuild(step, io)
    },
  }
}
