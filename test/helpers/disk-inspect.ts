/**
 * Reading built disk images back in the SDK: a bash script runs with the outputs mounted at /out and
 * prints `@@ <name>` sections; the GPT is read with sgdisk and compared with a planned layout.
 */

import {expect} from 'chai'

import type {Engine} from '../../src/lib/engine/index.js'
import type {DiskLayout} from '../../src/lib/variant/types.js'

// sgdisk shows the BIOS boot code by its GUID.
export const BIOS_BOOT_GUID = '21686148-6449-6e6f-744e-656564454649'

/** Runs a bash script in the SDK with `dir` at /out (read-only); returns its `@@ <name>` sections. */
export async function inspectInSdk(engine: Engine, sdk: string, dir: string, script: string): Promise<Record<string, string>> {
  let output = ''
  const full = `set -euo pipefail\ncd /tmp\nsection() { echo "@@ $1"; }\nslice() { dd if="$1" of="$2" bs=1M skip="$3" count="$4" conv=sparse status=none; }\n${script}`
  const {exitCode} = await engine.run(
    {image: sdk, cmd: ['/bin/bash', '-c', full], user: '0:0', network: 'none', mounts: [{host: dir, container: '/out', readOnly: true}]},
    {onOutput: (text) => (output += text)},
  )
  expect(exitCode, output).to.equal(0)
  const sections: Record<string, string> = {}
  let current = ''
  for (const line of output.split('\n')) {
    const header = /^@@ (\S+)$/.exec(line)
    if (header) {
      current = header[1]!
      sections[current] = ''
    } else if (current !== '') {
      sections[current] += `${line}\n`
    }
  }

  return sections
}

/** sgdisk -p and -i of every partition of a raw disk file, as sections `<tag>-print` and `<tag>-part-N`. */
export const gptScript = (disk: string, tag: string) => `
section ${tag}-print; sgdisk -p ${disk}
for i in $(sgdisk -p ${disk} | awk '/^ +[0-9]+ /{print $1}'); do section ${tag}-part-$i; sgdisk -i $i ${disk}; done
`

export interface GptEntry {
  number: number
  typeGuid: string
  uniqueGuid: string
  firstSector: number
  sizeSectors: number
  attributes: string
  name: string
}

export function parseGptEntry(number: number, text: string): GptEntry {
  const field = (pattern: RegExp) => {
    const match = pattern.exec(text)
    if (!match) throw new Error(`sgdisk -i ${number} printed no ${pattern}:\n${text}`)
    return match[1]!
  }

  return {
    number,
    typeGuid: field(/Partition GUID code: (\S+)/).toLowerCase(),
    uniqueGuid: field(/Partition unique GUID: (\S+)/).toLowerCase(),
    firstSector: Number(field(/First sector: (\d+)/)),
    sizeSectors: Number(field(/Partition size: (\d+) sectors/)),
    attributes: field(/Attribute flags: (\S+)/),
    name: field(/Partition name: '(.*)'/),
  }
}

export function gptEntries(sections: Record<string, string>, tag: string): GptEntry[] {
  return Object.keys(sections)
    .filter((key) => key.startsWith(`${tag}-part-`))
    .map((key) => parseGptEntry(Number(key.slice(`${tag}-part-`.length)), sections[key]!))
    .sort((a, b) => a.number - b.number)
}

/** The GPT read back has the planned partitions: names, type GUIDs, offsets, sizes and gptprio bits. */
export function expectGptMatches(entries: GptEntry[], disk: DiskLayout): void {
  const planned = [...disk.partitions].sort((a, b) => a.startMiB - b.startMiB)
  expect(entries.map((entry) => entry.name)).to.deep.equal(planned.map((spec) => spec.label))
  for (const [index, spec] of planned.entries()) {
    const entry = entries[index]!
    expect(entry.typeGuid, spec.label).to.equal(spec.typeGuid === 'ef02' ? BIOS_BOOT_GUID : spec.typeGuid)
    expect(entry.firstSector, spec.label).to.equal(spec.startMiB * 2048)
    expect(entry.sizeSectors, spec.label).to.equal(spec.sizeMiB * 2048)
    if (spec.uniqueGuid !== undefined) expect(entry.uniqueGuid, spec.label).to.equal(spec.uniqueGuid)
    // gptprio: priority bit 48 and successful bit 56 on BOOT-A only.
    expect(entry.attributes, spec.label).to.equal(spec.attributeBits?.includes(48) ? '0101000000000000' : '0000000000000000')
  }
}
