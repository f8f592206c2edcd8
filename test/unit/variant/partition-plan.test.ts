import {expect} from 'chai'

import {TwoliterError} from '../../../src/lib/errors.js'
import {referencePartitionPlan, sgdiskArguments, validatePartitionPlan} from '../../../src/lib/variant/partition-plan.js'
import type {DiskLayout, PartitionPlan, PartitionSpec} from '../../../src/lib/variant/types.js'
import {thrown} from '../manifest/helpers.js'

// The reference's partyplanner, written out: GUIDs and the sizing rules (MiB, G = OS image GiB).
const BOOT = '6b636168-7420-6568-2070-6c616e657421'
const ROOT = '5526016a-1a97-4ea4-b39a-b7c8c6ca4502'
const HASH = '598f10af-c955-4456-6a99-7720068a6cea'
const RESERVED = '0c5d99a5-d331-4147-baef-08e2b855bdc9'
const PRIVATE = '440408bb-eb0b-4328-a6e5-a29038fad706'
const DATA = '626f7474-6c65-6474-6861-726d61726b73'
const EFI_SYSTEM = 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b'
const EFI_BACKUP = 'b39ce39c-0a00-b4ab-2d11-f18f8237a21c'
const PREFERRED = '5b94e8df-28b8-485c-9d19-362263b5944c'
const FALLBACK = '69040874-417d-4e26-a764-7885f22007ea'

type Row = [label: string, startMiB: number, sizeMiB: number, typeGuid: string]

function rows(disk: DiskLayout): Row[] {
  return disk.partitions.map((partition) => [partition.label, partition.startMiB, partition.sizeMiB, partition.typeGuid])
}

/** [label, size] in disk order, from the reference's rules; offsets follow from MiB 1. */
function referenceSizes(g: number, d: number, plan: 'split' | 'unified', updates: boolean): Array<[string, number, string]> {
  const scale = updates ? 1 : 2 // one bank takes the space of two
  const bank = (b: 'A' | 'B'): Array<[string, number, string]> => [
    [b === 'A' ? 'EFI-SYSTEM' : 'EFI-BACKUP', 5 * scale, b === 'A' ? EFI_SYSTEM : EFI_BACKUP],
    [`BOTTLEROCKET-BOOT-${b}`, 20 * g * scale, BOOT],
    [`BOTTLEROCKET-ROOT-${b}`, 460 * g * scale, ROOT],
    [`BOTTLEROCKET-HASH-${b}`, 5 * g * scale, HASH],
    [`BOTTLEROCKET-RESERVED-${b}`, (15 * g - 5) * scale, RESERVED],
  ]
  return [
    ['BIOS-BOOT', 4, 'ef02'],
    ...bank('A'),
    ...(updates ? bank('B') : []),
    ['BOTTLEROCKET-PRIVATE', 24 * g - 6 - 1, PRIVATE],
    ['', plan === 'split' ? 1 : d * 1024, DATA],
  ]
}

function withOffsets(sizes: Array<[string, number, string]>): Row[] {
  let offset = 1
  return sizes.map(([label, size, type]) => {
    const row: Row = [label, offset, size, type]
    offset += size
    return row
  })
}

