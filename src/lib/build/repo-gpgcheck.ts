/**
 * Which GPG keys dnf checks the RPMs of a repository with, when it installs from it (a variant's root, a
 * package's build dependencies): an external kit whose vendor lists GPG keys in Twoliter.toml's
 * signing-keys is checked against those keys only (the kit's own RPM-GPG-KEY is not trusted then); a kit
 * that carries RPM-GPG-KEY is checked against it, which refuses RPMs modified after signing; the
 * project's own packages are checked against the [rpm-signing] key when the project signs. Anything else
 * is not checked, so unsigned kits keep working.
 */

import {createHash} from 'node:crypto'
import {mkdir, readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {TwoliterError} from '../errors.js'
import {KIT_RPM_KEY_FILE} from '../kits/kit-image.js'
import type {TrustedKey} from '../project/signing-keys.js'

export type RepoGpgTrust = 'vendor-keys' | 'kit-key' | 'project-key'

export interface RepoGpgKey {
  /** `sha256:<hex>` of the armored key's text. */
  id: string
  text: string
  /** The file the key was read from, or what it is when it was not read from a file. */
  origin: string
}

/** dnf checks the repository's RPMs against these keys; no decision (undefined) means gpgcheck=0. */
export interface RepoGpgCheck {
  trust: RepoGpgTrust
  keys: RepoGpgKey[]
  /** The vendor whose signing-keys are used (trust `vendor-keys`). */
  vendor?: string
}

export interface GpgCheckedKit {
  name: string
  /** The kit's yum repository (repodata/, and RPM-GPG-KEY when its RPMs are signed). */
  dir: string
  external: boolean
  vendor?: string
}

/** Vendor name → the GPG public keys of its signing-keys (cosign keys are ignored). */
export type VendorGpgKeys = Readonly<Record<string, readonly TrustedKey[]>>

export async function kitGpgCheck(kit: GpgCheckedKit, vendorKeys: VendorGpgKeys = {}): Promise<RepoGpgCheck | undefined> {
  const trusted = kit.external && kit.vendor !== undefined ? (vendorKeys[kit.vendor] ?? []).filter((key) => key.kind === 'gpg') : []
  if (trusted.length > 0) {
    return {trust: 'vendor-keys', vendor: kit.vendor, keys: trusted.map((key) => ({id: key.id, text: key.text, origin: key.file}))}
  }

  const file = path.join(kit.dir, KIT_RPM_KEY_FILE)
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw new TwoliterError(`the ${KIT_RPM_KEY_FILE} of the kit ${kit.name} (${file}) cannot be read: ${error.message}.`, {code: 'build.kit-key-unreadable'})
  })
  if (text === undefined) return undefined
  if (!text.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) {
    throw new TwoliterError(`the ${KIT_RPM_KEY_FILE} of the kit ${kit.name} (${file}) is not an armored GPG public key.`, {
      hint: kit.external ? 'Fetch the kit again (`twoliter fetch`), or ask its publisher to publish it again.' : 'Build the kit again (`twoliter build kit --force`).',
      code: 'build.kit-key-invalid',
    })
  }

  return {trust: 'kit-key', keys: [{id: gpgKeyId(text), text, origin: file}]}
}

/** The project's own packages: checked against the public keys their package builds signed them with, when the project signs. */
export function projectGpgCheck(publicKeys: ReadonlyArray<string | undefined>): RepoGpgCheck | undefined {
  const texts = [...new Set(publicKeys.filter((key): key is string => key !== undefined && key.trim() !== ''))]
  if (texts.length === 0) return undefined
  return {trust: 'project-key', keys: texts.map((text) => ({id: gpgKeyId(text), text, origin: 'Infra.toml [rpm-signing]'}))}
}

