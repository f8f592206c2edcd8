// A throwaway docker-registry (Debian's distribution v2) on a free loopback port, for benchmarks.
import {spawn} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'

const BINARY = process.env.TWOLITER_TEST_REGISTRY_BINARY ?? '/usr/bin/docker-registry'

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** Starts a registry; returns {host, storage, stop()}. */
export async function startRegistry() {
  const port = await freePort()
  const dir = await mkdtemp(path.join(tmpdir(), 'twoliter-bench-registry-'))
  const config = path.join(dir, 'config.yml')
  await writeFile(config, `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/storage\nhttp:\n  addr: 127.0.0.1:${port}\n`)
  const child = spawn(BINARY, ['serve', config], {stdio: 'ignore'})
  const host = `127.0.0.1:${port}`
  const deadline = Date.now() + 20_000
  for (;;) {
    try {
      if ((await fetch(`http://${host}/v2/`)).ok) break
    } catch {}
    if (Date.now() > deadline) throw new Error(`the registry did not answer on ${host}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }

  return {
    host,
    storage: path.join(dir, 'storage'),
    async stop() {
      child.kill()
      await rm(dir, {recursive: true, force: true})
    },
  }
}
