/**
 * The lifecycle events: `twoliter:pre-build` and `twoliter:post-build` around every build step (a package
 * that is built, not one that is up to date), `twoliter:pre-publish` and `twoliter:post-publish` around
 * every publish step. A plugin's lifecycle hook that throws or does not finish within the hook timeout is
 * reported as a warning: it does not fail the build or the publication. (The project's own `[hooks]` steps
 * in Twoliter.toml are different: a failing step fails the build.)
 *
 * @packageDocumentation
 */

import type {LifecycleApiVersion} from './versions.js'

/** What a build step makes. */
export type BuildKind = 'package' | 'kit' | 'variant'

/** What a publish step publishes: a kit image to its registry, an AMI, SSM parameters, a TUF repository. */
export type PublishKind = 'kit' | 'ami' | 'ssm' | 'repo'

/** What every lifecycle event says about its step. */
export interface StepEvent {
  /** The version of the payload's interface. */
  apiVersion: LifecycleApiVersion
  /** The member's name (its package-name, kit-name or variant name). */
  name: string
  /** `x86_64` or `aarch64`. */
  arch: string
  /** The project's root directory (where Twoliter.toml is). */
  projectRoot: string
  /** The directory the step's outputs go to, e.g. `<projectRoot>/build/rpms/<package>` for a package. */
  outputDir: string
  /** Aborted when the user interrupts twoliter (Ctrl-C): stop and clean up. */
  signal: AbortSignal
  /** Writes a line to the step's log file (and to the progress display with `--log-level debug`). */
  log(line: string): void
}

/** The payload of `twoliter:pre-build`: the step is about to build. */
export interface PreBuildEvent extends StepEvent {
  kind: BuildKind
  /** The SDK image the step builds in, present in the engine. */
  sdkImage: string
}

/** The payload of `twoliter:post-build`: the step built successfully (a failed step has no post-build). */
export interface PostBuildEvent extends PreBuildEvent {
  /** Absolute paths of what the step made, e.g. its RPMs. */
  outputs: string[]
}

/** The payload of `twoliter:pre-publish`: the step is about to publish `outputs`. */
export interface PrePublishEvent extends StepEvent {
  kind: PublishKind
  /** Absolute paths of the local files being published (images, RPMs, metadata). */
  outputs: string[]
}

/** The payload of `twoliter:post-publish`: the step published successfully. */
export interface PostPublishEvent extends PrePublishEvent {
  /** Where it went: image references with digests, AMI ids, repository URLs. */
  published: string[]
}
