import {expect} from 'chai'

import {type Workspace, loadWorkspace} from '../../../src/lib/manifest/index.js'
import {fixture, member} from './helpers.js'

describe('manifest metadata', () => {
  let workspace: Workspace

  before(async () => {
    workspace = await loadWorkspace(fixture('every-key'))
  })

  describe('[package.metadata.build-package]', () => {
    it('reads package-name, source-groups and every key of external-files; releases-url is ignored', () => {
      expect(member(workspace, 'full.pkg').metadata).to.deep.equal({
        packageName: 'full.pkg',
        sourceGroups: ['full', 'shared/api'],
        externalFiles: [
          {
            url: 'https://example.com/downloads/full-1.0.tar.gz',
            // Hex digits are compared in lower case, whatever the file says.
            sha512: 'abcdef0123456789'.repeat(8),
            path: 'full.tar.gz',
            forceUpstream: true,
            bundleModules: ['go'],
            bundleRootPath: 'full-1.0/cmd',
            bundleOutputPath: 'bundled-full.tar.gz',
          },
          {
            url: 'https://example.com/downloads/extra.patch',
            sha512: '0'.repeat(128),
            path: undefined,
            forceUpstream: false,
            bundleModules: [],
            bundleRootPath: undefined,
            bundleOutputPath: undefined,
          },
        ],
      })
    })

    it('gives an empty table empty lists and no name override', () => {
      expect(member(workspace, 'plain').metadata).to.deep.equal({packageName: undefined, sourceGroups: [], externalFiles: []})
    })
  })

  describe('[package.metadata.build-kit]', () => {
    it('reads vendor and kit-name and ignores other keys', () => {
      expect(member(workspace, 'my-renamed-kit').metadata).to.deep.equal({vendor: 'acme', kitName: 'my-renamed-kit'})
    })
  })

  describe('[package.metadata.build-variant]', () => {
    it('reads every key, removes repeated arches and applies feature defaults to features left out', () => {
      expect(member(workspace, 'my-variant').metadata).to.deep.equal({
        includedPackages: ['full.pkg', 'plain'],
        imageFormat: 'qcow2',
        imageLayout: {osImageSizeGib: 4, dataImageSizeGib: 8, publishImageSizeHintGib: 30, partitionPlan: 'unified'},
        supportedArches: ['x86_64', 'aarch64'],
        kernelParameters: ['console=ttyS0', 'quiet'],
        imageFeatures: {
          'in-place-updates': false,
          'host-containers': true,
          'grub-set-private-var': false,
          'uefi-secure-boot': false,
          'systemd-networkd': false,
          'xfs-data-partition': false,
          'erofs-root-partition': true,
          fips: true,
        },
        kitPriority: ['my-renamed-kit', 'bottlerocket-core-kit'],
      })
    })
  })
})
