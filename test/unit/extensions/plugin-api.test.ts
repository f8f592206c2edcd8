import type {
  ContextApiVersion,
  LifecycleApiVersion,
  RegistryAuthApiVersion,
  RegistryAuthProvider,
  Signer,
  SignerApiVersion,
  TwoliterContext,
  TwoliterHook,
} from '@twoliter/plugin-api'
import {expect} from 'chai'
import {readFile} from 'node:fs/promises'
import path from 'node:path'
import ts from 'typescript'

import {API_VERSIONS, callCapability, hookContext} from '../../../src/lib/extensions/index.js'
import {Logger} from '../../../src/lib/ui/logger.js'
import {REPO} from '../../helpers/cli.js'
import {hookRunner} from './hook-runner-double.js'

const PLUGIN_API = path.join(REPO, 'plugins/plugin-api')

// Type-level checks: this file does not compile (`npm run lint`) when they fail.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
const versionsInSync: [
  Equal<typeof API_VERSIONS.registryAuth, RegistryAuthApiVersion>,
  Equal<typeof API_VERSIONS.signer, SignerApiVersion>,
  Equal<typeof API_VERSIONS.lifecycle, LifecycleApiVersion>,
  Equal<typeof API_VERSIONS.context, ContextApiVersion>,
] = [true, true, true, true]

// What a plugin author writes, checked against the published types.
const preBuild: TwoliterHook<'twoliter:pre-build'> = async ({kind, name, arch, outputDir, sdkImage, signal, log, twoliter}) => {
  log(`${kind} ${name} (${arch}) goes to ${outputDir}`)
  const run = await twoliter.engine.run({image: sdkImage, cmd: ['true'], mounts: [{host: outputDir, container: '/out', readOnly: true}]}, {signal})
  if (run.exitCode !== 0) twoliter.logger.warn(run.tail)
}

const postBuild: TwoliterHook<'twoliter:post-build'> = async ({outputs, twoliter}) => {
  const digest = await twoliter.registry.pushBlob('127.0.0.1:5000/attestations', {file: outputs[0]})
  await twoliter.registry.pushManifest('127.0.0.1:5000/attestations:latest', new TextEncoder().encode(digest), 'application/json')
}

const registryAuth: TwoliterHook<'twoliter:registry-auth'> = async ({twoliter}) => ({
  apiVersion: '1.0.0',
  provide: async (host) => (host === 'r.example.com' && twoliter.projectRoot ? {token: 't'} : undefined),
})

function exampleSigner(context: TwoliterContext): Signer {
  return {
    apiVersion: '1.0.0',
    id: 'example',
    describe: () => ({summary: 'signs nothing', supports: {rpms: true, images: true}, keyFormats: ['file:///path/key']}),
    signRpms: async ({rpms}) => ({signed: rpms, keyId: '00'}),
    async signImage({reference}) {
      await context.registry.getManifest(reference)
      return {signature: `${reference}.sig`, format: 'example'}
    },
    verifyImage: async () => ({verified: false, signatures: 0, reason: 'no signature'}),
  }
}

const signers: TwoliterHook<'twoliter:signers'> = async ({twoliter}) => [exampleSigner(twoliter)]

// @ts-expect-error a descriptor must name a version of the interface the plugin was built against
const wrongVersion: RegistryAuthProvider = {apiVersion: '2.0.0', provide: async () => undefined}

describe('@twoliter/plugin-api', () => {
  it('describes the same interfaces the core checks: typed plugin code passes callCapability', async () => {
    expect(versionsInSync).to.deep.equal([true, true, true, true])
    const logger = new Logger('off')
    const config = hookRunner([
      {name: 'typed', hooks: {'twoliter:signers': signers, 'twoliter:registry-auth': registryAuth, 'twoliter:pre-build': preBuild, 'twoliter:post-build': postBuild}},
    ])
    const context = hookContext({logger, projectRoot: '/p'})
    expect((await callCapability(config, 'twoliter:signers', {twoliter: context}, {timeoutMs: 100, logger})).map((s) => s.descriptor.id)).to.deep.equal(['example'])
    expect(await callCapability(config, 'twoliter:registry-auth', {twoliter: context}, {timeoutMs: 100, logger})).to.have.length(1)
    expect(logger.warnings).to.deep.equal([])
    expect(wrongVersion.apiVersion).to.equal('2.0.0')
  })

  it('has no runtime code: compiled to JavaScript, every module is empty', async function () {
    this.timeout(30_000)
    const config = ts.getParsedCommandLineOfConfigFile(path.join(PLUGIN_API, 'tsconfig.json'), {}, {...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {}})
    if (config === undefined) throw new Error('cannot read plugins/plugin-api/tsconfig.json')
    const program = ts.createProgram(config.fileNames, {...config.options, emitDeclarationOnly: false, declaration: false, noEmit: false})
    const emitted = new Map<string, string>()
    const result = program.emit(undefined, (file, text) => emitted.set(path.basename(file), text))
    expect(ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).to.deep.equal([])
    expect(result.emitSkipped).to.equal(false)
    expect([...emitted.keys()].sort()).to.deep.equal(['context.js', 'hooks.js', 'index.js', 'lifecycle.js', 'registry-auth.js', 'signers.js', 'versions.js'])
    for (const [file, text] of emitted) expect(text.replaceAll(/\/\*[\s\S]*?\*\//g, '').trim(), file).to.equal('export {};')
  })

  it('is published as declarations: its types entry is what `tsc` builds from its sources', async () => {
    const pjson = JSON.parse(await readFile(path.join(PLUGIN_API, 'package.json'), 'utf8')) as {types: string; exports: Record<string, Record<string, string>>; files: string[]; scripts: Record<string, string>}
    expect(pjson.exports['.']).to.deep.equal({'twoliter-source': './src/index.ts', types: './dist/index.d.ts'})
    expect(pjson.types).to.equal('./dist/index.d.ts')
    expect(pjson.files).to.deep.equal(['/dist'])
    expect(pjson.scripts.prepack).to.equal('npm run build')
  })
})
