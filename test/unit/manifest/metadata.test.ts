import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {expect} from 'chai'

import {type VariantMember, type Workspace, loadWorkspace} from '../../../src/lib/manifest/index.js'
import {fixture, lineOf, member, rejection} from './helpers.js'

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

  describe('[package.metadata.build-variant.partition-layout]', () => {
    let root: string
    const VARIANT = `[package]
name = "v"
version = "0.1.0"

[package.metadata.build-variant]
included-packages = ["a"]

[package.metadata.build-variant.partition-layout]
os-disk-size-mib = 4096
data-disk-size-mib = 2048

[[package.metadata.build-variant.partition-layout.os]]
role = "boot"
size-mib = 40

[[package.metadata.build-variant.partition-layout.os]]
label = "BOTTLEROCKET-ROOT-A"
role = "root"
size-mib = 920
bank = "A"

[[package.metadata.build-variant.partition-layout.data]]
role = "data"
size-mib = 2046
`

    async function workspaceWith(variantToml: string): Promise<{workspace: Promise<Workspace>; file: string}> {
      root = await mkdtemp(path.join(tmpdir(), 'twoliter-layout-'))
      await mkdir(path.join(root, 'variants', 'v'), {recursive: true})
      await writeFile(path.join(root, 'Cargo.toml'), '[workspace]\nmembers = ["variants/v"]\n')
      const file = path.join(root, 'variants', 'v', 'Cargo.toml')
      await writeFile(file, variantToml)
      return {workspace: loadWorkspace(root), file}
    }

    afterEach(async () => {
      if (root) await rm(root, {recursive: true, force: true})
    })

    it('reads the os and data disks with their partitions, and where each is written', async () => {
      const {workspace, file} = await workspaceWith(VARIANT)
      const variant = member(await workspace, 'v') as VariantMember
      const at = (text: string, occurrence = 1) => {
        const lines = VARIANT.split('\n')
        let seen = 0
        return {file, line: lines.findIndex((line) => line.includes(text) && ++seen === occurrence) + 1, column: 1}
      }

      expect(variant.metadata.includedPackages).to.deep.equal(['a'])
      expect(variant.metadata.partitionLayout).to.deep.equal({
        disks: [
          {
            disk: 'os',
            sizeMiB: 4096,
            location: at('os-disk-size-mib'),
            partitions: [
              {label: 'BOTTLEROCKET-BOOT-A', role: 'boot', sizeMiB: 40, location: at('[[package.metadata.build-variant.partition-layout.os]]', 1)},
              {label: 'BOTTLEROCKET-ROOT-A', role: 'root', sizeMiB: 920, bank: 'A', location: at('[[package.metadata.build-variant.partition-layout.os]]', 2)},
            ],
          },
          {
            disk: 'data',
            sizeMiB: 2048,
            location: at('data-disk-size-mib'),
            partitions: [{label: '', role: 'data', sizeMiB: 2046, location: at('[[package.metadata.build-variant.partition-layout.data]]')}],
          },
        ],
        location: at('[package.metadata.build-variant.partition-layout]'),
      })
    })

    it('leaves partitionLayout out when the variant has none', () => {
      expect(member(workspace, 'my-variant').metadata).not.to.have.property('partitionLayout')
    })

    it('points a wrong value in the layout at its line in the variant manifest', async () => {
      const {workspace, file} = await workspaceWith(VARIANT.replace('role = "root"', 'role = "rootfs"'))
      const error = await rejection(workspace)
      expect(error.code).to.equal('variant.layout-unknown-role')
      expect(error.location?.file).to.equal(file)
      expect(error.location?.line).to.equal(lineOf(file, 'role = "rootfs"'))
      expect(error.hint).to.include('"custom"')
    })
  })
})
