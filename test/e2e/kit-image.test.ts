import {expect} from 'chai'
import {mkdir, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {assembleKitImage} from '../../src/lib/kits/kit-image.js'
import {RegistryClient} from '../../src/lib/oci/client.js'
import {pushImageLayout} from '../../src/lib/oci/image-transfer.js'
import {parseImageManifest} from '../../src/lib/oci/manifest.js'
import {useTestRegistry} from '../helpers/registry.js'
import {temporaryDirectories} from '../unit/project/helpers.js'

describe('kit images in a real registry (docker-registry on loopback)', function () {
  this.timeout(60_000)
  const registry = useTestRegistry()
  const directories = temporaryDirectories()

  it('pushes an assembled kit archive whose manifest the registry serves under the digest assembly computed', async () => {
    const repoDir = await directories.create()
    for (const [name, content] of Object.entries({
      'Packages/pkg-a/pkg-a-1.0-1.x86_64.rpm': Buffer.alloc(3 * 1024 * 1024, 'a'),
      'Packages/pkg-b/pkg-b-1.0-1.x86_64.rpm': 'rpm b',
      'repodata/repomd.xml': '<repomd/>',
    })) {
      await mkdir(path.dirname(path.join(repoDir, name)), {recursive: true})
      await writeFile(path.join(repoDir, name), content)
    }

    const image = await assembleKitImage({
      repoDir,
      arch: 'x86_64',
      metadata: {name: 'core-kit', version: '1.0.0', sdk: {name: 'bottlerocket-sdk', version: '0.50.0', vendor: 'bottlerocket'}, kit: []},
      created: new Date('2024-05-06T07:08:09Z'),
      archive: path.join(await directories.create(), 'core-kit-v1.0.0-abcdef0-x86_64.tar'),
    })
    const client = new RegistryClient({env: {}})
    try {
      const reference = `${registry().host}/kits/core-kit:v1.0.0-abcdef0-x86_64`
      const pushed = await pushImageLayout(client, image.archive, reference)
      expect(pushed.digest).to.equal(image.manifestDigest)
      const fetched = await client.getManifest(reference)
      expect(fetched.digest).to.equal(image.manifestDigest)
      const manifest = parseImageManifest(fetched.bytes, reference)
      expect(manifest.config.digest).to.equal(image.configDigest)
      expect(manifest.layers.map((layer) => layer.digest)).to.deep.equal(image.layers.map((layer) => layer.digest))
    } finally {
      await client.close()
    }
  })
})
