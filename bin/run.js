#!/usr/bin/env node
import {readFileSync} from 'node:fs'
import module from 'node:module'

// Cache compiled code between runs: most of a short command's time is spent compiling oclif.
module.enableCompileCache?.()

const args = process.argv.slice(2)
// `--version` is answered without loading oclif: scripts call it often and it should cost almost nothing.
if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
  const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
  const arch = process.arch
  process.stdout.write(`${pjson.name}/${pjson.version} ${process.platform}-${arch} node-${process.version}\n`)
} else {
  const {hoistGlobalFlags, LOG_LEVEL_ENV} = await import('../dist/lib/cli/argv.js')
  const hoisted = hoistGlobalFlags(args)
  if (hoisted.logLevel !== undefined) process.env[LOG_LEVEL_ENV] = hoisted.logLevel
  const {execute} = await import('@oclif/core')
  await execute({args: hoisted.argv, dir: import.meta.url})
}
