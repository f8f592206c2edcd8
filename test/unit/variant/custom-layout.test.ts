import {expect} from 'chai'

import {manifestReader} from '../../../src/lib/manifest/wording.js'
import {parseToml} from '../../../src/lib/toml/document.js'
import {type Logger, silentLogger} from '../../../src/lib/ui/logger.js'
import {type CustomLayout, customPartitionPlan, parseCustomLayout} from '../../../src/lib/variant/custom-layout.js'
import {referencePartitionPlan} from '../../../src/lib/variant/partition-plan.js'
import {recordingLogger, thrown} from '../manifest/helpers.js'

const FILE = '/project/variants/v/Cargo.toml'
const TABLE = 'package.metadata.build-variant.partition-layout'
const PREFERRED = '5b94e8df-28b8-485c-9d19-362263b5944c'
const FALLBACK = '69040874-417d-4e26-a764-7885f22007ea'
const LINUX = '0fc63daf-8483-4772-8e79-3d69d8477de4'

interface Entry {
  [key: string]: string | number
}

/** A variant Cargo.toml with a partition-layout table: the layout's own keys, then its os and data entries. */
function manifest(keys: Entry, os: Entry[], data: Entry[] = []): string {
  const lines = ['[package]', 'name = "v"', 'version = "0.1.0"', '', `[${TABLE}]`, ...values(keys)]
  for (const [disk, entries] of [['os', os], ['data', data]] as const) {
    for (const entry of entries) lines.push('', `[[${TABLE}.${disk}]]`, ...values(entry))
  }

  return lines.join('\n') + '\n'
}

function values(entry: Entry): string[] {
  return Object.entries(entry).map(([key, value]) => `${key} = ${typeof value === 'string' ? JSON.stringify(value) : value}`)
}

function parse(source: string, logger: Logger = silentLogger()): CustomLayout {
  const variant = manifestReader(parseToml(FILE, source)).requiredSubTable('package').requiredSubTable('metadata').requiredSubTable('build-variant')
  return parseCustomLayout(variant.requiredSubTable('partition-layout'), logger)
}

/** The 1-based line of the `occurrence`-th line of `source` that contains `text`. */
function lineOf(source: string, text: string, occurrence = 1): number {
  let seen = 0
  const index = source.split('\n').findIndex((line) => line.includes(text) && ++seen === occurrence)
  if (index === -1) throw new Error(`test setup: "${text}" is not in the source`)
  return index + 1
}

// The reference's 2 GiB split plan with in-place updates, as a custom layout: BIOS 4, then per bank
// EFI 5, BOOT 20·2, ROOT 460·2, HASH 5·2, RESERVED 15·2−5; PRIVATE 24·2−6−1; DATA-A 1; DATA-B 1·1024−2.
const bank = (b: string): Entry[] => [
  {role: 'efi', 'size-mib': 5, bank: b},
  {role: 'boot', 'size-mib': 40, bank: b},
  {role: 'root', 'size-mib': 920, bank: b},
  {role: 'hash', 'size-mib': 10, bank: b},
  {role: 'reserved', 'size-mib': 25, bank: b},
]
const REFERENCE_OS: Entry[] = [{role: 'bios-boot', 'size-mib': 4}, ...bank('A'), ...bank('B'), {role: 'private', 'size-mib': 41}, {role: 'data', 'size-mib': 1}]
const REFERENCE = manifest({'os-disk-size-mib': 2048, 'data-disk-size-mib': 1024}, REFERENCE_OS, [{role: 'data', 'size-mib': 1022}])

/** A small single-bank layout on one disk. */
const SMALL_OS: Entry[] = [
  {role: 'efi', 'size-mib': 10},
  {role: 'boot', 'size-mib': 40},
  {role: 'root', 'size-mib': 900},
  {role: 'hash', 'size-mib': 10},
  {role: 'private', 'size-mib': 20},
  {role: 'data', 'size-mib': 3000},
]

