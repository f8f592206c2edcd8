import {readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {expect} from 'chai'

import {TwoliterError} from '../../../src/lib/errors.js'
import type {DependencySection, Member, MemberKind, Workspace} from '../../../src/lib/manifest/index.js'
import {type LogSink, Logger} from '../../../src/lib/ui/logger.js'

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/manifest')

export function fixture(...parts: string[]): string {
  return path.join(FIXTURES, ...parts)
}

/** The 1-based number of the first line of `file` that contains `text`. */
export function lineOf(file: string, text: string): number {
  const index = readFileSync(file, 'utf8').split('\n').findIndex((line) => line.includes(text))
  if (index === -1) throw new Error(`test setup: "${text}" is not in ${file}`)
  return index + 1
}

export async function rejection(promise: Promise<unknown>): Promise<TwoliterError> {
  try {
    await promise
  } catch (error) {
    expect(error).to.be.instanceOf(TwoliterError)
    return error as TwoliterError
  }

  throw new Error('expected a TwoliterError, but the call succeeded')
}

export function thrown(call: () => unknown): TwoliterError {
  try {
    call()
  } catch (error) {
    expect(error).to.be.instanceOf(TwoliterError)
    return error as TwoliterError
  }

  throw new Error('expected a TwoliterError, but the call succeeded')
}

/** A logger that prints nothing and keeps every line it would have printed. */
export function recordingLogger(): {logger: Logger; lines: string[]} {
  const lines: string[] = []
  const sink: LogSink = {write: (line) => lines.push(line)}
  return {logger: new Logger('debug', sink), lines}
}

export function member(workspace: Workspace, name: string): Member {
  const found = workspace.members.find((candidate) => candidate.name === name)
  if (!found) throw new Error(`test setup: no member ${name}`)
  return found
}

/**
 * A workspace built in memory, for graphs that would be tedious as fixture files. `links` maps a member
 * to its dependencies; a `~` prefix puts the dependency in [dependencies] instead of [build-dependencies].
 */
export function memoryWorkspace(kinds: Record<string, MemberKind>, links: Record<string, string[]>): Workspace {
  const members = Object.entries(kinds).map(([name, kind]): Member => {
    const link = (target: string) => {
      const section: DependencySection = target.startsWith('~') ? 'dependencies' : 'build-dependencies'
      const dependency = target.replace(/^~/, '')
      return {name: dependency, section, key: dependency, location: {file: `/memory/${name}/Cargo.toml`}}
    }

    const all = (links[name] ?? []).map((target) => link(target))
    const base = {
      cargoName: name,
      name,
      version: '0.1.0',
      dir: `/memory/${name}`,
      relativeDir: name,
      manifestPath: `/memory/${name}/Cargo.toml`,
      buildDependencies: all.filter((entry) => entry.section === 'build-dependencies'),
      dependencies: all.filter((entry) => entry.section === 'dependencies'),
    }
    if (kind === 'kit') return {...base, kind, metadata: {vendor: 'test'}}
    if (kind === 'variant') {
      return {
        ...base,
        kind,
        metadata: {
          includedPackages: [],
          imageFormat: 'raw',
          imageLayout: {osImageSizeGib: 2, dataImageSizeGib: 1, publishImageSizeHintGib: 22, partitionPlan: 'split'},
          kernelParameters: [],
          imageFeatures: {
            'in-place-updates': true,
            'host-containers': true,
            'grub-set-private-var': false,
            'uefi-secure-boot': false,
            'systemd-networkd': false,
            'xfs-data-partition': false,
            'erofs-root-partition': false,
            fips: false,
          },
        },
      }
    }

    return {...base, kind: 'package', metadata: {sourceGroups: [], externalFiles: []}}
  })
  return {root: '/memory', manifestPath: '/memory/Cargo.toml', members}
}
