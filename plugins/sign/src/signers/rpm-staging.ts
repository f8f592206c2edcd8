/**
 * A directory that holds exactly the RPMs a request names. The GPG scripts sign or check every `*.rpm`
 * under one directory, while a signer is asked for a list of files that may sit beside others: the listed
 * RPMs are hard-linked (copied when they cannot be) into a fresh directory, under their paths relative to
 * the deepest directory that holds them all, so files not asked for are never touched.
 */

import {copyFile, link, mkdir, realpath, rename, rm, stat} from 'node:fs/promises'
import path from 'node:path'

import {SigningError} from '../errors.js'

export interface StagedRpm {
  /** The path as the request gave it. */
  given: string
  /** Where it is in the staging directory, relative to it with `/`: how the scripts name it. */
  relative: string
}

export interface StagedRpms {
  dir: string
  /** One for each requested path, in the request's order. */
  rpms: StagedRpm[]
  /**
   * Makes each original the signed staged file. A hard link that was signed in place is the original
   * already; any other is moved (or, across file systems, copied) over it in one atomic rename.
   */
  putBack(): Promise<void>
}

interface Original {
  /** The real path of the requested file. */
  file: string
  staged: string
}

/** Stages the RPMs into `dir`, which must not exist yet; the caller removes it. */
export async function stageRpms(rpms: string[], dir: string): Promise<StagedRpms> {
  const realFiles = await Promise.all(rpms.map((rpm) => requireRpmFile(rpm)))
  const base = commonDirectory(realFiles)
  await mkdir(dir)
  const originals = new Map<string, Original>()
  const staged = rpms.map((given, index): StagedRpm => {
    const file = realFiles[index]!
    const relative = path.relative(base, file)
    originals.set(relative, {file, staged: path.join(dir, relative)})
    return {given, relative: relative.split(path.sep).join('/')}
  })
  for (const original of originals.values()) {
    await mkdir(path.dirname(original.staged), {recursive: true})
    // A hard link needs no copy and keeps the owner; it fails across file systems or for others' files.
    await link(original.file, original.staged).catch(() => copyFile(original.file, original.staged))
  }

  return {dir, rpms: staged, putBack: () => putBack([...originals.values()])}
}

async function putBack(originals: Original[]): Promise<void> {
  for (const {file, staged} of originals) {
    const [signed, current] = await Promise.all([stat(staged), stat(file)])
    if (signed.dev === current.dev && signed.ino === current.ino) continue
    try {
      await rename(staged, file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw cannotReplace(file, error)
      const temporary = `${file}.twoliter-sign-${process.pid}`
      try {
        await copyFile(staged, temporary)
        await rename(temporary, file)
      } catch (copyError) {
        await rm(temporary, {force: true})
        throw cannotReplace(file, copyError)
      }
    }
  }
}

function cannotReplace(file: string, error: unknown): SigningError {
  return new SigningError(`The signed copy of ${file} could not replace it: ${(error as NodeJS.ErrnoException).code ?? String(error)}.`, {
    code: 'sign.rpm-unwritable',
    hint: 'The user running twoliter must be able to write to the directory of each RPM it signs; the RPM is left unsigned.',
    cause: error,
  })
}

/** The real path of the RPM file, after checking that it is one. */
async function requireRpmFile(rpm: string): Promise<string> {
  const file = await realpath(path.resolve(rpm)).catch(() => undefined)
  const info = file === undefined ? undefined : await stat(file).catch(() => undefined)
  if (file === undefined || !info?.isFile()) {
    throw new SigningError(`The RPM ${rpm} does not exist or is not a file.`, {code: 'sign.rpm-invalid', hint: 'Check the path; give the RPM files themselves, not their directory.'})
  }

  // The scripts take only files named *.rpm.
  if (!file.endsWith('.rpm')) {
    throw new SigningError(`${rpm} is not named like an RPM file (*.rpm).`, {code: 'sign.rpm-invalid', hint: 'Give the paths of the RPM files themselves.'})
  }

  return file
}

/** The deepest directory that holds all the files. */
function commonDirectory(files: string[]): string {
  const [first, ...rest] = files.map((file) => path.dirname(file).split(path.sep))
  if (first === undefined) return path.sep
  let length = first.length
  for (const parts of rest) {
    let same = 0
    while (same < Math.min(length, parts.length) && parts[same] === first[same]) same++
    length = same
  }

  return first.slice(0, length).join(path.sep) || path.sep
}
