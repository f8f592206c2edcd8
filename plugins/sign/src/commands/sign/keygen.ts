import {access, mkdtemp, rename, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {Flags} from '@oclif/core'

import {generateKeyPair, keyId, readPublicKey} from '../../cosign/keys.js'
import {generateGpgKey} from '../../gpg/keygen.js'
import {twoliterContext} from '../../twoliter-context.js'
import {SignCommand} from '../../command.js'
import {SigningError} from '../../errors.js'
import {readPassword} from '../../password.js'
import {LOCAL_SDK_IMAGE} from '../../sdk-image.js'

export interface KeygenResult {
  type: 'cosign' | 'gpg'
  privateKey: string
  publicKey: string
  /** cosign: sha256 of the public key (SPKI DER), hex; gpg: the key's fingerprint. */
  keyId: string
}

/** The local SDK's image, which has gpg; `sdk build-local` makes it. */

export default class SignKeygen extends SignCommand {
  static override summary = 'Create a signing key pair.'

  static override description = `--type gpg makes an RSA 3072 OpenPGP key pair in the SDK (gpg runs in a container; the host needs only Docker): NAME.private.asc (mode 0600, protected by the passphrase from --password-env, default GPG_PASSPHRASE, or --password-file; an empty passphrase means none) and NAME.public.asc, for signing RPMs (rpmsign) and for consumers to verify them. --user-name and --email make its user id.

--type cosign makes an ECDSA P-256 key pair in cosign's format (what \`cosign generate-key-pair\` writes): NAME.key, the private key encrypted with a password (scrypt + secretbox), and NAME.pub, the public key that consumers list under [vendor.X] signing-keys in Twoliter.toml. The password comes from the environment variable --password-env names (default COSIGN_PASSWORD, cosign's convention) or from --password-file; it is never printed. Existing files are never overwritten.

Result (--json): {type, privateKey, publicKey, keyId}: keyId is the gpg fingerprint, or for cosign the sha256 of the public key.`

  static override examples = [
    {description: 'A cosign key pair in keys/, the password from COSIGN_PASSWORD', command: 'COSIGN_PASSWORD=... <%= config.bin %> sign keygen --type cosign --output-dir keys'},
    {description: 'The same, the password read from a file', command: '<%= config.bin %> sign keygen --type cosign --password-file ~/.config/kit-signing.pass --name kits'},
    {description: 'A GPG key pair for signing RPMs', command: 'GPG_PASSPHRASE=... <%= config.bin %> sign keygen --type gpg --user-name "Example Kits" --email kits@example.com --output-dir keys'},
  ]

  static override flags = {
    type: Flags.option({options: ['cosign', 'gpg'] as const, required: true, summary: 'The kind of key pair.'})(),
    'output-dir': Flags.directory({summary: 'Where to write the key files.', default: '.', helpValue: 'DIR'}),
    name: Flags.string({summary: 'The files\' base name (default cosign, or signing for gpg).', helpValue: 'NAME'}),
    'password-env': Flags.string({summary: 'Environment variable that holds the password (default COSIGN_PASSWORD, or GPG_PASSPHRASE for gpg).', helpValue: 'VAR'}),
    'user-name': Flags.string({summary: 'gpg: the name of the key\'s user id.', helpValue: 'NAME'}),
    email: Flags.string({summary: 'gpg: the email of the key\'s user id.', helpValue: 'EMAIL'}),
    'sdk-image': Flags.string({summary: 'gpg: the image gpg runs in.', default: LOCAL_SDK_IMAGE, helpValue: 'IMAGE'}),
    'password-file': Flags.file({summary: 'File whose first line is the password (instead of the environment).', helpValue: 'FILE', exists: true}),
  }

  public async run(): Promise<KeygenResult> {
    const {flags} = await this.parse(SignKeygen)
    const gpg = flags.type === 'gpg'
    const password = await readPassword(flags['password-env'] ?? (gpg ? 'GPG_PASSPHRASE' : 'COSIGN_PASSWORD'), flags['password-file'])
    const name = flags.name ?? (gpg ? 'signing' : 'cosign')
    const outputDir = path.resolve(flags['output-dir'])
    if (gpg) return this.gpgKey({...flags, name, outputDir, password})
    const privateKey = path.join(outputDir, `${name}.key`)
    const publicKey = path.join(outputDir, `${name}.pub`)
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
      return {type: 'cosign' as const, privateKey, publicKey, keyId: id}
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw new SigningError(`${(error as NodeJS.ErrnoException).path} exists already; a key is never overwritten.`, {hint: 'Choose another --name or --output-dir, or remove the old key first.', code: 'sign.key-exists'})
      }

      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new SigningError(`The directory ${flags['output-dir']} does not exist.`, {hint: 'Create it first, or choose another --output-dir.', code: 'sign.no-directory'})
      }

      throw error
    }
  }

  private async gpgKey(options: {name: string; outputDir: string; password: string; 'user-name'?: string; email?: string; 'sdk-image': string}): Promise<KeygenResult> {
    if (options['user-name'] === undefined || options.email === undefined) {
      throw new SigningError('A gpg key needs a user id.', {hint: 'Give --user-name and --email, e.g. --user-name "Example Kits" --email kits@example.com.', code: 'sign.gpg-user-id'})
    }

    const privateKey = path.join(options.outputDir, `${options.name}.private.asc`)
    const publicKey = path.join(options.outputDir, `${options.name}.public.asc`)
    for (const file of [privateKey, publicKey]) {
      if (await access(file).then(() => true, () => false)) {
        throw new SigningError(`${file} exists already; a key is never overwritten.`, {hint: 'Choose another --name or --output-dir, or remove the old key first.', code: 'sign.key-exists'})
      }
    }

    const context = await twoliterContext(this.config)
    const scratch = await mkdtemp(path.join(options.outputDir, '.keygen-')).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') throw new SigningError(`The directory ${options.outputDir} does not exist.`, {hint: 'Create it first, or choose another --output-dir.', code: 'sign.no-directory'})
      throw error
    })
    try {
      const key = await generateGpgKey({runner: context.engine, sdkImage: options['sdk-image'], name: options['user-name'], email: options.email, passphrase: options.password, outDir: path.join(scratch, 'key')})
      await rename(key.publicKeyFile, publicKey)
      await rename(key.privateKeyFile, privateKey)
      this.log(`Wrote ${privateKey} (private, keep it secret) and ${publicKey} (public, fingerprint ${key.fingerprint}).`)
      return {type: 'gpg', privateKey, publicKey, keyId: key.fingerprint}
    } finally {
      await rm(scratch, {recursive: true, force: true})
    }
  }
}