describe('custom partition layout', () => {
  describe('parsing', () => {
    it('reads sizes, roles and banks, fills in the standard labels, and remembers where everything is written', () => {
      const source = manifest({'os-disk-size-mib': 4096}, [
        {label: 'BIOS-BOOT', role: 'bios-boot', 'size-mib': 4},
        {role: 'boot', 'size-mib': 40, bank: 'B', type: '6B636168-7420-6568-2070-6C616E657421'},
        {role: 'data', 'size-mib': 100},
      ])
      expect(parse(source)).to.deep.equal({
        disks: [
          {
            disk: 'os',
            sizeMiB: 4096,
            location: {file: FILE, line: lineOf(source, 'os-disk-size-mib'), column: 1},
            partitions: [
              {label: 'BIOS-BOOT', role: 'bios-boot', sizeMiB: 4, location: {file: FILE, line: lineOf(source, `[[${TABLE}.os]]`, 1), column: 1}},
              {
                label: 'BOTTLEROCKET-BOOT-B',
                role: 'boot',
                sizeMiB: 40,
                bank: 'B',
                type: '6b636168-7420-6568-2070-6c616e657421',
                location: {file: FILE, line: lineOf(source, `[[${TABLE}.os]]`, 2), column: 1},
              },
              {label: '', role: 'data', sizeMiB: 100, location: {file: FILE, line: lineOf(source, `[[${TABLE}.os]]`, 3), column: 1}},
            ],
          },
        ],
        location: {file: FILE, line: lineOf(source, `[${TABLE}]`), column: 1},
      })
    })

    it('warns about a label Bottlerocket will not look for, and about likely typos', () => {
      const {logger, lines} = recordingLogger()
      const source = manifest({'os-disk-size-mib': 4096, 'data-disk-size-mb': 1}, [{label: 'MY-PRIVATE', role: 'private', 'size-mib': 4, 'sise-mib': 3}])
      parse(source, logger)
      expect(lines).to.have.length(3)
      expect(lines.join('\n'))
        .to.include(`${FILE}:${lineOf(source, 'label =')}: the private partition is labelled "MY-PRIVATE"; Bottlerocket looks for BOTTLEROCKET-PRIVATE.`)
        .and.include("unknown key 'data-disk-size-mb' is ignored; did you mean data-disk-size-mib?")
        .and.include("unknown key 'sise-mib' is ignored; did you mean size-mib?")
    })

    const parseErrors: Array<{name: string; source: string; code: string; line: string; occurrence?: number; says: string[]}> = [
      {
        name: 'an unknown role, listing the roles',
        source: manifest({'os-disk-size-mib': 4096}, [{role: 'boot', 'size-mib': 4}, {role: 'rot', 'size-mib': 4}]),
        code: 'variant.layout-unknown-role',
        line: 'role = "rot"',
        says: [`${TABLE}.os[1].role = "rot" is not a partition role`, 'Did you mean "root"?', '"bios-boot", "efi", "boot", "root", "hash", "reserved", "private", "data", "custom"'],
      },
      {
        name: 'a missing os-disk-size-mib',
        source: manifest({}, [{role: 'boot', 'size-mib': 4}]),
        code: 'manifest.missing-key',
        line: `[${TABLE}]`,
        says: ['has no os-disk-size-mib', 'os-disk-size-mib = 4096'],
      },
      {
        name: 'a disk size that is not a whole number',
        source: manifest({'os-disk-size-mib': '4 GiB'}, [{role: 'boot', 'size-mib': 4}]),
        code: 'manifest.invalid-value',
        line: 'os-disk-size-mib',
        says: ['must be a whole number from 3'],
      },
      {
        name: 'an os disk without partitions',
        source: manifest({'os-disk-size-mib': 4096}, []),
        code: 'variant.layout-missing-role',
        line: `[${TABLE}]`,
        says: ['has no partitions for the os disk', `[[${TABLE}.os]]`],
      },
      {
        name: 'a partition without size-mib',
        source: manifest({'os-disk-size-mib': 4096}, [{role: 'boot'}]),
        code: 'manifest.missing-key',
        line: `[[${TABLE}.os]]`,
        says: ['has no size-mib', 'size-mib = 40'],
      },
      {
        name: 'a partition of size 0',
        source: manifest({'os-disk-size-mib': 4096}, [{role: 'boot', 'size-mib': 0}]),
        code: 'manifest.invalid-value',
        line: 'size-mib = 0',
        says: ['whole number from 1'],
      },
      {
        name: 'a bank on a partition outside the banks',
        source: manifest({'os-disk-size-mib': 4096}, [{role: 'private', 'size-mib': 4, bank: 'B'}]),
        code: 'variant.layout-bank',
        line: 'bank = "B"',
        says: ['role private, which is not part of an update bank', 'Remove bank'],
      },
      {
        name: 'a bank other than A or B',
        source: manifest({'os-disk-size-mib': 4096}, [{role: 'boot', 'size-mib': 4, bank: 'C'}]),
        code: 'manifest.invalid-value',
        line: 'bank = "C"',
        says: ['one of "A", "B"'],
      },
      {
        name: 'a type that is neither a GUID nor an sgdisk code',
        source: manifest({'os-disk-size-mib': 4096}, [{role: 'custom', label: 'X', 'size-mib': 4, type: 'linux'}]),
        code: 'manifest.invalid-value',
        line: 'type = "linux"',
        says: ['type = "linux" is not valid', 'sgdisk type code'],
      },
      {
        name: 'a custom partition without a label',
        source: manifest({'os-disk-size-mib': 4096}, [{role: 'custom', 'size-mib': 4}]),
        code: 'variant.layout-label',
        line: `[[${TABLE}.os]]`,
        says: ['has role custom but no label', 'label = "NAME"'],
      },
      {
        name: 'data partitions without data-disk-size-mib',
        source: manifest({'os-disk-size-mib': 4096}, [{role: 'boot', 'size-mib': 4}], [{role: 'data', 'size-mib': 100}]),
        code: 'variant.layout-disks',
        line: `[[${TABLE}.data]]`,
        says: ['partitions for a data disk but no data-disk-size-mib'],
      },
      {
        name: 'data-disk-size-mib without partitions',
        source: manifest({'os-disk-size-mib': 4096, 'data-disk-size-mib': 2048}, [{role: 'boot', 'size-mib': 4}]),
        code: 'variant.layout-missing-role',
        line: 'data-disk-size-mib',
        says: ['asks for a data disk, but no partitions are given for it'],
      },
    ]
    for (const testCase of parseErrors) {
      it(`refuses ${testCase.name}, at its line`, () => {
        const error = thrown(() => parse(testCase.source))
        expect(error.code).to.equal(testCase.code)
        expect(error.location).to.deep.include({file: FILE, line: lineOf(testCase.source, testCase.line, testCase.occurrence)})
        expect(error.hint).to.be.a('string').and.not.equal('')
        for (const fragment of testCase.says) expect(`${error.message} ${error.hint}`).to.include(fragment)
      })
    }
  })

  describe('plan', () => {
    it('reproduces the reference plan when given the reference sizes', () => {
      const plan = customPartitionPlan(parse(REFERENCE))
      const reference = referencePartitionPlan({arch: 'x86_64', osImageSizeGiB: 2, dataImageSizeGiB: 1, partitionPlan: 'split', inPlaceUpdates: true})
      expect(plan).to.deep.equal({...reference, plan: 'custom'})
    })

    it('lays a single bank out in order from MiB 1, with the standard types, bank A and the preferred data GUID', () => {
      const plan = customPartitionPlan(parse(manifest({'os-disk-size-mib': 4096}, [...SMALL_OS, {label: 'SCRATCH', role: 'custom', 'size-mib': 100}])))
      expect(plan.plan).to.equal('custom')
      expect(plan.inPlaceUpdates).to.equal(false)
      expect(plan.disks).to.have.length(1)
      // Offsets: 1, 1+10, 11+40, 51+900, 951+10, 961+20, 981+3000.
      expect(plan.disks[0]).to.deep.equal({
        disk: 'os',
        sizeMiB: 4096,
        partitions: [
          {label: 'EFI-SYSTEM', typeGuid: 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b', startMiB: 1, sizeMiB: 10, role: 'efi', bank: 'A'},
          {label: 'BOTTLEROCKET-BOOT-A', typeGuid: '6b636168-7420-6568-2070-6c616e657421', startMiB: 11, sizeMiB: 40, role: 'boot', bank: 'A', attributeBits: [48, 56]},
          {label: 'BOTTLEROCKET-ROOT-A', typeGuid: '5526016a-1a97-4ea4-b39a-b7c8c6ca4502', startMiB: 51, sizeMiB: 900, role: 'root', bank: 'A'},
          {label: 'BOTTLEROCKET-HASH-A', typeGuid: '598f10af-c955-4456-6a99-7720068a6cea', startMiB: 951, sizeMiB: 10, role: 'hash', bank: 'A'},
          {label: 'BOTTLEROCKET-PRIVATE', typeGuid: '440408bb-eb0b-4328-a6e5-a29038fad706', startMiB: 961, sizeMiB: 20, role: 'private'},
          {label: '', typeGuid: '626f7474-6c65-6474-6861-726d61726b73', uniqueGuid: PREFERRED, startMiB: 981, sizeMiB: 3000, role: 'data'},
          {label: 'SCRATCH', typeGuid: LINUX, startMiB: 3981, sizeMiB: 100, role: 'custom'},
        ],
      })
    })

    it('fits a layout that fills the disk up to the backup GPT', () => {
      // 10 + 40 + 900 + 10 + 20 + 3000 = 3980 MiB of partitions, plus 2 MiB of GPT.
      const plan = customPartitionPlan(parse(manifest({'os-disk-size-mib': 3982}, SMALL_OS)))
      const last = plan.disks[0].partitions.at(-1)!
      expect(last.startMiB + last.sizeMiB).to.equal(3981)
    })

    it('gives the data disk the preferred data GUID and the os disk the fallback', () => {
      const plan = customPartitionPlan(parse(REFERENCE))
      expect(plan.disks.map((disk) => disk.partitions.find((partition) => partition.role === 'data')?.uniqueGuid)).to.deep.equal([FALLBACK, PREFERRED])
    })

    const planErrors: Array<{name: string; source: string; code: string; line: string; occurrence?: number; says: string[]}> = [
      {
        name: 'partitions that do not fit the disk',
        // 4998 MiB of partitions plus 2 MiB of GPT.
        source: manifest({'os-disk-size-mib': 4096}, [...SMALL_OS.slice(0, 5), {role: 'data', 'size-mib': 4018}]),
        code: 'variant.layout-too-small',
        line: 'os-disk-size-mib',
        says: ['the partitions of the os disk need 5000 MiB but os-disk-size-mib is 4096', '4998 MiB of partitions', 'at least 5000', 'by 904 MiB'],
      },
      {
        name: 'partitions that do not fit the data disk',
        source: manifest({'os-disk-size-mib': 4096, 'data-disk-size-mib': 1024}, SMALL_OS, [{role: 'data', 'size-mib': 1023}]),
        code: 'variant.layout-too-small',
        line: 'data-disk-size-mib',
        says: ['the partitions of the data disk need 1025 MiB but data-disk-size-mib is 1024'],
      },
      {
        name: 'two partitions with one label',
        source: manifest({'os-disk-size-mib': 8192}, [...SMALL_OS, {label: 'BOTTLEROCKET-ROOT-A', role: 'custom', 'size-mib': 10}]),
        code: 'variant.layout-duplicate-label',
        line: `[[${TABLE}.os]]`,
        occurrence: 7,
        says: ['two partitions are labelled BOTTLEROCKET-ROOT-A', 'partition 3 of the os disk'],
      },
      {
        name: 'a layout without a root partition',
        source: manifest({'os-disk-size-mib': 8192}, SMALL_OS.filter((entry) => entry.role !== 'root')),
        code: 'variant.layout-missing-role',
        line: `[${TABLE}]`,
        says: ['no partition has role root', 'role = "root"'],
      },
      {
        name: 'a layout without a data partition',
        source: manifest({'os-disk-size-mib': 8192}, SMALL_OS.filter((entry) => entry.role !== 'data')),
        code: 'variant.layout-missing-role',
        line: `[${TABLE}]`,
        says: ['no partition has role data'],
      },
      {
        name: 'a data disk without a data partition',
        source: manifest({'os-disk-size-mib': 8192, 'data-disk-size-mib': 1024}, SMALL_OS, [{label: 'SCRATCH', role: 'custom', 'size-mib': 10}]),
        code: 'variant.layout-missing-role',
        line: `[[${TABLE}.data]]`,
        says: ['the data disk has no partition with role data'],
      },
      {
        name: 'an OS role on the data disk',
        source: manifest({'os-disk-size-mib': 8192, 'data-disk-size-mib': 1024}, SMALL_OS, [{role: 'data', 'size-mib': 10}, {role: 'hash', 'size-mib': 10, bank: 'B'}]),
        code: 'variant.layout-wrong-disk',
        line: `[[${TABLE}.data]]`,
        occurrence: 2,
        says: ['has role hash, which belongs on the os disk'],
      },
      {
        name: 'two private partitions',
        source: manifest({'os-disk-size-mib': 8192}, [...SMALL_OS, {label: 'PRIVATE-2', role: 'private', 'size-mib': 10}]),
        code: 'variant.layout-duplicate-role',
        line: `[[${TABLE}.os]]`,
        occurrence: 7,
        says: ['two partitions have role private'],
      },
      {
        name: 'a bank B without a hash partition',
        source: manifest({'os-disk-size-mib': 8192}, [
          ...SMALL_OS,
          {role: 'boot', 'size-mib': 40, bank: 'B'},
          {role: 'root', 'size-mib': 900, bank: 'B'},
        ]),
        code: 'variant.layout-missing-role',
        line: `[${TABLE}]`,
        says: ['bank B has no partition with role hash', 'bank = "B"'],
      },
      {
        name: 'a root partition that does not directly follow boot',
        source: manifest({'os-disk-size-mib': 8192}, [SMALL_OS[0], SMALL_OS[1], {label: 'GAP', role: 'custom', 'size-mib': 1}, ...SMALL_OS.slice(2)]),
        code: 'variant.layout-bank-order',
        line: `[[${TABLE}.os]]`,
        occurrence: 4,
        says: ['the root and hash partitions must directly follow the boot partition'],
      },
    ]
    for (const testCase of planErrors) {
      it(`refuses ${testCase.name}, at its line`, () => {
        const layout = parse(testCase.source)
        const error = thrown(() => customPartitionPlan(layout))
        expect(error.code).to.equal(testCase.code)
        expect(error.location).to.deep.include({file: FILE, line: lineOf(testCase.source, testCase.line, testCase.occurrence)})
        expect(error.hint).to.be.a('string').and.not.equal('')
        for (const fragment of testCase.says) expect(`${error.message} ${error.hint}`).to.include(fragment)
      })
    }
  })
})
