/**
 * Capabilities: hook events whose hooks return versioned descriptors (`twoliter:registry-auth` providers,
 * `twoliter:signers`). Every descriptor is checked before twoliter uses it; one that is broken, of another
 * major version or a duplicate is left out with a warning naming its plugin.
 */

import type {CapabilityEvent, HookOptions, RegistryAuthProvider, Signer} from '@twoliter/plugin-api'

import {API_VERSIONS, apiVersionProblem} from './api-versions.js'
import {type HookCallOptions, type HookRunner, runPluginHooks} from './hook-runner.js'

/** What each capability event's hooks provide. */
export interface CapabilityDescriptors {
  'twoliter:registry-auth': RegistryAuthProvider
  'twoliter:signers': Signer
}

/** A descriptor that passed the checks, with the plugin it came from (for messages). */
export interface ProvidedCapability<E extends CapabilityEvent> {
  plugin: string
  descriptor: CapabilityDescriptors[E]
}

interface CapabilitySpec {
  /** What one descriptor is called in messages. */
  noun: string
  apiVersion: string
  /** Members that must be functions. */
  methods: readonly string[]
  /** Further checks: undefined when the descriptor is fine, else what is wrong with it. */
  check?(descriptor: Record<string, unknown>): string | undefined
  /** Descriptors with the same identity are duplicates; the first one (bundled plugins first) is kept. */
  identity?(descriptor: Record<string, unknown>): string
}

const SIGNER_ID = /^[a-z0-9][a-z0-9-]*$/

const CAPABILITIES: Record<CapabilityEvent, CapabilitySpec> = {
  'twoliter:registry-auth': {noun: 'registry-auth provider', apiVersion: API_VERSIONS.registryAuth, methods: ['provide']},
  'twoliter:signers': {
    noun: 'signer',
    apiVersion: API_VERSIONS.signer,
    methods: ['describe', 'signRpms', 'signImage', 'verifyImage'],
    check: (signer) => (typeof signer.id === 'string' && SIGNER_ID.test(signer.id) ? undefined : `its id ${JSON.stringify(signer.id)} is not lowercase letters, digits and -`),
    identity: (signer) => String(signer.id),
  },
}

/**
 * Runs the capability's hooks of every plugin and returns the descriptors they provide (a hook may return
 * one, an array, or undefined), bundled plugins' first. Never throws: each hook that fails or times out,
 * and each descriptor that is not what the interface says, costs one warning instead.
 */
export async function callCapability<E extends CapabilityEvent>(config: HookRunner, event: E, options: HookOptions, call: HookCallOptions): Promise<Array<ProvidedCapability<E>>> {
  const spec = CAPABILITIES[event]
  const results = await runPluginHooks(config, event, {...options}, call)
  const accepted: Array<ProvidedCapability<E>> = []
  const seen = new Set<unknown>()
  const owners = new Map<string, string>()
  for (const {plugin, result} of results) {
    for (const candidate of flatten(result)) {
      if (seen.has(candidate)) continue
      seen.add(candidate)
      const problem = descriptorProblem(spec, candidate)
      if (problem !== undefined) {
        call.logger.warn(`plugin ${plugin.name}: ${problem}`)
        continue
      }

      const descriptor = candidate as Record<string, unknown>
      const identity = spec.identity?.(descriptor)
      if (identity !== undefined) {
        const owner = owners.get(identity)
        if (owner !== undefined) {
          call.logger.warn(`plugin ${plugin.name}: its ${spec.noun} ${JSON.stringify(identity)} is ignored: plugin ${owner} provides one with the same id`)
          continue
        }

        owners.set(identity, plugin.name)
      }

      accepted.push({plugin: plugin.name, descriptor: descriptor as unknown as CapabilityDescriptors[E]})
    }
  }

  return accepted
}

function flatten(result: unknown): unknown[] {
  if (result === undefined || result === null) return []
  return Array.isArray(result) ? result : [result]
}

function descriptorProblem(spec: CapabilitySpec, candidate: unknown): string | undefined {
  if (typeof candidate !== 'object' || candidate === null) {
    return `its hook returned ${describeValue(candidate)} where a ${spec.noun} was expected; ignoring it`
  }

  const descriptor = candidate as Record<string, unknown>
  const what = spec.identity && typeof descriptor.id === 'string' ? `${spec.noun} ${JSON.stringify(descriptor.id)}` : spec.noun
  // The version first: a descriptor of another major version may well have other members.
  const versionProblem = apiVersionProblem(descriptor.apiVersion, spec.apiVersion)
  if (versionProblem !== undefined) return `its ${what} is ignored: ${versionProblem} (update the plugin, or twoliter)`
  const missing = spec.methods.filter((method) => typeof descriptor[method] !== 'function')
  if (missing.length > 0) return `its ${what} is ignored: it has no ${missing.join(', ')} function${missing.length > 1 ? 's' : ''}`
  const problem = spec.check?.(descriptor)
  return problem === undefined ? undefined : `its ${what} is ignored: ${problem}`
}

function describeValue(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`
  return `a ${typeof value}`
}
