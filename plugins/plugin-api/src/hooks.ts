/**
 * The hook events twoliter calls, what their hooks receive and what they return. A plugin registers a hook
 * in its package.json, one module per event (oclif's way):
 *
 * ```json
 * "oclif": {"hooks": {"twoliter:post-build": "./dist/hooks/post-build.js"}}
 * ```
 *
 * and the module's default export is the hook:
 *
 * ```ts
 * import type {TwoliterHook} from '@twoliter/plugin-api'
 *
 * const hook: TwoliterHook<'twoliter:post-build'> = async ({name, outputs, twoliter}) => {
 *   twoliter.logger.info(`${name} made ${outputs.length} files`)
 * }
 * export default hook
 * ```
 *
 * @packageDocumentation
 */

import type {TwoliterContext} from './context.js'
import type {PostBuildEvent, PostPublishEvent, PreBuildEvent, PrePublishEvent} from './lifecycle.js'
import type {RegistryAuthProvider} from './registry-auth.js'
import type {Signer} from './signers.js'

/** The services every hook receives, as `twoliter` in its options. */
export interface HookOptions {
  twoliter: TwoliterContext
}

/** One descriptor, several, or none (undefined) when the plugin has nothing to offer in this situation. */
export type Provided<T> = T | T[] | undefined

/**
 * Every twoliter event with its hook's options and return value. Capability events return descriptors;
 * lifecycle events return nothing (a returned value is ignored).
 */
export interface TwoliterHooks {
  'twoliter:registry-auth': {options: HookOptions; return: Provided<RegistryAuthProvider>}
  'twoliter:signers': {options: HookOptions; return: Provided<Signer>}
  'twoliter:pre-build': {options: HookOptions & PreBuildEvent; return: void}
  'twoliter:post-build': {options: HookOptions & PostBuildEvent; return: void}
  'twoliter:pre-publish': {options: HookOptions & PrePublishEvent; return: void}
  'twoliter:post-publish': {options: HookOptions & PostPublishEvent; return: void}
  /**
   * Not a plugin event: twoliter answers it itself, so that a plugin's own commands get the services hooks
   * receive: `await this.config.runHook('twoliter:context', {projectRoot})`, the result of the plugin
   * named `twoliter`.
   */
  'twoliter:context': {options: {projectRoot?: string}; return: TwoliterContext}
}

export type TwoliterEvent = keyof TwoliterHooks

/** The events whose hooks return descriptors of a capability. */
export type CapabilityEvent = 'twoliter:registry-auth' | 'twoliter:signers'

/** The events twoliter answers for plugins' commands. */
export type ServiceEvent = 'twoliter:context'

/** The events that tell plugins about a build or publish step. */
export type LifecycleEvent = Exclude<TwoliterEvent, CapabilityEvent | ServiceEvent>

/**
 * A hook for a twoliter event. oclif also passes its own `config` and `context` in the options, and runs
 * the hook with `this` set to its hook context; plugins should not need either.
 */
export type TwoliterHook<E extends TwoliterEvent> = (options: TwoliterHooks[E]['options']) => Promise<TwoliterHooks[E]['return']>
