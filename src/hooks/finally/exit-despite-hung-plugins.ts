import type {Hook} from '@oclif/core'

import {exitDespiteHungHooks} from '../../lib/extensions/hung-hooks.js'

/** After every command: a plugin hook that timed out must not keep twoliter from exiting. */
const hook: Hook<'finally'> = async function () {
  exitDespiteHungHooks()
}

export default hook
