import {spawn} from 'node:child_process'
import {mkdtemp, readFile, rm, stat} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'

import {type Engine, EngineAbortError} from '../engine/index.js'
import {quoteTail} from '../engine/output-tail.js'
import {TwoliterError} from '../errors.js'
import {type HostCommandResult, findProgram, runHostCommand} from './host-command.js'

export interface RootfsOptions {
  suite: string
  packages: string[]
  mirror: string
  onOutput?: (line: string) => void
  signal?: AbortSignal
}

/**
 * Makes a Debian root file system with debootstrap on the host and imports it into the engine as `tag`
 * with `labels`. Needs root, as debootstrap does; the temporary directory is removed in any case.
 */
export async function importDebootstrapRootfs(engine: Engine, tag: string, labels: Record<string, string>, options: RootfsOptions): Promise<string> {
  const debootstrap = await requireDebootstrap()
  const work = await mkdtemp(path.join(os.tmpdir(), 'twoliter-sdk-rootfs-'))
  const rootfs = path.join(work, 'rootfs')
  try {
    await debootstrapInto(debootstrap, rootfs, options)
    await trimRootfs(rootfs)
    const changes = [...Object.entries(labels).map(([key, value]) => `LABEL ${key}=${value}`), 'ENV LANG=C.UTF-8', 'CMD ["/bin/bash"]']
    return await importDirectory(engine, rootfs, tag, changes, options.signal)
  } finally {
    await rm(work, {recursive: true, force: true})
  }
}

/** The path of debootstrap, after checking that it can run: installed, and we are root. */
export async function requireDebootstrap(): Promise<string> {
  if (process.getuid?.() !== 0) {
    throw new TwoliterError('Building the local SDK runs debootstrap, which needs root: it creates files owned by other users.', {
      hint: 'Run it once as root (`sudo twoliter sdk build-local`, or scripts/setup as root). The image stays cached in the Docker engine, and later builds use it without root.',
      code: 'sdk.needs-root',
    })
  }

  const program = await findProgram('debootstrap')
  if (program === undefined) {
    throw new TwoliterError('Building the local SDK needs debootstrap on this host, and it is not installed.', {
      hint: 'Install it (`apt-get install debootstrap` on Debian; scripts/setup does it when run as root).',
      code: 'sdk.no-debootstrap',
    })
  }

  return program
}

async function debootstrapInto(debootstrap: string, rootfs: string, options: RootfsOptions): Promise<void> {
  const args = ['--variant=minbase', `--include=${options.packages.join(',')}`, options.suite, rootfs, options.mirror]
  let result: HostCommandResult
  try {
    result = await runHostCommand(debootstrap, args, {onLine: options.onOutput, signal: options.signal})
  } catch (error) {
    if (options.signal?.aborted) throw new EngineAbortError('The debootstrap of the local SDK', options.signal.reason)
    throw error
  }

  if (result.exitCode === 0) return
  // debootstrap prints little on failure; its own log has the reason (a missing package, a bad mirror).
  const log = await readFile(path.join(rootfs, 'debootstrap', 'debootstrap.log'), 'utf8').catch(() => '')
  const logTail = log.trimEnd().split('\n').slice(-15).join('\n')
  throw new TwoliterError(
    `debootstrap of Debian ${options.suite} from ${options.mirror} failed (exit code ${result.exitCode}). Its last lines:\n${quoteTail(`${result.tail}\n${logTail}`)}`,
    {
      hint: 'Check that the mirror is reachable and carries every package of sdk/packages.txt (`apt-cache policy NAME`); set TWOLITER_DEBIAN_MIRROR to use another mirror.',
      code: 'sdk.debootstrap',
    },
  )
}

/**
 * Drops what builds never read, about a quarter of the image: downloaded packages, apt lists, manual pages,
 * translations and documentation (except the copyright files).
 */
async function trimRootfs(rootfs: string): Promise<void> {
  const finds: {paths: string[]; expression: string[]}[] = [
    {paths: ['var/cache/apt/archives', 'var/lib/apt/lists'], expression: ['-mindepth', '1', '-maxdepth', '1', '-type', 'f', '-delete']},
    {paths: ['usr/share/man', 'usr/share/info'], expression: ['-mindepth', '1', '-delete']},
    {paths: ['usr/share/locale'], expression: ['-mindepth', '1', '-maxdepth', '1', '-type', 'd', '-exec', 'rm', '-rf', '{}', '+']},
    {paths: ['usr/share/doc'], expression: ['-mindepth', '1', '!', '-type', 'd', '!', '-name', 'copyright', '-delete']},
    {paths: ['usr/share/doc'], expression: ['-mindepth', '1', '-type', 'd', '-empty', '-delete']},
  ]
  for (const {paths, expression} of finds) {
    const present = (await Promise.all(paths.map(async (dir) => ((await isDirectory(path.join(rootfs, dir))) ? [path.join(rootfs, dir)] : [])))).flat()
    if (present.length === 0) continue
    const result = await runHostCommand('find', [...present, ...expression])
    if (result.exitCode !== 0) throw new TwoliterError(`Could not trim the SDK root file system: ${result.tail}`, {code: 'sdk.trim'})
  }
}

async function isDirectory(dir: string): Promise<boolean> {
  return stat(dir).then((info) => info.isDirectory(), () => false)
}

/** Streams the directory as a tar (host tar keeps owners, modes and device nodes) into the engine. */
async function importDirectory(engine: Engine, dir: string, tag: string, changes: string[], signal?: AbortSignal): Promise<string> {
  const tar = spawn('tar', ['--numeric-owner', '-C', dir, '-cf', '-', '.'], {stdio: ['ignore', 'pipe', 'pipe'], signal})
  let stderr = ''
  tar.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const exited = new Promise<number | null>((resolve, reject) => {
    tar.once('error', reject)
    tar.once('close', resolve)
  })
  // Awaited below, once the engine has read the stream.
  exited.catch(() => {})
  const id = await engine.importImage(tar.stdout, tag, changes, {signal})
  const code = await exited
  if (code !== 0) {
    // The engine took whatever part of the stream came before tar failed: that image is incomplete.
    await engine.removeImage(id, {force: true})
    throw new TwoliterError(`tar of the SDK root file system failed (exit code ${code}): ${stderr.trim()}`, {code: 'sdk.tar'})
  }

  return id
}