describe('reference partition plan', () => {
  it('lays out 2 GiB split with in-place updates exactly as the partyplanner does', () => {
    const plan = referencePartitionPlan({arch: 'x86_64', osImageSizeGiB: 2, dataImageSizeGiB: 1, partitionPlan: 'split', inPlaceUpdates: true})
    expect(plan.plan).to.equal('split')
    expect(plan.inPlaceUpdates).to.equal(true)
    expect(plan.disks.map((disk) => [disk.disk, disk.sizeMiB])).to.deep.equal([
      ['os', 2048],
      ['data', 1024],
    ])
    // BOOT 20·2, ROOT 460·2, HASH 5·2, RESERVED 15·2−5, PRIVATE 24·2−6−1.
    expect(rows(plan.disks[0])).to.deep.equal([
      ['BIOS-BOOT', 1, 4, 'ef02'],
      ['EFI-SYSTEM', 5, 5, EFI_SYSTEM],
      ['BOTTLEROCKET-BOOT-A', 10, 40, BOOT],
      ['BOTTLEROCKET-ROOT-A', 50, 920, ROOT],
      ['BOTTLEROCKET-HASH-A', 970, 10, HASH],
      ['BOTTLEROCKET-RESERVED-A', 980, 25, RESERVED],
      ['EFI-BACKUP', 1005, 5, EFI_BACKUP],
      ['BOTTLEROCKET-BOOT-B', 1010, 40, BOOT],
      ['BOTTLEROCKET-ROOT-B', 1050, 920, ROOT],
      ['BOTTLEROCKET-HASH-B', 1970, 10, HASH],
      ['BOTTLEROCKET-RESERVED-B', 1980, 25, RESERVED],
      ['BOTTLEROCKET-PRIVATE', 2005, 41, PRIVATE],
      ['', 2046, 1, DATA],
    ])
    // DATA-B = 1·1024 − 2, after the GPT's first MiB.
    expect(rows(plan.disks[1])).to.deep.equal([['', 1, 1022, DATA]])
  })

  it('lays out 4 GiB split without in-place updates as one bank of doubled partitions', () => {
    const plan = referencePartitionPlan({arch: 'x86_64', osImageSizeGiB: 4, dataImageSizeGiB: 20, partitionPlan: 'split', inPlaceUpdates: false})
    expect(plan.disks[0].sizeMiB).to.equal(4096)
    // EFI 5·2, BOOT 20·4·2, ROOT 460·4·2, HASH 5·4·2, RESERVED (15·4−5)·2, PRIVATE 24·4−7.
    expect(rows(plan.disks[0])).to.deep.equal([
      ['BIOS-BOOT', 1, 4, 'ef02'],
      ['EFI-SYSTEM', 5, 10, EFI_SYSTEM],
      ['BOTTLEROCKET-BOOT-A', 15, 160, BOOT],
      ['BOTTLEROCKET-ROOT-A', 175, 3680, ROOT],
      ['BOTTLEROCKET-HASH-A', 3855, 40, HASH],
      ['BOTTLEROCKET-RESERVED-A', 3895, 110, RESERVED],
      ['BOTTLEROCKET-PRIVATE', 4005, 89, PRIVATE],
      ['', 4094, 1, DATA],
    ])
    expect(rows(plan.disks[1])).to.deep.equal([['', 1, 20 * 1024 - 2, DATA]])
  })

  for (const arch of ['x86_64', 'aarch64']) {
    for (const partitionPlan of ['split', 'unified'] as const) {
      for (const inPlaceUpdates of [true, false]) {
        for (const g of [1, 2, 4]) {
          const d = 3
          const name = `${arch}, ${partitionPlan}, in-place updates ${inPlaceUpdates ? 'on' : 'off'}, ${g} GiB OS image`
          it(`follows the reference's rules: ${name}`, () => {
            const plan = referencePartitionPlan({arch, osImageSizeGiB: g, dataImageSizeGiB: d, partitionPlan, inPlaceUpdates})
            const os = plan.disks[0]
            expect(plan.plan).to.equal(partitionPlan)
            expect(plan.inPlaceUpdates).to.equal(inPlaceUpdates)
            expect(rows(os)).to.deep.equal(withOffsets(referenceSizes(g, d, partitionPlan, inPlaceUpdates)))

            const last = os.partitions.at(-1) as PartitionSpec
            const end = last.startMiB + last.sizeMiB
            if (partitionPlan === 'split') {
              // 1 (GPT) + 4 + banks (500·G each, or one of 1000·G) + PRIVATE (24·G − 7) + DATA-A (1) + 1 (backup GPT) = 1024·G
              expect(os.sizeMiB).to.equal(g * 1024)
              expect(end + 1).to.equal(g * 1024)
              expect(plan.disks).to.have.length(2)
              expect(plan.disks[1]).to.deep.include({disk: 'data', sizeMiB: d * 1024})
              expect(plan.disks[1].partitions).to.deep.equal([{label: '', typeGuid: DATA, uniqueGuid: PREFERRED, startMiB: 1, sizeMiB: d * 1024 - 2, role: 'data'}])
              expect(last.uniqueGuid).to.equal(FALLBACK)
            } else {
              // The OS part ends at 1024·G − 2 as in split; the data partition fills D GiB after it, which
              // leaves the MiB that split gives DATA-A unused before the backup GPT.
              expect(os.sizeMiB).to.equal((g + d) * 1024)
              expect(last.startMiB).to.equal(g * 1024 - 2)
              expect(end).to.equal((g + d) * 1024 - 2)
              expect(plan.disks).to.have.length(1)
              expect(last.uniqueGuid).to.equal(PREFERRED)
            }

            const bios = os.partitions[0]
            expect(bios).to.deep.include({label: 'BIOS-BOOT', startMiB: 1, sizeMiB: 4, typeGuid: 'ef02', role: 'bios-boot'})
            expect(os.partitions.filter((partition) => partition.attributeBits !== undefined)).to.deep.equal([
              os.partitions.find((partition) => partition.label === 'BOTTLEROCKET-BOOT-A'),
            ])
            expect(os.partitions.find((partition) => partition.label === 'BOTTLEROCKET-BOOT-A')?.attributeBits).to.deep.equal([48, 56])
            expect(os.partitions.filter((partition) => partition.bank === 'B').length).to.equal(inPlaceUpdates ? 5 : 0)
            expect(os.partitions.filter((partition) => partition.uniqueGuid !== undefined).map((partition) => partition.role)).to.deep.equal(['data'])
          })
        }
      }
    }
  }

  it('gives aarch64 the same plan as x86_64, BIOS-BOOT included, as the reference does', () => {
    const options = {osImageSizeGiB: 2, dataImageSizeGiB: 1, partitionPlan: 'split', inPlaceUpdates: true} as const
    expect(referencePartitionPlan({...options, arch: 'aarch64'})).to.deep.equal(referencePartitionPlan({...options, arch: 'x86_64'}))
  })

  it('marks banks and roles', () => {
    const plan = referencePartitionPlan({arch: 'x86_64', osImageSizeGiB: 2, dataImageSizeGiB: 1, partitionPlan: 'unified', inPlaceUpdates: true})
    expect(plan.disks[0].partitions.map((partition) => `${partition.role}${partition.bank ?? ''}`)).to.deep.equal([
      'bios-boot',
      'efiA',
      'bootA',
      'rootA',
      'hashA',
      'reservedA',
      'efiB',
      'bootB',
      'rootB',
      'hashB',
      'reservedB',
      'private',
      'data',
    ])
  })

  it('refuses sizes and architectures it has no plan for', () => {
    const base = {arch: 'x86_64', osImageSizeGiB: 2, dataImageSizeGiB: 1, partitionPlan: 'split', inPlaceUpdates: true} as const
    expect(thrown(() => referencePartitionPlan({...base, arch: 'riscv64'})).code).to.equal('variant.layout-arch')
    const tooSmall = thrown(() => referencePartitionPlan({...base, osImageSizeGiB: 0}))
    expect(tooSmall.code).to.equal('variant.layout-too-small')
    expect(tooSmall.hint).to.include('os-image-size-gib')
    expect(thrown(() => referencePartitionPlan({...base, dataImageSizeGiB: 0})).hint).to.include('data-image-size-gib')
  })
})

