/**
 * Signing and verifying an image with the cosign CLI, in the legacy `.sig` format the native
 * implementation shares, so that either one reads what the other wrote.
 */

import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import type {SignatureStore} from '../cosign/attach.js'
import {isSigningError, SigningError} from '../errors.js'
import {parseSignatureManifest, signatureTag} from '../cosign/sig-manifest.js'
import {classifyVerifyFailure, type CosignVersion, cosignEnv, outputTail, signArgs, usesPlainHttp, verifyArgs} from './args.js'
import {cosignVersion, runCosign} from './runner.js'

export interface CliImageOptions {
  /** The cosign executable. */
  program: string
  /** The environment cosign runs in (its registry credentials come from DOCKER_CONFIG / HOME). */
  env: NodeJS.ProcessEnv
  /** For the checks cosign's output does not answer: the `.sig` tag is there, how many signatures it holds. */
  store: SignatureStore
  repository: string
  /** `sha256:<hex>`. */
  digest: string
  signal?: AbortSignal
}

export async function cliSignImage(options: CliImageOptions & {keyFile: string; password: string; annotations?: Record<string, string>}): Promise<{tag: string; version: CosignVersion}> {
  const {program, repository, digest} = options
  const version = await cosignVersion(program, cosignEnv(options.env))
  const reference = `${repository}@${digest}`
  const args = signArgs({version, keyFile: options.keyFile, reference, annotations: options.annotations, plainHttp: usesPlainHttp(repository, options.env)})
  const run = await runCosign(program, args, {env: cosignEnv(options.env, options.password), signal: options.signal})
  if (run.exitCode !== 0) {
    throw new SigningError(`cosign ${version.text} (${program}) could not sign ${reference}: ${outputTail(run.stderr) || `exit code ${run.exitCode}`}.`, {
      code: 'sign.cosign-failed',
      hint: 'Check the registry credentials cosign uses (DOCKER_CONFIG or ~/.docker/config.json) and the key; set TWOLITER_COSIGN=native to sign without the cosign CLI.',
    })
  }

  const tag = signatureTag(digest)
  if ((await options.store.getManifest(repository, tag)) === undefined) {
    throw new SigningError(`cosign ${version.text} (${program}) signed ${reference} but wrote no ${tag} tag: it stored the signature in another format, which twoliter and older cosigns do not read.`, {
      code: 'sign.cosign-format',
      hint: 'Use cosign 2.x or 3.x, or set TWOLITER_COSIGN=native to sign with twoliter\'s own implementation.',
    })
  }

  return {tag, version}
}

export async function cliVerifyImage(options: CliImageOptions & {publicKeyPem: string}): Promise<{verified: boolean; signatures: number; reason?: string; version: CosignVersion}> {
  const {program, repository, digest} = options
  const version = await cosignVersion(program, cosignEnv(options.env))
  const counted = await countSignatures(options.store, repository, digest)
  if (typeof counted === 'string') return {verified: false, signatures: 0, reason: `the signature is damaged: ${counted}`, version}
  const signatures = counted
  const reference = `${repository}@${digest}`
  const dir = await mkdtemp(path.join(tmpdir(), 'twoliter-cosign-verify-'))
  try {
    const publicKeyFile = path.join(dir, 'cosign.pub')
    await writeFile(publicKeyFile, options.publicKeyPem, {mode: 0o600})
    const args = verifyArgs({version, publicKeyFile, reference, plainHttp: usesPlainHttp(repository, options.env)})
    const run = await runCosign(program, args, {env: cosignEnv(options.env), signal: options.signal})
    if (run.exitCode === 0) return {verified: true, signatures, version}
    const failure = signatures === 0 ? 'missing' : classifyVerifyFailure(run.stderr)
    if (failure === 'missing') return {verified: false, signatures, reason: `no signature: there is no ${signatureTag(digest)} tag in ${repository}`, version}
    if (failure === 'no-match') return {verified: false, signatures, reason: `signed by another key, or the signature does not match: ${outputTail(run.stderr, 2)}`, version}
    throw new SigningError(`cosign ${version.text} (${program}) could not check ${reference}: ${outputTail(run.stderr) || `exit code ${run.exitCode}`}.`, {
      code: 'sign.cosign-failed',
      hint: 'Check that the registry answers and the credentials cosign uses (DOCKER_CONFIG or ~/.docker/config.json); set TWOLITER_COSIGN=native to verify without the cosign CLI.',
    })
  } finally {
    await rm(dir, {recursive: true, force: true})
  }
}

/** How many signatures the `.sig` manifest holds, or why it cannot be read as one. */
async function countSignatures(store: SignatureStore, repository: string, digest: string): Promise<number | string> {
  const manifest = await store.getManifest(repository, signatureTag(digest))
  if (manifest === undefined) return 0
  try {
    return parseSignatureManifest(manifest.bytes).length
  } catch (error) {
    if (isSigningError(error)) return error.message
    throw error
  }
}
