#!/usr/bin/env node
// The resolution behind `twoliter update` (resolveLock) on a synthetic graph of N kits (default 200) in a
// docker-registry on loopback: 10 kits in Twoliter.toml, then levels of 40, 70 and 80 kits, each kit
// depending on a few of the next level, all built with one SDK. Prints the median of a few runs (each
// with a fresh registry client, as a CLI run has), its ratio to the 2 s target, the registry requests
// per run, and the time of the same requests sent flat out (16 at a time) with no resolution around them. Imports the TypeScript sources through tsx: `node bench/update.mjs [kits] [runs]`.
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {register} from 'tsx/esm/api'

import {startRegistry} from './lib/registry.mjs'

register()
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const load = (file) => import(path.join(repo, file))
const {resolveLock} = await load('src/lib/kits/resolve.ts')
const {encodeKitMetadata, KIT_METADATA_LABEL} = await load('src/lib/kits/metadata.ts')
const {blobFromBytes, MediaType, RegistryClient} = await load('src/lib/oci/index.ts')
const {noOverrides} = await load('src/lib/project/override.ts')
const {Logger, silentLogger} = await load('src/lib/ui/logger.ts')

const total = Number(process.argv[2] ?? 200)
const runs = Number(process.argv[3] ?? 5)
const TARGET_MS = 2000
const VENDOR = 'bench'
const SDK = {name: 'sdk', version: '0.1.0', vendor: VENDOR}
const ARCHES = [['x86_64', 'amd64'], ['aarch64', 'arm64']]

/** Level sizes: 10 direct kits, then the rest split 40:70:80 (scaled to `total`). */
function levelSizes(count) {
  const rest = count - 10
  const sizes = [10, Math.round((rest * 40) / 190), Math.round((rest * 70) / 190)]
  return [...sizes, count - sizes.reduce((sum, size) => sum + size, 0)]
}

/** Kit names per level; each kit depends on 4 kits of the next level, and every kit of it is someone's dependency. */
function graph(count) {
  const levels = levelSizes(count).map((size, level) => Array.from({length: size}, (_, i) => `kit-l${level}-${String(i).padStart(3, '0')}`))
  const dependencies = new Map()
  for (const [level, names] of levels.entries()) {
    const next = levels[level + 1] ?? []
    for (const [i, name] of names.entries()) {
      const picked = new Set()
      if (next.length > 0) for (let k = 0; k < 4; k++) picked.add(next[(i * 7 + k * 13) % next.length])
      for (let j = i; j < next.length; j += names.length) picked.add(next[j])
      dependencies.set(name, [...picked].map((dep) => ({name: dep, version: '1.0.0', vendor: VENDOR})))
    }
  }

  return {levels, dependencies}
}

async function forEachConcurrently(items, limit, action) {
  let next = 0
  await Promise.all(Array.from({length: Math.min(limit, items.length)}, async () => {
    while (next < items.length) await action(items[next++])
  }))
}

/** A kit as rpm2kit and `publish kit` give it, with one small layer that every kit shares (mounted, not uploaded). */
/** Every GET that resolving the graph sends, recorded while pushing: [kind, reference or [location, digest]]. */
const expectedRequests = []

async function pushKit(client, host, name, metadata, layer, layerHome) {
  const repository = `${VENDOR}/${name}`
  const location = `${host}/${repository}`
  if (layerHome === undefined) await client.pushBlob(location, layer)
  else await client.pushBlob(location, layer, {mountFrom: layerHome})
  const labels = metadata === undefined ? {} : {[KIT_METADATA_LABEL]: encodeKitMetadata(metadata)}
  const manifests = []
  for (const [arch, architecture] of ARCHES) {
    const config = blobFromBytes(Buffer.from(JSON.stringify({architecture, os: 'linux', rootfs: {type: 'layers', diff_ids: [layer.digest]}, config: {Labels: labels}})))
    await client.pushBlob(location, config)
    const manifest = Buffer.from(JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.ociManifest,
      config: {mediaType: MediaType.ociConfig, digest: config.digest, size: config.size},
      layers: [{mediaType: MediaType.ociLayer, digest: layer.digest, size: layer.size}],
    }))
    const digest = await client.pushManifest(`${location}:v1.0.0-bench-${arch}`, manifest, MediaType.ociManifest)
    expectedRequests.push(['manifest', `${location}@${digest}`], ['blob', [location, config.digest]])
    manifests.push({mediaType: MediaType.ociManifest, digest, size: manifest.length, platform: {architecture, os: 'linux'}})
  }

  const index = Buffer.from(JSON.stringify({schemaVersion: 2, mediaType: MediaType.ociIndex, manifests}))
  await client.pushManifest(`${location}:v${metadata?.version ?? SDK.version}`, index, MediaType.ociIndex)
  expectedRequests.push(['manifest', `${location}:v${metadata?.version ?? SDK.version}`])
  return repository
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]

