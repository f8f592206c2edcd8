import path from 'node:path'

import {expect} from 'chai'

import {checkSdkImage} from '../../../src/lib/doctor/sdk.js'
import {openProject} from '../../../src/lib/project/project.js'
import {Logger} from '../../../src/lib/ui/logger.js'
import {REPO} from '../../helpers/cli.js'

// The engine-dependent outcomes (image present or missing, local SDK of an older recipe) are in
// test/e2e/doctor.test.ts.
describe('doctor: SDK image without an engine', () => {
  const open = (...parts: string[]) => openProject({projectPath: path.join(REPO, 'test', 'fixtures', ...parts, 'Twoliter.toml'), logger: new Logger('off')})

  it('warns about a project without [sdk], whether or not the engine answers', async () => {
    const {check} = await checkSdkImage(await open('manifest', 'cycle'), undefined)
    expect(check.status).to.equal('warn')
    expect(check.detail).to.match(/cycle\/Twoliter\.toml has no \[sdk\] table, so builds do not know which SDK to use\.$/)
    expect(check.fix).to.include('twoliter sdk build-local')
  })

  it('skips the image lookup when the engine did not answer', async () => {
    const {check, value} = await checkSdkImage(await open('build', 'packages-project'), undefined)
    expect(value).to.equal(undefined)
    expect(check).to.deep.include({status: 'skipped', detail: 'needs the Docker engine, which did not answer'})
  })
})
