import {expect} from 'chai'

import {MediaType, RegistryClient, parseImageIndex} from '../../src/lib/oci/index.js'
import {lockDigest} from '../../src/lib/project/lock.js'
import {REPO, twoliterAsync} from '../helpers/cli.js'
import {type TestRegistry, startTestRegistry} from '../helpers/registry.js'
import {ensureLocalSdk} from '../helpers/sdk.js'

describe('sdk build-local --push (real engine and registry)', function () {
  this.timeout(600_000)
  let registry: TestRegistry

  before(async () => {
    await ensureLocalSdk()
    registry = await startTestRegistry()
  })
  after(() => registry?.stop())

  it('pushes the local SDK as a one-entry image index whose lock digest it reports', async () => {
    const reference = `${registry.host}/twoliter-sdk:v0.1.0`
    const run = await twoliterAsync(['sdk', 'build-local', '--tag', reference, '--push', '--json'], REPO)
    expect(run.status, run.stderr).to.equal(0)
    const result = JSON.parse(run.stdout) as {cached: boolean; pushed: {reference: string; digest: string; lockDigest: string}}
    expect(result.cached).to.equal(true)

    const client = new RegistryClient()
    try {
      const manifest = await client.getManifest(reference)
      expect(manifest.mediaType).to.equal(MediaType.ociIndex)
      expect(manifest.digest).to.equal(result.pushed.digest)
      expect(lockDigest(manifest.bytes)).to.equal(result.pushed.lockDigest)
      const index = parseImageIndex(manifest.bytes, reference)
      expect(index.manifests).to.have.length(1)
      expect(index.manifests[0].platform).to.include({os: 'linux', architecture: 'amd64'})
    } finally {
      client.close()
    }
  })
})