export function gpgKeyId(text: string): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`
}

/** Build inputs: one per checked repository, naming how and with which keys, so a key change rebuilds. */
export function gpgCheckInputs(checks: Readonly<Record<string, RepoGpgCheck | undefined>>): Record<string, string> {
  const inputs: Record<string, string> = {}
  for (const [name, check] of Object.entries(checks)) {
    if (check !== undefined) inputs[`gpgcheck:${name}`] = `${check.trust} ${check.keys.map((key) => key.id).sort().join(',')}`
  }

  return inputs
}

/** Where the scripts find a repository's keys: `<dir>/<repo id>/<n>.asc`, the directory mounted read-only at CONTAINER_KEYS_DIR. */
export const CONTAINER_KEYS_DIR = '/twoliter/keys'

export async function writeRepoKeys(dir: string, checks: Readonly<Record<string, RepoGpgCheck | undefined>>): Promise<void> {
  await mkdir(dir, {recursive: true})
  for (const [id, check] of Object.entries(checks)) {
    if (check === undefined) continue
    await mkdir(path.join(dir, id))
    for (const [index, key] of check.keys.entries()) await writeFile(path.join(dir, id, `${index}.asc`), key.text.endsWith('\n') ? key.text : `${key.text}\n`)
  }
}

export function describeGpgCheck(check: RepoGpgCheck): string {
  switch (check.trust) {
    case 'vendor-keys': {
      return `the GPG key${check.keys.length === 1 ? '' : 's'} of vendor ${check.vendor} in the signing-keys of Twoliter.toml`
    }

    case 'kit-key': {
      return `the kit's own ${KIT_RPM_KEY_FILE}`
    }

    case 'project-key': {
      return 'the public key of Infra.toml [rpm-signing]'
    }
  }
}

/** An RPM refused for its signature: which repository (when known), which RPM, and why. */
export interface RefusedRpm {
  repo?: string
  rpm: string
  reason: string
}

/**
 * Picks the refused RPMs out of what the scripts print: their own per-repository check
 * (`twoliter: signature refused: <repo> <rpm>: <reason>`) and dnf's gpgcheck messages.
 */
export class GpgFailureReport {
  readonly refused: RefusedRpm[] = []
  private pending?: RefusedRpm

  line(line: string): void {
    const own = /^twoliter: signature refused: (\S+) (\S+): (.*)$/.exec(line)
    if (own) {
      this.add({repo: own[1], rpm: own[2]!, reason: own[3]!.trim()})
      return
    }

    const unsigned = /Package (\S+) is not signed/.exec(line)
    if (unsigned) {
      this.pending = this.add({rpm: unsigned[1]!, reason: 'it is not signed'})
      return
    }

    const noKey = /Public key for (\S+) is not (installed|trusted)/.exec(line)
    if (noKey) {
      this.pending = this.add({rpm: noKey[1]!, reason: 'it is not signed with a key trusted for its repository'})
      return
    }

    const wrongKeys = /The GPG keys listed for the "([^"]+)" repository are already installed but they are not correct/.exec(line)
    if (wrongKeys) {
      this.pending = {repo: wrongKeys[1], rpm: '', reason: 'it is not signed with a key trusted for its repository'}
      return
    }

    const failing = /Failing package is: (\S+)/.exec(line)
    if (failing && this.pending !== undefined) {
      if (this.pending.rpm === '') {
        this.pending.rpm = failing[1]!
        this.add(this.pending)
      }

      return
    }

    const configured = /GPG Keys are configured as: \S*\/twoliter\/keys\/([^/\s]+)\//.exec(line)
    if (configured && this.pending !== undefined) {
      this.pending.repo ??= configured[1]
      this.pending = undefined
    }
  }

  private add(refused: RefusedRpm): RefusedRpm {
    const known = this.refused.find((entry) => sameRpm(entry.rpm, refused.rpm))
    if (known !== undefined) {
      known.repo ??= refused.repo
      return known
    }

    this.refused.push(refused)
    return refused
  }
}

function sameRpm(a: string, b: string): boolean {
  const strip = (name: string) => name.replace(/\.rpm$/, '')
  return strip(a) === strip(b)
}
