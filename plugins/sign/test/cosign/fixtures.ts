import {writeFile} from 'node:fs/promises'
import path from 'node:path'

import type {RegistryClient} from '../../../../src/lib/oci/index.js'
import {kitMetadata, pushSyntheticKit} from '../../../../test/helpers/kit-images.js'
import {generateKeyPair} from '../../src/cosign/keys.js'

/** A new cosign key pair written to `dir` as NAME.key (encrypted with `password`, mode 0600) and NAME.pub. */
export async function writeCosignKeyPair(dir: string, name: string, password: string): Promise<{key: string; pub: string}> {
  const pair = await generateKeyPair(password)
  const key = path.join(dir, `${name}.key`)
  const pub = path.join(dir, `${name}.pub`)
  await writeFile(key, pair.privateKeyPem, {mode: 0o600})
  await writeFile(pub, pair.publicKeyPem)
  return {key, pub}
}

/** A small kit pushed to `vendor/NAME` of the registry; its index by digest, as signers take it. */
export async function pushKitToSign(registryHost: string, client: RegistryClient, name: string): Promise<string> {
  const kit = await pushSyntheticKit(registryHost, {repository: `vendor/${name}`, metadata: kitMetadata(name, '1.0.0', {name: 'sdk', version: '0.1.0', vendor: 'v'})}, client)
  return `${registryHost}/vendor/${name}@${kit.index.digest}`
}
