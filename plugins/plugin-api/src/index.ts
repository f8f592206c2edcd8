/**
 * The types of twoliter's plugin interfaces. This package has no runtime code: use it as a devDependency
 * and import from it with `import type`.
 *
 * - Capabilities: `twoliter:registry-auth` (`RegistryAuthProvider`) and `twoliter:signers` (`Signer`),
 *   whose hooks return versioned descriptors.
 * - Lifecycle events: `twoliter:pre-build`, `twoliter:post-build`, `twoliter:pre-publish`,
 *   `twoliter:post-publish`.
 * - `TwoliterContext`: the engine, registry client and logger twoliter lends to every hook.
 *
 * @packageDocumentation
 */

export type * from './context.js'
export type * from './hooks.js'
export type * from './lifecycle.js'
export type * from './registry-auth.js'
export type * from './signers.js'
export type * from './versions.js'
