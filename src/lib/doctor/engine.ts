import type {Engine, EngineVersion} from '../engine/index.js'
import {type CheckResult, defineCheck, describeError} from './check.js'

export const ENGINE_CHECK = defineCheck('engine', 'Docker engine')

const ENGINE_FIX = 'Check that the Docker engine is healthy (`docker info`), then run twoliter doctor again.'

export interface EngineProbe {
  check: CheckResult
  /** Set when the engine answered. */
  engine?: Engine
  version?: EngineVersion
}

/** Connects as every command does (DOCKER_HOST, else the local socket) and asks the engine its version. */
export async function probeEngine(connect: () => Promise<Engine>): Promise<EngineProbe> {
  let engine: Engine
  try {
    engine = await connect()
  } catch (error) {
    const {detail, fix} = describeError(error, ENGINE_FIX)
    return {check: ENGINE_CHECK.fail(detail, fix)}
  }

  let version: EngineVersion
  try {
    version = await engine.version()
  } catch (error) {
    const {detail, fix} = describeError(error, ENGINE_FIX)
    return {check: ENGINE_CHECK.fail(`${engine.endpoint.address} answers, but: ${detail}`, fix)}
  }

  return {
    engine,
    version,
    check: ENGINE_CHECK.ok(`Docker ${version.version} (API ${version.apiVersion}, ${version.os}/${version.arch}) at ${engine.endpoint.address}`),
  }
}
