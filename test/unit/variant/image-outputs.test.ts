import {expect} from 'chai'
import {lstat, mkdtemp, readFile, readdir, readlink, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {TwoliterError} from '../../../src/lib/errors.js'
import {IMAGE_FEATURE_DEFAULTS} from '../../../src/lib/manifest/index.js'
import {imagePartitions} from '../../../src/lib/variant/disk-image.js'
import {IMAGE_MANIFEST_FILE, type ImageOutput, type VerityParameters, imageFileNames, symlinkNames, writeImageManifest} from '../../../src/lib/variant/image-outputs.js'
import type {PartitionPlan, PartitionSpec, VariantImageOptions} from '../../../src/lib/variant/types.js'

const options = (format: VariantImageOptions['format'] = 'raw'): VariantImageOptions => ({
  variant: 'aws-dev',
  arch: 'x86_64',
  version: '1.19.0',
  buildId: 'deadbeef',
  format,
  features: {...IMAGE_FEATURE_DEFAULTS},
  kernelParameters: [],
})

const P = 'bottlerocket-aws-dev-x86_64-1.19.0-deadbeef'

const spec = (label: string, role: PartitionSpec['role'], startMiB: number, sizeMiB: number, extra: Partial<PartitionSpec> = {}): PartitionSpec => ({
  label,
  typeGuid: '6b636168-7420-6568-2070-6c616e657421',
  startMiB,
  sizeMiB,
  role,
  ...extra,
})

function smallPlan(partitions?: PartitionSpec[]): PartitionPlan {
  return {
    plan: 'unified',
    inPlaceUpdates: false,
    disks: [
      {
        disk: 'os',
        sizeMiB: 40,
        partitions: partitions ?? [
          spec('BOTTLEROCKET-BOOT-A', 'boot', 1, 4, {bank: 'A', attributeBits: [48, 56]}),
          spec('BOTTLEROCKET-ROOT-A', 'root', 5, 16, {bank: 'A'}),
          spec('BOTTLEROCKET-HASH-A', 'hash', 21, 1, {bank: 'A'}),
          spec('BOTTLEROCKET-PRIVATE', 'private', 22, 4),
          spec('', 'data', 26, 13, {bank: 'A', typeGuid: '626f7474-6c65-6474-6861-726d61726b73', uniqueGuid: '5b94e8df-28b8-485c-9d19-362263b5944c'}),
        ],
      },
    ],
  }
}

describe('variant image outputs', () => {
  describe('file names', () => {
    it('names the outputs as rpm2img does, per format', () => {
      expect(imageFileNames(options('raw'))).to.deep.equal({
        prefix: P,
        os: `${P}.img.lz4`,
        data: `${P}-data.img.lz4`,
        boot: `${P}-boot.ext4.lz4`,
        root: `${P}-root.ext4.lz4`,
        verity: `${P}-root.verity.lz4`,
      })
      expect(imageFileNames(options('qcow2'))).to.include({os: `${P}.qcow2`, data: `${P}-data.qcow2`, boot: `${P}-boot.ext4.lz4`})
      expect(imageFileNames(options('vmdk'))).to.include({os: `${P}.vmdk`, data: `${P}-data.vmdk`})
      expect(imageFileNames(options(), 'myos').prefix).to.equal('myos-aws-dev-x86_64-1.19.0-deadbeef')
    })

    it('gives each output the three friendly links, and none to other files', () => {
      expect(symlinkNames(options(), `${P}.img.lz4`)).to.deep.equal([
        'bottlerocket-aws-dev-x86_64.img.lz4',
        'bottlerocket-aws-dev-x86_64-1.19.0.img.lz4',
        'bottlerocket-aws-dev-x86_64-v1.19.0.img.lz4',
      ])
      expect(symlinkNames(options(), `${P}-root.verity.lz4`)).to.deep.equal([
        'bottlerocket-aws-dev-x86_64-root.verity.lz4',
        'bottlerocket-aws-dev-x86_64-1.19.0-root.verity.lz4',
        'bottlerocket-aws-dev-x86_64-v1.19.0-root.verity.lz4',
      ])
      expect(symlinkNames(options('qcow2'), `${P}-data.qcow2`)[2]).to.equal('bottlerocket-aws-dev-x86_64-v1.19.0-data.qcow2')
      expect(symlinkNames(options(), 'image-manifest.json')).to.deep.equal([])
      expect(symlinkNames(options(), `${P}0.img.lz4`)).to.deep.equal([])
    })
  })

  describe('image manifest', () => {
    let dir: string
    const verity: VerityParameters = {
      version: 1,
      hashAlgorithm: 'sha256',
      dataBlockSize: 4096,
      hashBlockSize: 4096,
      dataBlocks: 318,
      hashStartBlock: 1,
      rootHash: 'aa'.repeat(32),
      salt: 'bb'.repeat(32),
      table: 'root,,,ro,0 2544 verity 1 ...',
    }
    const files: ImageOutput[] = [
      {name: `${P}.img.lz4`, kind: 'os-image', sha256: '11'.repeat(32), size: 10},
      {name: `${P}-boot.ext4.lz4`, kind: 'boot', sha256: '22'.repeat(32), size: 20},
      {name: 'application-inventory.json', kind: 'other', sha256: '33'.repeat(32), size: 30},
      {name: IMAGE_MANIFEST_FILE, kind: 'manifest', sha256: '44'.repeat(32), size: 40},
    ]

    beforeEach(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'twoliter-image-outputs-'))
    })
    afterEach(() => rm(dir, {recursive: true, force: true}))

    it('records every output, the root hash and the plan, and links the images', async () => {
      await symlink('stale-target', path.join(dir, 'bottlerocket-aws-dev-x86_64.img.lz4'))
      const file = await writeImageManifest(dir, {options: options(), plan: smallPlan(), files, rootHash: verity.rootHash, verity})
      expect(file).to.equal(path.join(dir, IMAGE_MANIFEST_FILE))
      const manifest = JSON.parse(await readFile(file, 'utf8'))
      expect(manifest).to.include({imageName: 'bottlerocket', variant: 'aws-dev', arch: 'x86_64', version: '1.19.0', buildId: 'deadbeef', format: 'raw', rootHash: verity.rootHash})
      expect(manifest.outputs.map((output: ImageOutput) => output.name)).to.deep.equal(['application-inventory.json', `${P}-boot.ext4.lz4`, `${P}.img.lz4`])
      expect(manifest.verity).to.deep.equal(verity)
      expect(manifest.partitionPlan).to.deep.equal(smallPlan())
      expect(manifest.symlinks['bottlerocket-aws-dev-x86_64-v1.19.0-boot.ext4.lz4']).to.equal(`${P}-boot.ext4.lz4`)

      expect(await readlink(path.join(dir, 'bottlerocket-aws-dev-x86_64.img.lz4'))).to.equal(`${P}.img.lz4`)
      expect(await readlink(path.join(dir, 'bottlerocket-aws-dev-x86_64-1.19.0-boot.ext4.lz4'))).to.equal(`${P}-boot.ext4.lz4`)
      const names = await readdir(dir)
      expect(names.filter((name) => name.includes('inventory'))).to.deep.equal([])
      expect(names.filter((name) => name.endsWith('.partial'))).to.deep.equal([])
      expect(names).to.have.length(1 + 6)
    })

    it('keeps the verity parameters of the same root when rewritten without them', async () => {
      await writeImageManifest(dir, {options: options(), plan: smallPlan(), files, rootHash: verity.rootHash, verity})
      const more = [...files, {name: 'extra.json', kind: 'other' as const, sha256: '55'.repeat(32), size: 5}]
      await writeImageManifest(dir, {options: options(), plan: smallPlan(), files: more, rootHash: verity.rootHash})
      const manifest = JSON.parse(await readFile(path.join(dir, IMAGE_MANIFEST_FILE), 'utf8'))
      expect(manifest.verity).to.deep.equal(verity)
      expect(manifest.outputs).to.have.length(4)
      expect((await lstat(path.join(dir, 'bottlerocket-aws-dev-x86_64.img.lz4'))).isSymbolicLink()).to.equal(true)

      await writeImageManifest(dir, {options: options(), plan: smallPlan(), files, rootHash: 'cc'.repeat(32)})
      expect(JSON.parse(await readFile(path.join(dir, IMAGE_MANIFEST_FILE), 'utf8')).verity).to.equal(undefined)
    })

    it('replaces a regular file where a link goes', async () => {
      await writeFile(path.join(dir, 'bottlerocket-aws-dev-x86_64-boot.ext4.lz4'), 'old')
      await writeImageManifest(dir, {options: options(), plan: smallPlan(), files, rootHash: verity.rootHash, verity})
      expect(await readlink(path.join(dir, 'bottlerocket-aws-dev-x86_64-boot.ext4.lz4'))).to.equal(`${P}-boot.ext4.lz4`)
    })
  })

  describe('partition plan for rpm2img', () => {
    it('finds the partitions rpm2img fills', () => {
      const parts = imagePartitions(smallPlan())
      expect([parts.boot.label, parts.root.label, parts.hash.label, parts.private.label, parts.data.startMiB, parts.dataDisk]).to.deep.equal([
        'BOTTLEROCKET-BOOT-A',
        'BOTTLEROCKET-ROOT-A',
        'BOTTLEROCKET-HASH-A',
        'BOTTLEROCKET-PRIVATE',
        26,
        'os',
      ])
      expect(parts.efi).to.equal(undefined)
    })

    const refused = (plan: PartitionPlan): TwoliterError => {
      try {
        imagePartitions(plan)
      } catch (error) {
        expect(error).to.be.instanceOf(TwoliterError)
        expect((error as TwoliterError).code).to.equal('variant.image-plan')
        return error as TwoliterError
      }

      throw new Error('the plan was accepted')
    }

    it('refuses plans grub.cfg could not boot or sgdisk could not write', () => {
      const base = smallPlan().disks[0]!.partitions
      // HASH-A before ROOT-A: PARTNROFF=1 would be the hash tree.
      const swapped = [base[0]!, {...base[2]!, startMiB: 5, sizeMiB: 1}, {...base[1]!, startMiB: 6, sizeMiB: 15}, ...base.slice(3)]
      expect(refused(smallPlan(swapped)).message).to.include('must directly follow BOTTLEROCKET-BOOT-A')
      expect(refused(smallPlan(base.filter((part) => part.role !== 'private'))).message).to.include('no private partition')
      expect(refused(smallPlan(base.map((part) => (part.role === 'data' ? {...part, sizeMiB: 14} : part)))).message).to.include('does not fit between the GPTs')
      expect(refused(smallPlan(base.map((part) => (part.role === 'hash' ? {...part, sizeMiB: 2} : part)))).message).to.include('overlaps BOTTLEROCKET-HASH-A')
      expect(refused(smallPlan(base.map((part) => (part.role === 'private' ? {...part, typeGuid: 'x:y'} : part)))).message).to.include('malformed')
      expect(refused(smallPlan([...base.slice(0, 3), base[4]!, base[3]!])).message).to.include('or is listed before it')
    })
  })
})
