import {Engine} from '../../src/lib/engine/index.js'
import {buildLocalSdk} from '../../src/lib/sdk/index.js'
import {Logger} from '../../src/lib/ui/logger.js'

let localSdk: Promise<string> | undefined

/**
 * The local SDK image for end-to-end tests: built from sdk/ the first time (as root; scripts/setup does it),
 * then taken from the engine's cache. Returns its cache tag, `twoliter-local-sdk:<12 hex of the recipe hash>`,
 * which always names the image of the current recipe. Give the calling hook a timeout of several minutes.
 */
export function ensureLocalSdk(): Promise<string> {
  localSdk ??= (async () => {
    const logger = new Logger(process.env.TWOLITER_TEST_LOG_LEVEL === 'debug' ? 'debug' : 'warn')
    const engine = await Engine.connect(logger)
    const build = await buildLocalSdk(engine, {logger, onOutput: (line) => logger.debug(line)})
    return build.image
  })()
  // A failed build is retried by the next caller instead of failing every later test the same way.
  localSdk.catch(() => {
    localSdk = undefined
  })
  return localSdk
}

/** An engine for a test, with its own stats. */
export function connectEngine(): Promise<Engine> {
  return Engine.connect(new Logger('warn'))
}
