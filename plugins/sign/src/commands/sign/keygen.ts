import {readFile, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {Flags} from '@oclif/core'

import {generateKeyPair, keyId, readPublicKey} from '../../cosign/keys.js'
import {SignCommand, UserError} from '../../command.js'

export interface KeygenResult {
  type: 'cosign'
  privateKey: string
  publicKey: string
  /** sha256 of the public key (SPKI DER), hex: how messages name the key. */
  keyId: string
}

export default class SignKeygen extends SignCommand {
  static override summary = 'Create a signing key pair.'

  static override description = `--type cosign makes an ECDSA P-256 key pair in cosign's format (what \`cosign generate-key-pair\` writes): NAME.key, the private key encrypted with a password (scrypt + secretbox), and NAME.pub, the public key that consumers list under [vendor.X] signing-keys in Twoliter.toml. The password comes from the environment variable --password-env names (default COSIGN_PASSWORD, cosign's convention) or from --password-file; it is never printed. Existing files are never overwritten.

Result (--json): {type, privateKey, publicKey, keyId}.`

  static override examples = [
    {description: 'A cosign key pair in keys/, the password from COSIGN_PASSWORD', command: 'COSIGN_PASSWORD=... <%= config.bin %> sign keygen --type cosign --output-dir keys'},
    {description: 'The same, the password read from a file', command: '<%= config.bin %> sign keygen --type cosign --password-file ~/.config/kit-signing.pass --name kits'},
  ]

  static override flags = {
    type: Flags.option({options: ['cosign'] as const, required: true, summary: 'The kind of key pair.'})(),
    'output-dir': Flags.directory({summary: 'Where to write the key files.', default: '.', helpValue: 'DIR'}),
    name: Flags.string({summary: 'The files\' base name: NAME.key and NAME.pub.', default: 'cosign', helpValue: 'NAME'}),
    'password-env': Flags.string({summary: 'Environment variable that holds the password.', default: 'COSIGN_PASSWORD', helpValue: 'VAR'}),
    'password-file': Flags.file({summary: 'File whose first line is the password (instead of the environment).', helpValue: 'FILE', exists: true}),
  }

  public async run(): Promise<KeygenResult> {
    const {flags} = await this.parse(SignKeygen)
    const password = await this.password(flags['password-env'], flags['password-file'])
    const privateKey = path.resolve(flags['output-dir'], `${flags.name}.key`)
    const publicKey = path.resolve(flags['output-dir'], `${flags.name}.pub`)
    try {
      const pair = await generateKeyPair(password)
      // `wx`: an existing key is never replaced; the private key is readable by its owner only.
      await writeFile(privateKey, pair.privateKeyPem, {flag: 'wx', mode: 0o600})
      await writeFile(publicKey, pair.publicKeyPem, {flag: 'wx', mode: 0o644}).catch(async (error: unknown) => {
        await rm(privateKey, {force: true})
        throw error
      })
      const id = keyId(readPublicKey(pair.publicKeyPem))
      this.log(`Wrote ${privateKey} (private, keep it secret) and ${publicKey} (public, key id ${id.slice(0, 16)}).`)
      return {type: 'cosign', privateKey, publicKey, keyId: id}
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new UserError(`${(error as NodeJS.ErrnoException).path} exists already; a key is never overwritten.`, 'Choose another --name or --output-dir, or remove the old key first.', 'sign.key-exists')
      }

      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new UserError(`The directory ${flags['output-dir']} does not exist.`, 'Create it first, or choose another --output-dir.', 'sign.no-directory')
      }

      throw error
    }
  }

  private async password(variable: string, file: string | undefined): Promise<string> {
    if (file !== undefined) return (await readFile(file, 'utf8')).split('\n')[0] ?? ''
    const value = process.env[variable]
    if (value === undefined) {
      throw new UserError(`No password for the private key: ${variable} is not set.`, 'Set it (an empty value means no password, as with cosign), or give --password-file.', 'sign.no-password')
    }

    return value
  }
}
