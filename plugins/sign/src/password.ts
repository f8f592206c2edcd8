import {readFile} from 'node:fs/promises'

import {SigningError} from './errors.js'

/** A private key's password: the first line of `file` when given, else the environment variable `variable` (empty means none). */
export async function readPassword(variable: string, file: string | undefined): Promise<string> {
  if (file !== undefined) return (await readFile(file, 'utf8')).split('\n')[0] ?? ''
  const value = process.env[variable]
  if (value === undefined) {
    throw new SigningError(`No password for the private key: ${variable} is not set.`, {hint: 'Set it (an empty value means no password, as with cosign), or give --password-file.', code: 'sign.no-password'})
  }

  return value
}
