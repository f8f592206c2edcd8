/**
 * How twoliter calls its plugins: capabilities (hooks returning versioned descriptors), lifecycle events
 * around build and publish steps, and the context of services lent to every hook. Plugin failures are
 * warnings, never crashes. Nothing here imports oclif: commands pass their Config as a `HookRunner`.
 */

export {API_VERSIONS, apiVersionProblem} from './api-versions.js'
export {type CapabilityDescriptors, type ProvidedCapability, callCapability} from './capabilities.js'
export {type HookContextSources, hookContext} from './hook-context.js'
export {type HookCallOptions, type HookPlugin, type HookResult, type HookRunOutcome, type HookRunner, callPluginFunction, runPluginHooks} from './hook-runner.js'
export {DEFAULT_CAPABILITY_TIMEOUT_MS, DEFAULT_LIFECYCLE_TIMEOUT_MS, HOOK_TIMEOUT_ENV, type HookKind, hookTimeoutMs} from './hook-timeouts.js'
export {exitDespiteHungHooks, hungHooks} from './hung-hooks.js'
export {type LifecycleCallOptions, type LifecyclePayload, emitLifecycle} from './lifecycle-events.js'
export {type PluginLifecycleOptions, pluginLifecycle} from './plugin-lifecycle.js'
export {type RegistryAuthOptions, registryCredentialProvider} from './registry-auth.js'
