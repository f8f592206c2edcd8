import {expect} from 'chai'
import {writeFile} from 'node:fs/promises'
import path from 'node:path'

import {findKitArchives, publishRegistry} from '../../../src/lib/kits/publish.js'
import {readInfraVendors} from '../../../src/lib/project/infra-toml.js'
import {expectThrownTwoliterError, expectTwoliterError, loadProjectIn, recordingLogger, temporaryDirectories} from '../project/helpers.js'

const TOML = `schema-version = 1
release-version = "1.0.0"

[vendor.mine]
registry = "127.0.0.1:5000/from-twoliter-toml"
`

describe('publish kit: registry and archives', () => {
  const directories = temporaryDirectories()

  it('takes the registry from Twoliter.toml when there is no Infra.toml', async () => {
    const root = await directories.create({'Twoliter.toml': TOML})
    const {logger, lines} = recordingLogger()
    expect(publishRegistry(await loadProjectIn(root), await readInfraVendors(root), 'mine', logger)).to.equal('127.0.0.1:5000/from-twoliter-toml')
    expect(lines).to.deep.equal([])
  })

  it('prefers Infra.toml and warns, with its line, when the two disagree', async () => {
    const infra = '[aws]\nregions = ["us-west-2"]\n\n[vendor.mine]\nregistry = "127.0.0.1:5000/from-infra"\n'
    const root = await directories.create({'Twoliter.toml': TOML, 'Infra.toml': infra})
    const {logger, lines} = recordingLogger()
    expect(publishRegistry(await loadProjectIn(root), await readInfraVendors(root), 'mine', logger)).to.equal('127.0.0.1:5000/from-infra')
    const warning = lines.find((line) => line.includes('Infra.toml wins'))
    expect(warning).to.include(`${path.join(root, 'Infra.toml')}:5`)
  })

  it('reads cosign-key relative to Infra.toml, with its line, only for the vendors that name one', async () => {
    const infra = '[vendor.mine]\nregistry = "127.0.0.1:5000/kits"\ncosign-key = "keys/kits.key"\n\n[vendor.other]\nregistry = "127.0.0.1:5000/other"\n'
    const root = await directories.create({'Twoliter.toml': TOML, 'infra/Infra.toml': infra})
    const vendors = await readInfraVendors(root, path.join(root, 'infra/Infra.toml'))
    expect(vendors?.cosignKeys).to.deep.equal({mine: {file: path.join(root, 'infra/keys/kits.key'), location: {file: path.join(root, 'infra/Infra.toml'), line: 3, column: 1}}})
  })

  it('fails for a vendor neither file names, listing the known ones', async () => {
    const root = await directories.create({'Twoliter.toml': TOML})
    const error = expectThrownTwoliterError(() => publishRegistry({file: path.join(root, 'Twoliter.toml'), vendors: {mine: {registry: 'r'}}}, undefined, 'other', recordingLogger().logger), 'publish.unknown-vendor')
    expect(error.message).to.include('known vendors: mine')
    expect(error.hint).to.include('[vendor.other]')
  })

  it('finds one archive per architecture, the current build\'s when there are several', async () => {
    const dir = await directories.create({})
    for (const name of ['k-v1.0.0-aaaa-x86_64.tar', 'k-v1.0.0-bbbb-x86_64.tar', 'k-v1.0.0-aaaa-aarch64.tar', 'k-v0.9.0-aaaa-x86_64.tar', 'other-v1.0.0-aaaa-x86_64.tar']) {
      await writeFile(path.join(dir, name), '')
    }

    const archives = await findKitArchives(dir, 'k', '1.0.0', 'bbbb')
    expect(archives.map((archive) => [archive.arch, archive.buildId])).to.deep.equal([['x86_64', 'bbbb'], ['aarch64', 'aaaa']])
    await expectTwoliterError(findKitArchives(dir, 'k', '1.0.0', 'cccc'), 'publish.ambiguous-archive')
    await expectTwoliterError(findKitArchives(dir, 'k', '2.0.0', 'aaaa'), 'publish.no-archive')
  })
})