const registry = await startRegistry()
try {
  const {levels, dependencies} = graph(total)
  const pushStart = process.hrtime.bigint()
  const pusher = new RegistryClient({env: {}})
  // A tar of one empty directory: 1 KiB of zeros after the header is what any tiny layer costs.
  const layer = blobFromBytes(Buffer.alloc(2048))
  const layerHome = await pushKit(pusher, registry.host, SDK.name, undefined, layer, undefined)
  await forEachConcurrently(levels.flat(), 32, (name) =>
    pushKit(pusher, registry.host, name, {name, version: '1.0.0', sdk: SDK, kit: dependencies.get(name)}, layer, layerHome),
  )
  await pusher.close()
  const pushSeconds = Number(process.hrtime.bigint() - pushStart) / 1e9

  const project = {
    file: path.join(repo, 'Twoliter.toml'),
    sdk: SDK,
    kits: levels[0].map((name) => ({name, version: '1.0.0', vendor: VENDOR})),
    vendors: {[VENDOR]: {registry: `${registry.host}/${VENDOR}`}},
    override: noOverrides(),
  }

  async function resolveOnce() {
    let requests = 0
    const counting = new Logger('trace', {write: (line) => void (line.includes(' → ') && requests++)})
    const client = new RegistryClient({env: {}, logger: counting})
    const start = process.hrtime.bigint()
    const resolution = await resolveLock(project, {client, logger: silentLogger()})
    const ms = Number(process.hrtime.bigint() - start) / 1e6
    await client.close()
    if (resolution.lock.kit.length !== total) throw new Error(`resolved ${resolution.lock.kit.length} kits, expected ${total}`)
    return {ms, requests}
  }

  // The SDK's per-arch images are never read by resolution.
  const requests = expectedRequests.filter(([kind, target]) => kind === 'manifest' || !String(target[0]).endsWith(`/${SDK.name}`))
  const sdkManifests = new Set(expectedRequests.filter(([kind, target]) => kind === 'manifest' && target.includes(`/${SDK.name}@`)).map(([, target]) => target))
  const flat = requests.filter(([, target]) => !sdkManifests.has(target))
  async function rawOnce() {
    const client = new RegistryClient({env: {}})
    const start = process.hrtime.bigint()
    await forEachConcurrently(flat, 16, ([kind, target]) => (kind === 'manifest' ? client.getManifest(target) : client.getBlob(...target)))
    const ms = Number(process.hrtime.bigint() - start) / 1e6
    await client.close()
    return ms
  }

  await resolveOnce()
  await rawOnce()
  const samples = []
  const rawSamples = []
  for (let i = 0; i < runs; i++) {
    samples.push(await resolveOnce())
    rawSamples.push(await rawOnce())
  }

  const ms = median(samples.map((sample) => sample.ms))
  const rawMs = median(rawSamples)
  console.log(`update: resolveLock of ${total} kits (levels ${levelSizes(total).join(' → ')}, ${ARCHES.length} arches each, 1 SDK) on a loopback docker-registry, median of ${runs} runs (node ${process.version})`)
  console.log(`${'resolveLock'.padEnd(40)} ${ms.toFixed(1).padStart(8)} ms   ${(ms / TARGET_MS).toFixed(2)}x the ${TARGET_MS} ms target`)
  console.log(`${'registry requests per run'.padEnd(40)} ${String(samples[0].requests).padStart(8)}      (${(samples[0].requests / total).toFixed(1)} per kit)`)
  console.log(`${`the same ${flat.length} GETs sent flat out`.padEnd(40)} ${rawMs.toFixed(1).padStart(8)} ms   resolveLock is ${(ms / rawMs).toFixed(2)}x that`)
  console.log(`${'pushing the graph (setup, not measured)'.padEnd(40)} ${pushSeconds.toFixed(1).padStart(8)} s`)
  console.log(`target: ${total} kits resolved in under ${TARGET_MS / 1000} s`)
} finally {
  await registry.stop()
}