describe('sgdiskArguments', () => {
  it('creates each partition in order, ends on the sector before the next MiB, and sets only what is fixed', () => {
    const disk: DiskLayout = {
      disk: 'os',
      sizeMiB: 16,
      partitions: [
        {label: 'BIOS-BOOT', typeGuid: 'ef02', startMiB: 1, sizeMiB: 4, role: 'bios-boot'},
        {label: 'BOTTLEROCKET-BOOT-A', typeGuid: BOOT, startMiB: 5, sizeMiB: 4, role: 'boot', bank: 'A', attributeBits: [48, 56]},
        {label: '', typeGuid: DATA, uniqueGuid: PREFERRED, startMiB: 9, sizeMiB: 6, role: 'data'},
      ],
    }
    // 2048 sectors of 512 bytes per MiB: MiB 1–5 is sectors 2048–10239, and so on.
    expect(sgdiskArguments(disk)).to.deep.equal([
      '--clear',
      ...['-n', '1:2048:10239', '-c', '1:BIOS-BOOT', '-t', '1:ef02'],
      ...['-n', '2:10240:18431', '-c', '2:BOTTLEROCKET-BOOT-A', '-t', `2:${BOOT}`, '-A', '2:set:48', '-A', '2:set:56'],
      ...['-n', '3:18432:30719', '-t', `3:${DATA}`, '-u', `3:${PREFERRED}`],
    ])
  })

  it('makes one -n per partition of a reference disk, the last ending before the backup GPT', () => {
    const plan = referencePartitionPlan({arch: 'x86_64', osImageSizeGiB: 2, dataImageSizeGiB: 1, partitionPlan: 'split', inPlaceUpdates: true})
    const args = sgdiskArguments(plan.disks[0])
    const news = args.flatMap((arg, index) => (arg === '-n' ? [args[index + 1]] : []))
    expect(news).to.have.length(13)
    expect(news.at(-1)).to.equal(`13:${2046 * 2048}:${2047 * 2048 - 1}`)
    expect(sgdiskArguments(plan.disks[1])).to.deep.equal(['--clear', '-n', `1:2048:${1023 * 2048 - 1}`, '-t', `1:${DATA}`, '-u', `1:${PREFERRED}`])
  })
})

