#!/usr/bin/env node
// Start-up cost of the CLI, as ratios to a bare `node -e 0` measured in the same run (so the figures do
// not depend on how fast this machine is today). Run after scripts/setup: `node bench/startup.mjs [runs]`.
import {spawnSync} from 'node:child_process'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const runs = Number(process.argv[2] ?? 15)
const fixture = path.join(repo, 'test/fixtures/manifest/local-kit/Twoliter.toml')
const cli = path.join(repo, 'bin/run.js')

const cases = [
  {name: 'node -e 0', argv: ['-e', '0']},
  {name: 'twoliter --version', argv: [cli, '--version']},
  {name: 'twoliter --help', argv: [cli, '--help']},
  {name: 'twoliter graph hello-ootb (fixture)', argv: [cli, 'graph', 'hello-ootb', '--project-path', fixture, '--json']},
]

function timeOnce(argv) {
  const start = process.hrtime.bigint()
  const result = spawnSync(process.execPath, argv, {cwd: repo, encoding: 'utf8'})
  const elapsed = Number(process.hrtime.bigint() - start) / 1e6
  if (result.status !== 0) throw new Error(`${argv.join(' ')} failed (${result.status}): ${result.stderr}`)
  return elapsed
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]
}

// One warm-up each (fills the compile cache and the OS page cache), then interleaved runs so that a burst
// of load on the machine hits every case alike.
for (const c of cases) timeOnce(c.argv)
const samples = new Map(cases.map((c) => [c.name, []]))
for (let i = 0; i < runs; i++) for (const c of cases) samples.get(c.name).push(timeOnce(c.argv))

const baseline = median(samples.get('node -e 0'))
console.log(`startup, median of ${runs} runs (node ${process.version})`)
for (const c of cases) {
  const ms = median(samples.get(c.name))
  console.log(`${c.name.padEnd(40)} ${ms.toFixed(1).padStart(8)} ms   ${(ms / baseline).toFixed(2)}x node -e 0`)
}
console.log('target: twoliter --version under 3x node -e 0')
