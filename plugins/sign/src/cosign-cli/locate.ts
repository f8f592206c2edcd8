/**
 * Which implementation signs images: the cosign CLI when one is on PATH (or TWOLITER_COSIGN names one),
 * the native implementation otherwise or when TWOLITER_COSIGN=native.
 */

import {constants} from 'node:fs'
import {access, stat} from 'node:fs/promises'
import path from 'node:path'

import {SigningError} from '../errors.js'

export const COSIGN_ENV = 'TWOLITER_COSIGN'

export type CosignChoice = {kind: 'native'; why: string} | {kind: 'cli'; program: string; why: string}

/**
 * TWOLITER_COSIGN: unset or empty (the cosign on PATH if there is one, else native), `native`, `cli` (the
 * cosign on PATH, which must be there), or the path of a cosign executable.
 */
export async function chooseCosign(env: NodeJS.ProcessEnv): Promise<CosignChoice> {
  const setting = (env[COSIGN_ENV] ?? '').trim()
  if (setting === 'native') return {kind: 'native', why: `${COSIGN_ENV}=native`}
  if (setting === '' || setting === 'cli') {
    const found = await findOnPath('cosign', env.PATH ?? '')
    if (found !== undefined) return {kind: 'cli', program: found, why: `cosign is on PATH${setting === '' ? '' : ` (${COSIGN_ENV}=cli)`}`}
    if (setting === '') return {kind: 'native', why: 'no cosign on PATH'}
    throw new SigningError(`${COSIGN_ENV}=cli asks for the cosign CLI, but no cosign executable is on PATH.`, {
      code: 'sign.cosign-not-found',
      hint: `Install cosign 2.x or 3.x, set ${COSIGN_ENV} to its path, or set ${COSIGN_ENV}=native (or unset it) to sign without the CLI.`,
    })
  }

  if (!setting.includes(path.sep)) {
    throw new SigningError(`${COSIGN_ENV}=${setting} is neither native, cli nor the path of a cosign executable.`, {
      code: 'sign.cosign-not-found',
      hint: `Set ${COSIGN_ENV} to native, cli, or a path such as /usr/local/bin/cosign.`,
    })
  }

  const program = path.resolve(setting)
  if (!(await isExecutableFile(program))) {
    throw new SigningError(`${COSIGN_ENV} names ${program}, which is not an executable file.`, {
      code: 'sign.cosign-not-found',
      hint: `Point ${COSIGN_ENV} at the cosign binary, or set it to native to sign without the CLI.`,
    })
  }

  return {kind: 'cli', program, why: `${COSIGN_ENV}=${setting}`}
}

/** The first executable regular file called `name` in the PATH's directories; relative entries are skipped. */
export async function findOnPath(name: string, pathValue: string): Promise<string | undefined> {
  for (const dir of pathValue.split(path.delimiter)) {
    // An empty or relative entry means the working directory: never pick a program from there.
    if (!path.isAbsolute(dir)) continue
    const candidate = path.join(dir, name)
    if (await isExecutableFile(candidate)) return candidate
  }

  return undefined
}

async function isExecutableFile(file: string): Promise<boolean> {
  try {
    if (!(await stat(file)).isFile()) return false
    await access(file, constants.X_OK)
    return true
  } catch {
    return false
  }
}
