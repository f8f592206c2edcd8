#!/usr/bin/env -S node --import tsx --disable-warning=ExperimentalWarning
import {hoistGlobalFlags, LOG_LEVEL_ENV} from '../src/lib/cli/argv.ts'

const hoisted = hoistGlobalFlags(process.argv.slice(2))
if (hoisted.logLevel !== undefined) process.env[LOG_LEVEL_ENV] = hoisted.logLevel
const {execute} = await import('@oclif/core')
// The manifest describes dist/; in development the commands come from src/, so it must not be used.
await execute({args: hoisted.argv, development: true, dir: import.meta.url, loadOptions: {ignoreManifest: true}})
