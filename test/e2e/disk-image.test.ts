/**
 * Disk images from a root file system tar, against the real engine and the local SDK: the GPT of each
 * disk read back with sgdisk and compared with the plan, the root, boot, private, EFI and data file
 * systems read back with debugfs, mtools and fsck.erofs, the dm-verity hash tree checked (and shown to
 * catch a flipped byte), grub.cfg's table, qcow2 output, the manifest and links, and a root too big.
 */

import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {mkdir, mkdtemp, readFile, readdir, readlink, rm, stat, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {hostArch} from '../../src/lib/build/arch.js'
import {BuildLog} from '../../src/lib/build/build-log.js'
import {sha256File} from '../../src/lib/build/digest.js'
import type {Engine} from '../../src/lib/engine/index.js'
import {TwoliterError} from '../../src/lib/errors.js'
import {IMAGE_FEATURE_DEFAULTS, type ImageFeatures, type ImageFormat} from '../../src/lib/manifest/index.js'
import {type DiskImage, buildDiskImage} from '../../src/lib/variant/disk-image.js'
import {IMAGE_MANIFEST_FILE, imageFileNames, symlinkNames} from '../../src/lib/variant/image-outputs.js'
import {referencePartitionPlan} from '../../src/lib/variant/partition-plan.js'
import type {PartitionPlan, PartitionSpec, VariantImageOptions} from '../../src/lib/variant/types.js'
import {expectGptMatches, gptEntries, gptScript, inspectInSdk} from '../helpers/disk-inspect.js'
import {connectEngine, ensureLocalSdk} from '../helpers/sdk.js'

const ARCH = hostArch()
const TYPE = {
  bios: 'ef02',
  efi: 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b',
  efiBackup: 'b39ce39c-0a00-b4ab-2d11-f18f8237a21c',
  boot: '6b636168-7420-6568-2070-6c616e657421',
  root: '5526016a-1a97-4ea4-b39a-b7c8c6ca4502',
  hash: '598f10af-c955-4456-6a99-7720068a6cea',
  reserved: '0c5d99a5-d331-4147-baef-08e2b855bdc9',
  private: '440408bb-eb0b-4328-a6e5-a29038fad706',
  data: '626f7474-6c65-6474-6861-726d61726b73',
}
const DATA_PREFERRED = '5b94e8df-28b8-485c-9d19-362263b5944c'
const DATA_FALLBACK = '69040874-417d-4e26-a764-7885f22007ea'
const TABLE = /^root,,,ro,0 (\d+) verity 1 PARTUUID=\$boot_uuid\/PARTNROFF=1 PARTUUID=\$boot_uuid\/PARTNROFF=2 4096 4096 (\d+) 1 sha256 ([\da-f]{64}) ([\da-f]{64}) 2 restart_on_corruption ignore_zero_blocks$/

/**
 * A 64 MiB OS disk laid out like partyplanner's, scaled down: both banks, PRIVATE, and DATA-A that holds
 * the data file system (unified) or is the 1 MiB placeholder (split, with a 16 MiB data disk).
 */
function testPlan(plan: 'unified' | 'split'): PartitionPlan {
  const os: PartitionSpec[] = [
    {label: 'BIOS-BOOT', typeGuid: TYPE.bios, startMiB: 1, sizeMiB: 1, role: 'bios-boot'},
    {label: 'EFI-SYSTEM', typeGuid: TYPE.efi, startMiB: 2, sizeMiB: 2, role: 'efi', bank: 'A'},
    {label: 'BOTTLEROCKET-BOOT-A', typeGuid: TYPE.boot, startMiB: 4, sizeMiB: 4, role: 'boot', bank: 'A', attributeBits: [48, 56]},
    {label: 'BOTTLEROCKET-ROOT-A', typeGuid: TYPE.root, startMiB: 8, sizeMiB: 16, role: 'root', bank: 'A'},
    {label: 'BOTTLEROCKET-HASH-A', typeGuid: TYPE.hash, startMiB: 24, sizeMiB: 1, role: 'hash', bank: 'A'},
    {label: 'BOTTLEROCKET-RESERVED-A', typeGuid: TYPE.reserved, startMiB: 25, sizeMiB: 1, role: 'reserved', bank: 'A'},
    {label: 'EFI-BACKUP', typeGuid: TYPE.efiBackup, startMiB: 26, sizeMiB: 2, role: 'efi', bank: 'B'},
    {label: 'BOTTLEROCKET-BOOT-B', typeGuid: TYPE.boot, startMiB: 28, sizeMiB: 4, role: 'boot', bank: 'B'},
    {label: 'BOTTLEROCKET-ROOT-B', typeGuid: TYPE.root, startMiB: 32, sizeMiB: 16, role: 'root', bank: 'B'},
    {label: 'BOTTLEROCKET-HASH-B', typeGuid: TYPE.hash, startMiB: 48, sizeMiB: 1, role: 'hash', bank: 'B'},
    {label: 'BOTTLEROCKET-RESERVED-B', typeGuid: TYPE.reserved, startMiB: 49, sizeMiB: 1, role: 'reserved', bank: 'B'},
    {label: 'BOTTLEROCKET-PRIVATE', typeGuid: TYPE.private, startMiB: 50, sizeMiB: 4, role: 'private'},
  ]
  if (plan === 'unified') {
    os.push({label: '', typeGuid: TYPE.data, uniqueGuid: DATA_PREFERRED, startMiB: 54, sizeMiB: 9, role: 'data', bank: 'A'})
    return {plan, inPlaceUpdates: true, disks: [{disk: 'os', sizeMiB: 64, partitions: os}]}
  }

  os.push({label: '', typeGuid: TYPE.data, uniqueGuid: DATA_FALLBACK, startMiB: 54, sizeMiB: 1, role: 'data', bank: 'A'})
  const data: PartitionSpec = {label: '', typeGuid: TYPE.data, uniqueGuid: DATA_PREFERRED, startMiB: 1, sizeMiB: 14, role: 'data', bank: 'B'}
  return {plan, inPlaceUpdates: true, disks: [{disk: 'os', sizeMiB: 56, partitions: os}, {disk: 'data', sizeMiB: 16, partitions: [data]}]}
}

function imageOptions(format: ImageFormat, features: Partial<ImageFeatures> = {}): VariantImageOptions {
  return {
    variant: 'tiny-dev',
    arch: ARCH,
    version: '1.2.3',
    buildId: 'abcdef12',
    format,
    features: {...IMAGE_FEATURE_DEFAULTS, ...features},
    kernelParameters: ['console=ttyS0', 'quiet'],
  }
}

describe('variant disk images (real engine, local SDK)', function () {
  this.timeout(300_000)
  let engine: Engine
  let sdk: string
  let work: string
  let rootfsTar: string
  let bootconfigTar: string
  let bigTar: string

  /** A tar of a tree, as root; extra entries (path in tree, uid) are appended with their own owner. */
  function tarOf(tree: string, tar: string, exclude: string[] = [], owned: Array<[string, number]> = []): void {
    execFileSync('tar', ['-cf', tar, '--owner=0', '--group=0', '--numeric-owner', ...exclude.map((item) => `--exclude=${item}`), '-C', tree, '.'])
    for (const [file, uid] of owned) execFileSync('tar', ['-rf', tar, `--owner=${uid}`, `--group=${uid}`, '--numeric-owner', '-C', tree, file])
  }

  before(async function () {
    this.timeout(900_000)
    sdk = await ensureLocalSdk()
    engine = await connectEngine()
    work = await mkdtemp(path.join(tmpdir(), 'twoliter-disk-image-'))

    const tree = path.join(work, 'tree')
    for (const dir of ['usr/bin', 'usr/lib', 'etc', 'srv', 'boot/efi/EFI/BOOT', 'boot/boot-config.d']) await mkdir(path.join(tree, dir), {recursive: true})
    await writeFile(path.join(tree, 'usr/bin/hello'), '#!/bin/sh\necho hello\n', {mode: 0o755})
    await writeFile(path.join(tree, 'usr/lib/os-release'), 'NAME=Bottlerocket\nID=bottlerocket\n')
    await writeFile(path.join(tree, 'etc/hostname'), 'tiny\n')
    await writeFile(path.join(tree, 'srv/owned'), 'owned by 1234\n')
    await symlink('usr/bin', path.join(tree, 'bin'))
    await writeFile(path.join(tree, 'boot/vmlinuz'), Buffer.alloc(64 * 1024, 7))
    await writeFile(path.join(tree, 'boot/efi/EFI/BOOT/bootx64.efi'), Buffer.alloc(16 * 1024, 9))
    await writeFile(path.join(tree, 'boot/boot-config.d/10-test.conf'), 'kernel.console = "ttyS1"\n')
    rootfsTar = path.join(work, 'rootfs.tar')
    tarOf(tree, rootfsTar, ['./srv/owned', './boot/boot-config.d'], [['./srv/owned', 1234]])
    bootconfigTar = path.join(work, 'rootfs-bootconfig.tar')
    tarOf(tree, bootconfigTar, ['./srv/owned'], [['./srv/owned', 1234]])

    const big = path.join(work, 'big')
    await mkdir(path.join(big, 'usr/share'), {recursive: true})
    await writeFile(path.join(big, 'usr/share/blob'), Buffer.alloc(24 * 1024 * 1024, 1))
    bigTar = path.join(work, 'rootfs-big.tar')
    tarOf(big, bigTar)
  })

  after(async () => {
    if (work) await rm(work, {recursive: true, force: true})
  })

  async function build(name: string, plan: PartitionPlan, options: VariantImageOptions, tar = rootfsTar): Promise<{image: DiskImage; outputDir: string; lines: string[]}> {
    const outputDir = path.join(work, name, 'out')
    const log = await BuildLog.create(path.join(work, name, 'build.log'))
    const lines: string[] = []
    try {
      const image = await buildDiskImage({engine, sdkImage: sdk, rootfsTar: tar, plan, options, outputDir, projectRoot: work, log, onLine: (line) => lines.push(line)})
      return {image, outputDir, lines}
    } finally {
      await log.close()
    }
  }

  const inspect = (outputDir: string, script: string) => inspectInSdk(engine, sdk, outputDir, script)

  /** Reads ROOT-A, HASH-A, BOOT-A, PRIVATE and EFI-A of os.img back; verity checked, then a byte flipped. */
  const partitionsScript = (plan: PartitionPlan, rootHash: string, erofs: boolean) => {
    const os = plan.disks[0]!.partitions
    const at = (label: string) => {
      const spec = os.find((candidate) => candidate.label === label)!
      return `${spec.startMiB} ${spec.sizeMiB}`
    }

    const rootChecks = erofs
      ? `fsck.erofs --extract=/tmp/rootx root.img >/dev/null
section root-ls; ls -la /tmp/rootx /tmp/rootx/boot
section root-hello; stat -c '%a %u:%g' /tmp/rootx/usr/bin/hello
section root-owned; stat -c '%u:%g' /tmp/rootx/srv/owned
section os-release; cat /tmp/rootx/usr/lib/os-release
section image-features; cat /tmp/rootx/usr/share/bottlerocket/image-features.env
section root-fs; dump.erofs -s root.img | head -5`
      : `section root-ls; debugfs -R 'ls -l /' root.img; debugfs -R 'ls -l /boot' root.img
section root-hello; debugfs -R 'stat /usr/bin/hello' root.img
section root-owned; debugfs -R 'stat /srv/owned' root.img
section os-release; debugfs -R 'cat /usr/lib/os-release' root.img
section image-features; debugfs -R 'cat /usr/share/bottlerocket/image-features.env' root.img
section root-fs; dumpe2fs -h root.img | grep -E '^(Filesystem features|Block size|Block count)'`

    return `
slice os.img root.img ${at('BOTTLEROCKET-ROOT-A')}
slice os.img hash.img ${at('BOTTLEROCKET-HASH-A')}
slice os.img boot.img ${at('BOTTLEROCKET-BOOT-A')}
slice os.img private.img ${at('BOTTLEROCKET-PRIVATE')}
slice os.img efi.img ${at('EFI-SYSTEM')}
${rootChecks}
section boot-ls; debugfs -R 'ls -l /' boot.img
section grub; debugfs -R 'cat /grub/grub.cfg' boot.img
section private-ls; debugfs -R 'ls -l /' private.img
debugfs -R 'dump /bootconfig.data /tmp/bootconfig.data' private.img
section bootconfig; python3 -c '
import json, struct, sys
data = open(sys.argv[1], "rb").read()
magic = b"#BOOTCONFIG\\n"
size, checksum = struct.unpack("<II", data[-len(magic) - 8:-len(magic)])
body = data[:size]
print(json.dumps({"magic": data.endswith(magic), "whole": len(data) == size + 8 + len(magic), "aligned": size % 4 == 0, "checksum": sum(body) & 0xFFFFFFFF == checksum, "text": body.rstrip(b"\\0").decode()}))
' /tmp/bootconfig.data
section efi; mdir -i efi.img ::/EFI/BOOT
section verity-dump; veritysetup dump hash.img
section verify; if veritysetup verify root.img hash.img ${rootHash}; then echo verify=ok; else echo verify=failed; fi
python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(1100); b = f.read(1); f.seek(1100); f.write(bytes([b[0] ^ 0xff]))' root.img
section flipped; if veritysetup verify root.img hash.img ${rootHash} 2>&1; then echo verify=ok; else echo verify=failed; fi
`
  }

  function expectVerity(image: DiskImage, sections: Record<string, string>): void {
    const match = TABLE.exec(image.verityTable)
    expect(match, image.verityTable).to.not.equal(null)
    const [, sectors, blocks, rootHash, salt] = match!
    expect(Number(sectors)).to.equal(Number(blocks) * 8)
    expect(Number(blocks)).to.equal(image.verity.dataBlocks)
    expect(rootHash).to.equal(image.rootHash)
    expect(salt).to.equal(image.verity.salt)
    expect(image.verity).to.include({version: 1, hashAlgorithm: 'sha256', dataBlockSize: 4096, hashBlockSize: 4096, hashStartBlock: 1})

    // The HASH partition holds the verity superblock, which says how the tree was made.
    const dump = sections['verity-dump']!
    expect(dump).to.match(/Hash type:\s+1\b/)
    expect(dump).to.match(new RegExp(`Data blocks:\\s+${blocks}\\b`))
    expect(dump).to.match(/Data block size:\s+4096/)
    expect(dump).to.match(/Hash algorithm:\s+sha256/)
    expect(dump).to.match(new RegExp(`Salt:\\s+${salt}`))
    expect(sections.verify).to.include('verify=ok')
    expect(sections.flipped).to.include('verify=failed')

    const grub = sections.grub!
    expect(grub).to.include(`set dm_verity_root="${image.verityTable}"`)
    expect(grub).to.include('dm-mod.create="$dm_verity_root"')
    expect(grub).to.include('root=/dev/dm-0 rootwait ro')
    expect(grub).to.include('console=ttyS0 quiet')
    expect(grub).to.include('menuentry "Bottlerocket OS 1.2.3" --unrestricted {')
    expect(grub).to.include('linux ($root)/vmlinuz')
  }

  async function expectManifest(image: DiskImage, outputDir: string, options: VariantImageOptions, plan: PartitionPlan): Promise<void> {
    const manifest = JSON.parse(await readFile(image.manifest, 'utf8'))
    expect(path.basename(image.manifest)).to.equal(IMAGE_MANIFEST_FILE)
    expect(manifest.rootHash).to.equal(image.rootHash)
    expect(manifest.verity.table).to.equal(image.verityTable)
    expect(manifest.partitionPlan).to.deep.equal(plan)
    const recorded = manifest.outputs as Array<{name: string; sha256: string; size: number}>
    expect(recorded.map((output) => output.name).sort()).to.deep.equal(image.files.filter((file) => file.kind !== 'manifest').map((file) => file.name).sort())
    for (const output of recorded) {
      const file = path.join(outputDir, output.name)
      expect(await sha256File(file), output.name).to.equal(output.sha256)
      const info = await stat(file)
      expect(info.size).to.equal(output.size)
      expect(info.uid).to.equal(process.getuid?.() ?? 0)
      for (const link of symlinkNames(options, output.name)) expect(await readlink(path.join(outputDir, link))).to.equal(output.name)
    }

    const manifestFile = image.files.find((file) => file.kind === 'manifest')!
    expect(manifestFile.sha256).to.equal(await sha256File(image.manifest))
    // Nothing else: no temporary files left behind.
    const expected = [...image.files.map((file) => file.name), ...recorded.flatMap((output) => symlinkNames(options, output.name))]
    expect((await readdir(outputDir)).sort()).to.deep.equal(expected.sort())
  }

  it('builds a raw unified image whose partitions, file systems and dm-verity read back as planned', async () => {
    const plan = testPlan('unified')
    const options = imageOptions('raw')
    const {image, outputDir, lines} = await build('raw-unified', plan, options)
    const names = imageFileNames(options)
    expect(image.files.map((file) => [file.name, file.kind])).to.deep.equal([
      [names.os, 'os-image'],
      [names.boot, 'boot'],
      [names.root, 'root'],
      [names.verity, 'verity'],
      [IMAGE_MANIFEST_FILE, 'manifest'],
    ])
    expect(names.os).to.equal(`bottlerocket-tiny-dev-${ARCH}-1.2.3-abcdef12.img.lz4`)
    expect(lines.some((line) => line.startsWith('twoliter-result: root-hash '))).to.equal(true)

    const sections = await inspect(
      outputDir,
      `lz4 -d -q /out/${names.os} os.img
section size; stat -c %s os.img
${gptScript('os.img', 'os')}
section verify-gpt; sgdisk -v os.img
${partitionsScript(plan, image.rootHash, false)}
slice os.img data.img 54 9
section data-fs; dumpe2fs -h data.img | grep -E '^(Block count|Block size)'
slice os.img root-again.img 8 16
section root-file; lz4 -d -q /out/${names.root} rootfile.img; cmp rootfile.img root-again.img -n $(stat -c %s rootfile.img) && echo same-as-partition
section hash-file; lz4 -d -q /out/${names.verity} hashfile.img; veritysetup verify rootfile.img hashfile.img ${image.rootHash} && echo hash-file-ok
`,
    )
    expect(Number(sections.size)).to.equal(64 * 1024 * 1024)
    expectGptMatches(gptEntries(sections, 'os'), plan.disks[0]!)
    expect(sections['verify-gpt']).to.match(/No problems found/)

    expect(sections['root-ls']).to.match(/\susr\s/).and.to.match(/\setc\s/).and.to.match(/\sbin\s/).and.to.match(/\slost\+found\s/)
    // /boot stays as the mount point of BOOT-A, empty in the root.
    expect(sections['root-ls']!.split('\n').filter((line) => /\b(vmlinuz|efi|grub)\b/.test(line))).to.deep.equal([])
    expect(sections['root-hello']).to.match(/Mode:\s+0755/)
    expect(sections['root-owned']).to.match(/User:\s+1234\s+Group:\s+1234/)
    expect(sections['root-fs']).to.match(/Block size:\s+4096/)
    expect(sections['root-fs']).to.not.match(/has_journal/)
    const osRelease = sections['os-release']!
    expect(osRelease).to.include('NAME=Bottlerocket\nID=bottlerocket\n')
    for (const line of ['VERSION="1.2.3 (tiny-dev)"', 'PRETTY_NAME="Bottlerocket OS 1.2.3 (tiny-dev)"', 'VARIANT_ID=tiny-dev', 'VERSION_ID=1.2.3', 'BUILD_ID=abcdef12']) {
      expect(osRelease).to.include(`${line}\n`)
    }

    expect(sections['image-features']).to.include('DATA_PARTITION_FILESYSTEM=ext4')
    expect(sections['boot-ls']).to.match(/\svmlinuz\s/).and.to.match(/\s\.vmlinuz\.hmac\s/).and.to.match(/\sgrub\s/)
    expect(sections['private-ls']).to.match(/\sbootconfig\.data\s/)
    // The empty bootconfig, with its size, checksum and magic as the kernel reads them.
    expect(JSON.parse(sections.bootconfig!)).to.deep.equal({magic: true, whole: true, aligned: true, checksum: true, text: 'kernel {}\ninit {}\n'})
    expect(sections.efi).to.match(/bootx64\s+efi\s+16384/i)
    expect(sections['data-fs']).to.match(/Block count:\s+(\d+)/)
    const dataBlocks = Number(/Block count:\s+(\d+)/.exec(sections['data-fs']!)![1])
    const dataBlockSize = Number(/Block size:\s+(\d+)/.exec(sections['data-fs']!)![1])
    expect(dataBlocks * dataBlockSize).to.equal(9 * 1024 * 1024)
    expect(sections['root-file']).to.include('same-as-partition')
    expect(sections['hash-file']).to.include('hash-file-ok')
    expectVerity(image, sections)
    await expectManifest(image, outputDir, options, plan)
    expect(await readlink(path.join(outputDir, `bottlerocket-tiny-dev-${ARCH}-v1.2.3.img.lz4`))).to.equal(names.os)
  })

  it('builds a raw split image: the data file system on the data disk, bootconfig snippets in PRIVATE', async () => {
    const plan = testPlan('split')
    const options = imageOptions('raw', {'grub-set-private-var': true})
    const {image, outputDir} = await build('raw-split', plan, options, bootconfigTar)
    const names = imageFileNames(options)
    expect(image.files.map((file) => file.kind)).to.deep.equal(['os-image', 'data-image', 'boot', 'root', 'verity', 'manifest'])
    expect(image.files[1]!.name).to.equal(names.data)

    const sections = await inspect(
      outputDir,
      `lz4 -d -q /out/${names.os} os.img
lz4 -d -q /out/${names.data} data-disk.img
section sizes; stat -c %s os.img data-disk.img
${gptScript('os.img', 'os')}
${gptScript('data-disk.img', 'data')}
${partitionsScript(plan, image.rootHash, false)}
slice os.img data-a.img 54 1
section data-a; cmp -n 1048576 data-a.img /dev/zero && echo blank
slice data-disk.img data-b.img 1 14
section data-fs; dumpe2fs -h data-b.img | grep -E '^(Block count|Block size)'
`,
    )
    expect(sections.sizes!.trim().split('\n').map(Number)).to.deep.equal([56 * 1024 * 1024, 16 * 1024 * 1024])
    expectGptMatches(gptEntries(sections, 'os'), plan.disks[0]!)
    expectGptMatches(gptEntries(sections, 'data'), plan.disks[1]!)
    expect(sections['data-a']).to.include('blank')
    const dataBlocks = Number(/Block count:\s+(\d+)/.exec(sections['data-fs']!)![1])
    const dataBlockSize = Number(/Block size:\s+(\d+)/.exec(sections['data-fs']!)![1])
    expect(dataBlocks * dataBlockSize).to.equal(14 * 1024 * 1024)
    expect(JSON.parse(sections.bootconfig!)).to.deep.equal({magic: true, whole: true, aligned: true, checksum: true, text: 'kernel.console = "ttyS1"\n'})
    expect(sections['boot-ls']).to.not.include('boot-config.d')
    expect(sections.grub).to.include('       bootconfig \\\n').and.to.include('initrd ($private)/bootconfig.data')
    expectVerity(image, sections)
    await expectManifest(image, outputDir, options, plan)
    expect(await readlink(path.join(outputDir, `bottlerocket-tiny-dev-${ARCH}-1.2.3-data.img.lz4`))).to.equal(names.data)
  })

  it('builds a qcow2 image with an erofs root and a blank data partition for XFS', async () => {
    const plan = testPlan('unified')
    const options = imageOptions('qcow2', {'erofs-root-partition': true, 'xfs-data-partition': true})
    const {image, outputDir} = await build('qcow2-erofs', plan, options)
    const names = imageFileNames(options)
    expect(names.os).to.match(/\.qcow2$/)

    const sections = await inspect(
      outputDir,
      `section info; qemu-img info --output=json /out/${names.os}
qemu-img convert -f qcow2 -O raw /out/${names.os} os.img
${gptScript('os.img', 'os')}
${partitionsScript(plan, image.rootHash, true)}
slice os.img data.img 54 9
section data; cmp -n $((9 * 1048576)) data.img /dev/zero && echo blank
`,
    )
    const info = JSON.parse(sections.info!)
    expect(info.format).to.equal('qcow2')
    expect(info['virtual-size']).to.equal(64 * 1024 * 1024)
    expectGptMatches(gptEntries(sections, 'os'), plan.disks[0]!)
    expect(sections['root-fs']).to.match(/erofs|Filesystem/i)
    expect(sections['root-hello']!.trim()).to.equal('755 0:0')
    expect(sections['root-owned']!.trim()).to.equal('1234:1234')
    expect(sections['os-release']).to.include('VARIANT_ID=tiny-dev\n')
    expect(sections['image-features']).to.include('DATA_PARTITION_FILESYSTEM=xfs')
    expect(sections.data).to.include('blank')
    expectVerity(image, sections)
    await expectManifest(image, outputDir, options, plan)
  })

  it('builds stream-optimized vmdk disks for a split plan', async () => {
    const plan = testPlan('split')
    const options = imageOptions('vmdk')
    const {image, outputDir} = await build('vmdk-split', plan, options)
    const names = imageFileNames(options)
    expect(image.files.map((file) => file.name)).to.deep.equal([names.os, names.data, names.boot, names.root, names.verity, IMAGE_MANIFEST_FILE])
    expect(names.os).to.match(/\.vmdk$/)

    const sections = await inspect(
      outputDir,
      `section os-info; qemu-img info --output=json /out/${names.os}
section data-info; qemu-img info --output=json /out/${names.data}
qemu-img convert -f vmdk -O raw /out/${names.data} data-disk.img
${gptScript('data-disk.img', 'data')}
`,
    )
    for (const [key, sizeMiB] of [['os-info', 56], ['data-info', 16]] as const) {
      const info = JSON.parse(sections[key]!)
      expect(info.format).to.equal('vmdk')
      expect(info['virtual-size']).to.equal(sizeMiB * 1024 * 1024)
      expect(info['format-specific'].data['create-type']).to.equal('streamOptimized')
    }

    expectGptMatches(gptEntries(sections, 'data'), plan.disks[1]!)
    await expectManifest(image, outputDir, options, plan)
  })

  it('builds the reference partition plan of a 1 GiB image, without in-place updates', async () => {
    const plan = referencePartitionPlan({arch: ARCH, osImageSizeGiB: 1, dataImageSizeGiB: 1, partitionPlan: 'unified', inPlaceUpdates: false})
    const options = imageOptions('raw', {'in-place-updates': false})
    const {image, outputDir} = await build('reference', plan, options)
    const names = imageFileNames(options)
    const sections = await inspect(
      outputDir,
      `lz4 -d -q /out/${names.os} os.img
section size; stat -c %s os.img
${gptScript('os.img', 'os')}
section verify-gpt; sgdisk -v os.img
${partitionsScript(plan, image.rootHash, false)}
`,
    )
    expect(Number(sections.size)).to.equal(2048 * 1024 * 1024)
    expectGptMatches(gptEntries(sections, 'os'), plan.disks[0]!)
    expect(sections['verify-gpt']).to.match(/No problems found/)
    expect(sections['os-release']).to.include('VARIANT_ID=tiny-dev\n')
    expectVerity(image, sections)
    await expectManifest(image, outputDir, options, plan)
  })

  it('refuses a root bigger than ROOT-A with the sizes in MiB and leaves no outputs', async () => {
    const plan = testPlan('unified')
    const options = imageOptions('raw')
    let error: unknown
    try {
      await build('too-big', plan, options, bigTar)
    } catch (caught) {
      error = caught
    }

    expect(error).to.be.instanceOf(TwoliterError)
    const failure = error as TwoliterError
    expect(failure.code).to.equal('variant.image-root-too-big')
    expect(failure.message).to.match(/needs 2\d MiB, more than the 16 MiB of its BOTTLEROCKET-ROOT-A partition/)
    expect(failure.message).to.include('twoliter-error: too-big root')
    expect(failure.hint).to.include('os-image-size-gib').and.to.include('build.log')
    expect(await readdir(path.join(work, 'too-big', 'out'))).to.deep.equal([])
  })

  it('explains bootconfig snippets without grub-set-private-var', async () => {
    let error: unknown
    try {
      await build('bootconfig', testPlan('unified'), imageOptions('raw'), bootconfigTar)
    } catch (caught) {
      error = caught
    }

    expect((error as TwoliterError).code).to.equal('variant.image-bootconfig')
    expect((error as TwoliterError).hint).to.include('grub-set-private-var = true')
    expect(await readdir(path.join(work, 'bootconfig', 'out'))).to.deep.equal([])
  })
})