describe('validatePartitionPlan', () => {
  const where = {file: '/project/variants/v/Cargo.toml', line: 7}
  const base = () => referencePartitionPlan({arch: 'x86_64', osImageSizeGiB: 2, dataImageSizeGiB: 1, partitionPlan: 'split', inPlaceUpdates: true})
  const failure = (change: (plan: PartitionPlan) => void): TwoliterError => {
    const plan = structuredClone(base())
    change(plan)
    const error = thrown(() => validatePartitionPlan(plan, where))
    expect(error.location).to.deep.equal(where)
    expect(error.hint).to.be.a('string').and.not.equal('')
    return error
  }

  const partition = (plan: PartitionPlan, label: string): PartitionSpec => {
    const found = plan.disks[0].partitions.find((candidate) => candidate.label === label)
    if (!found) throw new Error(`test setup: no ${label}`)
    return found
  }

  it('accepts every reference plan', () => {
    for (const partitionPlan of ['split', 'unified'] as const) {
      for (const inPlaceUpdates of [true, false]) {
        const plan = referencePartitionPlan({arch: 'aarch64', osImageSizeGiB: 3, dataImageSizeGiB: 2, partitionPlan, inPlaceUpdates})
        expect(() => validatePartitionPlan(plan, where)).not.to.throw()
      }
    }
  })

  it('refuses a partition in the last MiB, which holds the backup GPT', () => {
    const error = failure((plan) => {
      plan.disks[0].partitions.at(-1)!.sizeMiB = 2
    })
    expect(error.code).to.equal('variant.layout-too-small')
    expect(error.message).to.include('past the last usable MiB of the 2048 MiB os disk (2047)')
    expect(error.hint).to.include('at least 2049 MiB')
  })

  it('refuses a partition in the first MiB', () => {
    const error = failure((plan) => {
      plan.disks[0].partitions[0].startMiB = 0
    })
    expect(error.code).to.equal('variant.layout-overlap')
    expect(error.message).to.include('inside the GPT')
  })

  it('refuses overlapping partitions', () => {
    const error = failure((plan) => {
      partition(plan, 'BOTTLEROCKET-ROOT-A').sizeMiB += 1
    })
    expect(error.code).to.equal('variant.layout-overlap')
    expect(error.message).to.include('BOTTLEROCKET-HASH-A').and.include('overlaps').and.include('BOTTLEROCKET-ROOT-A')
  })

  it('refuses sizes that are not whole MiB', () => {
    expect(failure((plan) => {
      plan.disks[1].partitions[0].sizeMiB = 0.5
    }).code).to.equal('variant.layout-alignment')
  })

  it('refuses two partitions with one label', () => {
    const error = failure((plan) => {
      partition(plan, 'BOTTLEROCKET-RESERVED-B').label = 'BOTTLEROCKET-RESERVED-A'
    })
    expect(error.code).to.equal('variant.layout-duplicate-label')
    expect(error.message).to.include('two partitions are labelled BOTTLEROCKET-RESERVED-A')
  })

  it('refuses a plan without a required role', () => {
    for (const role of ['boot', 'root', 'hash', 'private'] as const) {
      const error = failure((plan) => {
        for (const disk of plan.disks) disk.partitions = disk.partitions.filter((candidate) => candidate.role !== role)
      })
      expect(error.code).to.equal('variant.layout-missing-role')
      expect(error.message).to.include(`no partition has role ${role}`)
    }
  })

  it('refuses a data disk without a data partition, and a single disk without one', () => {
    const onDataDisk = failure((plan) => {
      plan.disks[1].partitions[0] = {...plan.disks[1].partitions[0], role: 'custom', label: 'SCRATCH'}
    })
    expect(onDataDisk.message).to.include('the data disk has no partition with role data')
    const unified = referencePartitionPlan({arch: 'x86_64', osImageSizeGiB: 2, dataImageSizeGiB: 1, partitionPlan: 'unified', inPlaceUpdates: true})
    unified.disks[0].partitions.pop()
    expect(thrown(() => validatePartitionPlan(unified, where)).message).to.include('no partition has role data')
  })

  it('refuses an incomplete bank B when in-place updates are on, and bank B when they are off', () => {
    const incomplete = failure((plan) => {
      plan.disks[0].partitions = plan.disks[0].partitions.filter((candidate) => candidate.label !== 'BOTTLEROCKET-HASH-B')
    })
    expect(incomplete.message).to.include('bank B has no partition with role hash')
    const off = failure((plan) => {
      plan.inPlaceUpdates = false
    })
    expect(off.code).to.equal('variant.layout-banks')
  })

  it('refuses a bank whose root and hash do not directly follow its boot partition', () => {
    const error = failure((plan) => {
      const partitions = plan.disks[0].partitions
      // Swap ROOT-A and HASH-A (and their offsets, so that only the order is wrong).
      const [root, hash] = [partitions[3], partitions[4]]
      partitions[3] = {...hash, startMiB: root.startMiB}
      partitions[4] = {...root, startMiB: root.startMiB + hash.sizeMiB}
    })
    expect(error.code).to.equal('variant.layout-bank-order')
  })

  it('refuses an OS role on the data disk, and a type that is not a GUID', () => {
    expect(failure((plan) => {
      plan.disks[1].partitions.push({label: 'EXTRA', typeGuid: PRIVATE, startMiB: 1023, sizeMiB: 0, role: 'private'})
    }).code).to.equal('variant.layout-alignment')
    expect(failure((plan) => {
      plan.disks[1].partitions[0].sizeMiB -= 1
      plan.disks[1].partitions.push({label: 'EXTRA', typeGuid: PRIVATE, startMiB: 1022, sizeMiB: 1, role: 'private'})
    }).code).to.equal('variant.layout-wrong-disk')
    expect(failure((plan) => {
      plan.disks[0].partitions[0].typeGuid = 'bios'
    }).code).to.equal('variant.layout-type')
  })

  it('refuses a plan whose first disk is not the os disk', () => {
    expect(failure((plan) => {
      plan.disks.reverse()
    }).code).to.equal('variant.layout-disks')
  })
})
