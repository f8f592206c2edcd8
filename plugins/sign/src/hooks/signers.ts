import type {TwoliterHook} from '@twoliter/plugin-api'

import {cosignSigner} from '../signers/cosign-signer.js'

/** `twoliter:signers`: the signers this plugin provides. */
const hook: TwoliterHook<'twoliter:signers'> = async ({twoliter}) => [cosignSigner(twoliter)]

export default hook
