import {readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import type Docker from 'dockerode'

import {TwoliterError} from '../errors.js'

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock'

/** Where the Docker engine listens, as dockerode wants it, and as a person would write it. */
export interface EngineEndpoint {
  /** `unix:///var/run/docker.sock` or `tcp://host:port`. */
  address: string
  options: Docker.DockerOptions
}

/**
 * The engine named by DOCKER_HOST (`unix://PATH` or `tcp://HOST:PORT`, with TLS when DOCKER_TLS_VERIFY=1,
 * certificates from DOCKER_CERT_PATH or ~/.docker), else the local socket.
 */
export function engineEndpoint(env: NodeJS.ProcessEnv = process.env): EngineEndpoint {
  const host = env.DOCKER_HOST?.trim()
  if (host === undefined || host === '') {
    return {address: `unix://${DEFAULT_DOCKER_SOCKET}`, options: {socketPath: DEFAULT_DOCKER_SOCKET}}
  }

  if (host.startsWith('unix://')) {
    const socketPath = host.slice('unix://'.length) || DEFAULT_DOCKER_SOCKET
    return {address: `unix://${socketPath}`, options: {socketPath}}
  }

  if (host.startsWith('tcp://')) {
    let url: URL
    try {
      url = new URL(host)
    } catch {
      throw badDockerHost(host)
    }

    if (url.hostname === '') throw badDockerHost(host)
    const tls = env.DOCKER_TLS_VERIFY === '1'
    const port = url.port === '' ? (tls ? '2376' : '2375') : url.port
    const options: Docker.DockerOptions = {host: url.hostname, port, protocol: tls ? 'https' : 'http'}
    if (tls) Object.assign(options, tlsFiles(env.DOCKER_CERT_PATH || path.join(os.homedir(), '.docker')))
    return {address: `tcp://${url.hostname}:${port}`, options}
  }

  throw badDockerHost(host)
}

function tlsFiles(directory: string): Pick<Docker.DockerOptions, 'ca' | 'cert' | 'key'> {
  const read = (name: string): Buffer => {
    const file = path.join(directory, name)
    try {
      return readFileSync(file)
    } catch (error) {
      throw new TwoliterError(`DOCKER_TLS_VERIFY=1 asks for TLS, but ${file} cannot be read.`, {
        hint: 'Put ca.pem, cert.pem and key.pem for the engine in DOCKER_CERT_PATH (default ~/.docker), or unset DOCKER_TLS_VERIFY.',
        code: 'engine.tls',
        cause: error,
      })
    }
  }

  return {ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem')}
}

function badDockerHost(value: string): TwoliterError {
  return new TwoliterError(`DOCKER_HOST is '${value}', which twoliter cannot use.`, {
    hint: `Set DOCKER_HOST to unix:///path/to/docker.sock or tcp://HOST:PORT, or unset it to use ${DEFAULT_DOCKER_SOCKET}.`,
    code: 'engine.docker-host',
  })
}
