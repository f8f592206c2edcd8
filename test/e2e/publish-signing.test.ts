/**
 * `publish kit` with Infra.toml's cosign-key opens the key with COSIGN_PASSWORD before it pushes
 * anything: a wrong password or a damaged key stops it with the registry untouched; the right one
 * publishes and signs. The kit archive is a synthetic kit pulled into an image layout (no build needed).
 */

import {expect} from 'chai'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {hostArch} from '../../src/lib/build/arch.js'
import {linuxPlatform, pullImage, RegistryClient, writeLayoutArchive} from '../../src/lib/oci/index.js'
import {expectNoStackTrace, type Run, twoliter} from '../helpers/cli.js'
import {kitMetadata, pushSyntheticKit} from '../helpers/kit-images.js'
import {type TestRegistry, startTestRegistry} from '../helpers/registry.js'

const PASSWORD = 'the kit password'

describe('publish kit opens the cosign key before pushing (CLI, real registry)', function () {
  this.timeout(180_000)
  let registry: TestRegistry
  let work: string
  let project: string
  let imageDigest: string
  const client = new RegistryClient()
  const arch = hostArch()

  before(async () => {
    registry = await startTestRegistry()
    work = await mkdtemp(path.join(tmpdir(), 'twoliter-e2e-publish-signing-'))
    project = path.join(work, 'project')
    await mkdir(path.join(project, 'keys'), {recursive: true})
    await writeFile(path.join(project, 'Twoliter.toml'), `schema-version = 1\nrelease-version = "1.0.0"\n\n[vendor.e2e]\nregistry = "${registry.host}/e2e"\n`)
    await writeFile(path.join(project, 'Infra.toml'), `[vendor.e2e]\nregistry = "${registry.host}/e2e"\ncosign-key = "keys/kits.key"\n`)

    // The archive `build kit` would leave: a kit image pushed elsewhere, pulled back into an image layout.
    const staged = await pushSyntheticKit(registry.host, {repository: 'staging/k', metadata: kitMetadata('k', '1.0.0', {name: 'sdk', version: '0.1.0', vendor: 'e2e'}), arches: [arch]}, client)
    imageDigest = staged.images[arch]!.digest
    const pulled = await pullImage(client, staged.reference, linuxPlatform(arch))
    const kitDir = path.join(project, 'build', 'kits', 'k')
    await mkdir(kitDir, {recursive: true})
    await writeLayoutArchive(pulled.dir, path.join(kitDir, `k-v1.0.0-00000000-${arch}.tar`))
    await rm(pulled.dir, {recursive: true, force: true})

    const keygen = twoliter(['sign', 'keygen', '--type', 'cosign', '--output-dir', 'keys', '--name', 'kits', '--json'], project, {COSIGN_PASSWORD: PASSWORD})
    expect(keygen.status, keygen.stderr).to.equal(0)
  })

  after(async () => {
    await registry?.stop()
    if (work) await rm(work, {recursive: true, force: true})
  })

  /** What the registry's API says of repository e2e/k: in the catalog? its tags, and whether it has the kit image's manifest. */
  async function published(): Promise<{listed: boolean; tags: string[]; image: number}> {
    const base = `http://${registry.host}/v2`
    const catalog = (await (await fetch(`${base}/_catalog`)).json()) as {repositories: string[]}
    const tags = await fetch(`${base}/e2e/k/tags/list`)
    const image = await fetch(`${base}/e2e/k/manifests/${imageDigest}`, {method: 'HEAD', headers: {accept: 'application/vnd.oci.image.manifest.v1+json'}})
    return {listed: catalog.repositories.includes('e2e/k'), tags: tags.ok ? ((await tags.json()) as {tags: string[] | null}).tags ?? [] : [], image: image.status}
  }

  function refused(run: Run): string {
    expect(run.status, run.stdout + run.stderr).to.equal(1)
    expectNoStackTrace(run)
    return run.stderr
  }

  it('refuses a wrong password, and an empty one, before anything is pushed', async () => {
    const keyFile = path.join(project, 'keys', 'kits.key')
    const wrong = refused(twoliter(['publish', 'kit', 'k', 'e2e'], project, {COSIGN_PASSWORD: 'not the password'}))
    expect(wrong).to.include('Infra.toml:3')
    expect(wrong).to.include(`The cosign-key ${keyFile} cannot sign, so nothing was published: The password does not open this cosign private key`)
    expect(wrong).to.not.include('not the password')
    expect(wrong).to.not.match(/^pushed /m)
    expect(refused(twoliter(['publish', 'kit', 'k', 'e2e'], project, {COSIGN_PASSWORD: undefined}))).to.include('The password does not open this cosign private key')
    expect(await published()).to.deep.equal({listed: false, tags: [], image: 404})
  })

  it('refuses a key file that is not a cosign private key, before anything is pushed', async () => {
    const other = path.join(project, 'Infra-other.toml')
    await writeFile(other, `[vendor.e2e]\nregistry = "${registry.host}/e2e"\ncosign-key = "keys/kits.pub"\n`)
    const stderr = refused(twoliter(['publish', 'kit', 'k', 'e2e', '--infra-toml', other], project, {COSIGN_PASSWORD: PASSWORD}))
    expect(stderr).to.include('Infra-other.toml:3').and.to.include(`The cosign-key ${path.join(project, 'keys', 'kits.pub')} cannot sign, so nothing was published`)
    expect(await published()).to.deep.equal({listed: false, tags: [], image: 404})
  })

  it('publishes and signs with the right password; the signatures verify with the public key', async () => {
    const run = twoliter(['publish', 'kit', 'k', 'e2e', '--json'], project, {COSIGN_PASSWORD: PASSWORD})
    expect(run.status, run.stderr).to.equal(0)
    const result = JSON.parse(run.stdout) as {reference: string; digest: string; images: Array<{digest: string}>; signatures: string[]}
    const sigTag = (digest: string) => `${registry.host}/e2e/k:${digest.replace(':', '-')}.sig`
    expect(result.reference).to.equal(`${registry.host}/e2e/k:v1.0.0`)
    expect(result.images.map((image) => image.digest)).to.deep.equal([imageDigest])
    expect(result.signatures).to.deep.equal([result.digest, imageDigest].map(sigTag))
    const after = await published()
    expect(after).to.include({listed: true, image: 200})
    expect(after.tags).to.have.members(['v1.0.0', `v1.0.0-00000000-${arch}`, ...[result.digest, imageDigest].map((digest) => `${digest.replace(':', '-')}.sig`)])
    const verified = twoliter(['verify', result.reference, '--key', path.join(project, 'keys', 'kits.pub'), '--json'], project)
    expect(verified.status, verified.stderr).to.equal(0)
    expect(JSON.parse(verified.stdout)).to.deep.include({verified: true, signatures: 1})
  })
})
