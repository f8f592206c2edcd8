import {mkdir, readFile, stat} from 'node:fs/promises'
import path from 'node:path'

import {writeFileAtomic} from '../fs/atomic.js'
import {combineDigests, sha256File} from './digest.js'

/**
 * What one output was built from. A node is skipped when its inputs digest the same as its record's and
 * the outputs the record lists are still there, unchanged.
 */
export interface BuildRecord {
  version: typeof RECORD_VERSION
  inputDigest: string
  /** Each input's own digest, so that --explain can say which one changed. */
  inputs: Record<string, string>
  outputs: OutputFile[]
  /** Digest of the outputs: what dependents include among their inputs. */
  outputDigest: string
  builtAt: string
  /** A package's: the key its RPMs were signed with (Infra.toml [rpm-signing]), public parts only. */
  rpmSignature?: {keyId: string; publicKey: string}
}

export interface OutputFile {
  name: string
  size: number
  mtimeMs: number
  sha256: string
}

const RECORD_VERSION = 1

/** The files (paths relative to `dir`) as a build record lists its outputs. */
export async function describeOutputFiles(dir: string, names: readonly string[]): Promise<OutputFile[]> {
  return Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name)
      const info = await stat(file)
      return {name, size: info.size, mtimeMs: info.mtimeMs, sha256: await sha256File(file)}
    }),
  )
}

export async function readBuildRecord(file: string): Promise<BuildRecord | undefined> {
  try {
    const record = JSON.parse(await readFile(file, 'utf8')) as BuildRecord
    return record.version === RECORD_VERSION ? record : undefined
  } catch {
    // Missing, unreadable or from another version: the node is simply rebuilt.
    return undefined
  }
}

export async function writeBuildRecord(file: string, record: BuildRecord): Promise<void> {
  await mkdir(path.dirname(file), {recursive: true})
  await writeFileAtomic(file, JSON.stringify(record, null, 2) + '\n')
}

export function outputDigestOf(outputs: readonly OutputFile[]): string {
  return combineDigests(Object.fromEntries(outputs.map((output) => [output.name, output.sha256])))
}

/** Why the node must be built again, or an empty list when its record still holds. */
export async function reasonsToRebuild(
  record: BuildRecord | undefined,
  inputs: Record<string, string>,
  outputDir: string,
): Promise<string[]> {
  if (!record) return ['never built (no build record)']
  const reasons = describeInputChanges(record.inputs, inputs)
  if (reasons.length > 0) return reasons
  for (const output of record.outputs) {
    const info = await stat(path.join(outputDir, output.name)).catch(() => undefined)
    if (!info) reasons.push(`output ${output.name} is missing`)
    else if (info.size !== output.size || info.mtimeMs !== output.mtimeMs) reasons.push(`output ${output.name} was changed after the build`)
  }

  return reasons
}

function describeInputChanges(before: Record<string, string>, after: Record<string, string>): string[] {
  const reasons: string[] = []
  for (const name of Object.keys(after).sort()) {
    if (!(name in before)) reasons.push(`new input ${name}`)
    else if (before[name] !== after[name]) reasons.push(`${name} changed`)
  }

  for (const name of Object.keys(before).sort()) {
    if (!(name in after)) reasons.push(`input ${name} was removed`)
  }

  return reasons
}
