/**
 * The version of each plugin interface. A descriptor names the version it implements in `apiVersion`;
 * twoliter accepts it when the major version is the one it supports (a semver check), and ignores it with
 * a warning otherwise. Minor versions only add optional members, so a plugin built against 1.0.0 works
 * with a twoliter that supports 1.3.0, and the other way round.
 *
 * @packageDocumentation
 */

/** Version of `RegistryAuthProvider`, the `twoliter:registry-auth` capability. */
export type RegistryAuthApiVersion = '1.0.0'

/** Version of `Signer`, the `twoliter:signers` capability. */
export type SignerApiVersion = '1.0.0'

/** Version of the lifecycle event payloads (`twoliter:pre-build`, `post-build`, `pre-publish`, `post-publish`). */
export type LifecycleApiVersion = '1.0.0'

/** Version of `TwoliterContext`, the services twoliter lends to every hook. */
export type ContextApiVersion = '1.0.0'
