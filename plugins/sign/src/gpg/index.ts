/**
 * GPG signatures of RPMs and GPG key generation, run in the SDK image through a {@link ContainerRunner}
 * (core's engine fits it): the host needs only Node and a container engine.
 */

export {type GpgErrorCode, isSigningError, SigningError} from './errors.js'
export {generateGpgKey, type GenerateGpgKeyOptions, type GeneratedGpgKey, type GpgKeyAlgorithm, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE} from './keygen.js'
export {
  describeProblem,
  type GpgSigningKey,
  requireVerified,
  type RpmVerification,
  type RpmVerifyProblem,
  signRpms,
  type SignRpmsOptions,
  type SignRpmsResult,
  verifyRpms,
  type VerifyRpmsOptions,
} from './rpm-signing.js'
export {type ContainerRunner, type RunnerMount, type RunnerOptions, type RunnerSpec, SIGN_ASSETS_DIR} from './runner.js'
