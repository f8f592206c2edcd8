import {randomBytes} from 'node:crypto'
import {createWriteStream} from 'node:fs'
import {writeFile} from 'node:fs/promises'

import {createImageLayout, writeLayoutBlob, writeLayoutIndex} from '../../../src/lib/oci/layout.js'
import {type Descriptor, encodeManifest, type ImageManifest, MediaType} from '../../../src/lib/oci/manifest.js'
import type {Platform} from '../../../src/lib/oci/platform.js'
import {type TarWriteEntry, writeTar} from '../../../src/lib/oci/tar.js'

export interface TestImage {
  /** The manifest's descriptor, as index.json holds it. */
  manifest: Descriptor & {platform: Platform}
  manifestBytes: Buffer
  config: Buffer
  layers: Buffer[]
}

/** An image config as docker and rpm2kit write them, with a label to tell images apart. */
export function imageConfig(platform: Platform, layerCount: number, label = 'test'): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: platform.architecture,
      os: platform.os,
      ...(platform.variant === undefined ? {} : {variant: platform.variant}),
      config: {Env: [], WorkingDir: '/', Labels: {'dev.twoliter.test': label}},
      rootfs: {type: 'layers', diff_ids: Array.from({length: layerCount}, (_, index) => `sha256:${index.toString(16).padStart(64, '0')}`)},
      history: [],
    }),
  )
}

/** Writes an OCI image layout of one image with the given layers (uncompressed tar media type). */
export async function writeTestImage(dir: string, platform: Platform, layers: Buffer[], label?: string): Promise<TestImage> {
  await createImageLayout(dir)
  const config = imageConfig(platform, layers.length, label)
  const configBlob = await writeLayoutBlob(dir, config)
  const layerDescriptors: Descriptor[] = []
  for (const layer of layers) {
    const stored = await writeLayoutBlob(dir, layer)
    layerDescriptors.push({mediaType: MediaType.ociLayer, ...stored})
  }

  const manifest: ImageManifest = {schemaVersion: 2, mediaType: MediaType.ociManifest, config: {mediaType: MediaType.ociConfig, ...configBlob}, layers: layerDescriptors}
  const manifestBytes = encodeManifest(manifest)
  const stored = await writeLayoutBlob(dir, manifestBytes)
  const descriptor = {mediaType: MediaType.ociManifest, ...stored, platform}
  await writeLayoutIndex(dir, [descriptor])
  return {manifest: descriptor, manifestBytes, config, layers}
}

export function randomContent(size: number): Buffer {
  return randomBytes(size)
}

/**
 * A `docker save` archive of one image in the classic layout docker wrote before version 25: a
 * directory per layer with `layer.tar` (a repeated layer is a symlink to the first), `<config>.json`,
 * `manifest.json` and `repositories`.
 */
export async function writeClassicDockerArchive(file: string, config: Buffer, layers: Buffer[], repoTag: string): Promise<void> {
  const entries: TarWriteEntry[] = []
  const layerNames: string[] = []
  const seen = new Map<string, string>()
  for (const [index, layer] of layers.entries()) {
    const id = index.toString(16).padStart(64, 'a')
    const key = layer.toString('base64')
    layerNames.push(`${id}/layer.tar`)
    entries.push({name: `${id}/`, type: 'directory'}, {name: `${id}/VERSION`, type: 'file', size: 3, content: () => Buffer.from('1.0')})
    if (seen.has(key)) {
      entries.push({name: `${id}/layer.tar`, type: 'symlink', linkName: `../${seen.get(key)}`})
    } else {
      seen.set(key, `${id}/layer.tar`)
      entries.push({name: `${id}/layer.tar`, type: 'file', size: layer.length, content: () => layer})
    }
  }

  const configName = `${'c'.repeat(64)}.json`
  entries.push({name: configName, type: 'file', size: config.length, content: () => config})
  const manifest = Buffer.from(JSON.stringify([{Config: configName, RepoTags: [repoTag], Layers: layerNames}]))
  entries.push({name: 'manifest.json', type: 'file', size: manifest.length, content: () => manifest})
  await writeTar(createWriteStream(file), entries)
}

export interface CredentialHelperAnswer {
  Username: string
  Secret: string
}

/**
 * Writes a real `docker-credential-<name>` program (a shell script) into `binDir` that answers `get` for
 * the given server URLs, says "credentials not found" for others, and appends every server URL it is
 * asked about to `<binDir>/<name>.log`.
 */
export async function writeCredentialHelper(binDir: string, name: string, answers: Record<string, CredentialHelperAnswer>, exitCode = 0): Promise<string> {
  const cases = Object.entries(answers).map(([server, answer]) => `  '${server}') printf '%s' '${JSON.stringify({ServerURL: server, ...answer})}'; exit ${exitCode} ;;`)
  const script = [
    '#!/bin/sh',
    '[ "$1" = get ] || { echo "unsupported action $1" >&2; exit 2; }',
    'read -r server',
    `echo "$server" >> '${binDir}/${name}.log'`,
    'case "$server" in',
    ...cases,
    '  *) echo "credentials not found in native keychain"; exit 1 ;;',
    'esac',
    '',
  ].join('\n')
  const file = `${binDir}/docker-credential-${name}`
  await writeFile(file, script, {mode: 0o755})
  return file
}
