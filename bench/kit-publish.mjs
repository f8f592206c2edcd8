#!/usr/bin/env node
// Kit publish throughput on a loopback docker-registry, as a ratio to uploading the same bytes as raw blobs
// through the same client: a synthetic kit of N packages (default 20) of S MiB each (default 8), assembled
// into its OCI archive, then `publish kit` (per-arch push + index) into a fresh repository, median of 3.
// Run after scripts/setup (it uses dist/): `node bench/kit-publish.mjs [packages] [MiB per package]`.
import {randomBytes} from 'node:crypto'
import {mkdir, mkdtemp, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {startRegistry} from './lib/registry.mjs'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const {assembleKitImage} = await import(path.join(repo, 'dist/lib/kits/kit-image.js'))
const {publishKitArchives} = await import(path.join(repo, 'dist/lib/kits/publish.js'))
const {RegistryClient, blobFromFile, sha256Digest} = await import(path.join(repo, 'dist/lib/oci/index.js'))
const {Logger} = await import(path.join(repo, 'dist/lib/ui/logger.js'))

const packages = Number(process.argv[2] ?? 20)
const mib = Number(process.argv[3] ?? 8)
const runs = 3
const logger = new Logger('warn')
const work = await mkdtemp(path.join(tmpdir(), 'twoliter-bench-kit-'))
const registry = await startRegistry()
try {
  const repoDir = path.join(work, 'x86_64')
  const files = []
  for (let i = 0; i < packages; i++) {
    const dir = path.join(repoDir, 'Packages', `pkg-${i}`)
    await mkdir(dir, {recursive: true})
    const file = path.join(dir, `pkg-${i}-1.0-1.x86_64.rpm`)
    await writeFile(file, randomBytes(mib * 1024 * 1024))
    files.push(file)
  }

  await mkdir(path.join(repoDir, 'repodata'))
  await writeFile(path.join(repoDir, 'repodata/repomd.xml'), '<repomd/>\n')
  const metadata = {name: 'bench-kit', version: '1.0.0', sdk: {name: 'sdk', version: '0.1.0', vendor: 'v'}, kit: []}
  const archive = path.join(work, 'bench-kit-v1.0.0-00000000-x86_64.tar')
  const assembleStart = performance.now()
  await assembleKitImage({repoDir, arch: 'x86_64', metadata, created: new Date(0), archive})
  const assembleMs = performance.now() - assembleStart
  const totalBytes = packages * mib * 1024 * 1024

  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]
  const publishTimes = []
  const rawTimes = []
  for (let run = 0; run < runs; run++) {
    const client = new RegistryClient({logger})
    let start = performance.now()
    await publishKitArchives(client, `${registry.host}/bench/kit-${run}`, '1.0.0', [{arch: 'x86_64', buildId: '00000000', file: archive}], logger)
    publishTimes.push(performance.now() - start)
    // The same payload as raw blobs, salted so that the registry has none of them yet.
    const salted = []
    for (const [i, file] of files.entries()) {
      const copy = path.join(work, `raw-${run}-${i}`)
      const bytes = randomBytes(mib * 1024 * 1024)
      await writeFile(copy, bytes)
      salted.push({copy, digest: sha256Digest(bytes)})
    }

    start = performance.now()
    for (const {copy, digest} of salted) await client.pushBlob(`${registry.host}/bench/raw-${run}`, await blobFromFile(copy, digest))
    rawTimes.push(performance.now() - start)
    for (const {copy} of salted) await rm(copy)
    client.close()
  }

  const publishMs = median(publishTimes)
  const rawMs = median(rawTimes)
  const mibTotal = totalBytes / 1024 / 1024
  console.log(`kit: ${packages} packages x ${mib} MiB = ${mibTotal} MiB; archive ${(await stat(archive)).size} bytes, assembled in ${(assembleMs / 1000).toFixed(2)} s`)
  console.log(`publish kit (push + index), median of ${runs}: ${(publishMs / 1000).toFixed(2)} s = ${(mibTotal / (publishMs / 1000)).toFixed(0)} MiB/s`)
  console.log(`raw blob upload of the same bytes:          ${(rawMs / 1000).toFixed(2)} s = ${(mibTotal / (rawMs / 1000)).toFixed(0)} MiB/s`)
  console.log(`ratio publish / raw upload: ${(publishMs / rawMs).toFixed(2)}x`)
} finally {
  await registry.stop()
  await rm(work, {recursive: true, force: true})
}
