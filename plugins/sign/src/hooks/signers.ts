import type {TwoliterHook} from '@twoliter/plugin-api'

import {cosignSigner} from '../signers/cosign-signer.js'
import {gpgSigner} from '../signers/gpg-signer.js'

/** `twoliter:signers`: the signers this plugin provides. */
const hook: TwoliterHook<'twoliter:signers'> = async ({twoliter}) => [cosignSigner(twoliter), gpgSigner(twoliter)]

export default hook
