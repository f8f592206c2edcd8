import {expect} from 'chai'

import {checkBuildkitSupport, judgeProbeBuild} from '../../../src/lib/doctor/buildkit.js'
import {TwoliterError} from '../../../src/lib/errors.js'

const DEBIAN_DOCKER = {version: '20.10.24+dfsg1', apiVersion: '1.41', os: 'linux', arch: 'amd64'}

describe('doctor: BuildKit', () => {
  describe('from the engine version alone', () => {
    it('accepts API 1.39 and later on Linux, saying that nothing was built', () => {
      for (const apiVersion of ['1.39', '1.41', '1.47', '2.0']) {
        const check = checkBuildkitSupport({...DEBIAN_DOCKER, apiVersion})
        expect(check.status, apiVersion).to.equal('ok')
        expect(check.detail).to.include(`API ${apiVersion} (>= 1.39)`).and.include('--deep')
      }
    })

    it('fails an engine older than BuildKit, comparing versions as numbers', () => {
      for (const apiVersion of ['1.38', '1.9', '0.99']) {
        const check = checkBuildkitSupport({...DEBIAN_DOCKER, apiVersion})
        expect(check.status, apiVersion).to.equal('fail')
        expect(check.fix).to.include('Docker 18.09 or later')
      }
    })

    it('fails an engine of Windows containers', () => {
      const check = checkBuildkitSupport({...DEBIAN_DOCKER, os: 'windows'})
      expect(check.status).to.equal('fail')
      expect(check.fix).to.include('Linux containers')
    })

    it('warns when the API version cannot be read, pointing at --deep', () => {
      const check = checkBuildkitSupport({...DEBIAN_DOCKER, apiVersion: 'unknown'})
      expect(check.status).to.equal('warn')
      expect(check.fix).to.include('--deep')
    })
  })

  describe('from a probe build', () => {
    // What Engine.buildImage renders for the probe on Docker 20.10 (BuildKit) and from a classic builder.
    const BUILDKIT_LINES = ['#1 [internal] load remote build context', '#2 copy /context /', '#3 [1/1] COPY probe /probe', '#4 exporting to image', 'Successfully tagged twoliter-doctor-probe:x']
    const CLASSIC_LINES = ['Step 1/2 : FROM scratch', ' --->', 'Step 2/2 : COPY probe /probe', 'Successfully built 27dd761f0268']

    it('is ok when the build succeeded with BuildKit', () => {
      const check = judgeProbeBuild({lines: BUILDKIT_LINES, durationMs: 172})
      expect(check).to.deep.include({status: 'ok', detail: 'built a probe image with BuildKit in 172 ms'})
    })

    it('warns when the engine built the image without BuildKit', () => {
      const check = judgeProbeBuild({lines: CLASSIC_LINES, durationMs: 300})
      expect(check.status).to.equal('warn')
      expect(check.detail).to.include('not by BuildKit')
    })

    it('fails with the first line of the error and its hint', () => {
      const error = new TwoliterError('Building the image twoliter-doctor-probe:x failed: no space left on device. The last lines of the build:\n  #4 exporting to image', {
        hint: 'Free some space.',
      })
      const check = judgeProbeBuild({lines: BUILDKIT_LINES, durationMs: 10, error})
      expect(check).to.deep.equal({
        id: 'buildkit',
        title: 'BuildKit',
        status: 'fail',
        detail: 'Building the image twoliter-doctor-probe:x failed: no space left on device.',
        fix: 'Free some space.',
      })
    })
  })
})
