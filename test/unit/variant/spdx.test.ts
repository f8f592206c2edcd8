import {expect} from 'chai'

import {isValidSpdxLicenseExpression, spdxDocument, spdxLicenseExpression} from '../../../src/lib/variant/spdx.js'
import type {InstalledPackage} from '../../../src/lib/variant/types.js'

/*
 * An SPDX 2.3 structural check written from the specification, independent of the code under test: the
 * mandatory document, creation-info, package, extracted-licensing-info and relationship fields, the
 * idstring and timestamp formats, license expression syntax, and that every reference resolves.
 */
function spdxProblems(doc: unknown): string[] {
  const problems: string[] = []
  const fail = (message: string) => problems.push(message)
  const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value)
  const nonEmpty = (value: unknown) => typeof value === 'string' && value.trim() !== ''
  const spdxIdPattern = /^SPDXRef-[A-Za-z0-9.-]+$/
  const licenseRefPattern = /^LicenseRef-[A-Za-z0-9.-]+$/

  if (!isObject(doc)) return ['the document is not an object']
  if (doc.spdxVersion !== 'SPDX-2.3') fail('spdxVersion must be SPDX-2.3')
  if (doc.dataLicense !== 'CC0-1.0') fail('dataLicense must be CC0-1.0')
  if (doc.SPDXID !== 'SPDXRef-DOCUMENT') fail('SPDXID must be SPDXRef-DOCUMENT')
  if (!nonEmpty(doc.name)) fail('name is required')
  const namespace = doc.documentNamespace
  if (typeof namespace !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(namespace) || namespace.includes('#')) {
    fail('documentNamespace must be an absolute URI without #')
  }
  const info = doc.creationInfo
  if (!isObject(info)) {
    fail('creationInfo is required')
  } else {
    if (typeof info.created !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(info.created)) fail('created must be YYYY-MM-DDThh:mm:ssZ')
    if (!Array.isArray(info.creators) || info.creators.length === 0) fail('creators must be a non-empty array')
    else for (const creator of info.creators) if (typeof creator !== 'string' || !/^(Tool|Organization|Person): \S/.test(creator)) fail(`bad creator ${String(creator)}`)
  }

  const extracted = new Set<string>()
  if (doc.hasExtractedLicensingInfos !== undefined) {
    if (!Array.isArray(doc.hasExtractedLicensingInfos)) fail('hasExtractedLicensingInfos must be an array')
    else
      for (const entry of doc.hasExtractedLicensingInfos as unknown[]) {
        if (!isObject(entry) || typeof entry.licenseId !== 'string' || !licenseRefPattern.test(entry.licenseId)) {
          fail(`bad extracted license ${JSON.stringify(entry)}`)
          continue
        }
        if (extracted.has(entry.licenseId)) fail(`duplicate licenseId ${entry.licenseId}`)
        extracted.add(entry.licenseId)
        if (!nonEmpty(entry.extractedText)) fail(`${entry.licenseId} has no extractedText`)
        if (entry.name !== undefined && !nonEmpty(entry.name)) fail(`${entry.licenseId} has an empty name`)
      }
  }
  const usedRefs = new Set<string>()
  const checkLicense = (owner: string, field: string, value: unknown) => {
    if (value === 'NOASSERTION' || value === 'NONE') return
    if (typeof value !== 'string') return fail(`${owner}.${field} is missing`)
    const identifiers = licenseIdentifiers(value)
    if (!identifiers) return fail(`${owner}.${field} is not a license expression: ${value}`)
    for (const id of identifiers) {
      if (!id.startsWith('LicenseRef-')) continue
      usedRefs.add(id)
      if (!extracted.has(id)) fail(`${owner}.${field} uses ${id} without a hasExtractedLicensingInfos entry`)
    }
  }

  const ids = new Set<string>(['SPDXRef-DOCUMENT'])
  if (!Array.isArray(doc.packages) || doc.packages.length === 0) fail('packages must be a non-empty array')
  for (const pkg of (Array.isArray(doc.packages) ? doc.packages : []) as unknown[]) {
    if (!isObject(pkg)) {
      fail('a package is not an object')
      continue
    }
    const id = String(pkg.SPDXID)
    if (!spdxIdPattern.test(id)) fail(`bad package SPDXID ${id}`)
    if (ids.has(id)) fail(`duplicate SPDXID ${id}`)
    ids.add(id)
    if (!nonEmpty(pkg.name)) fail(`${id} has no name`)
    if (pkg.versionInfo !== undefined && !nonEmpty(pkg.versionInfo)) fail(`${id} has an empty versionInfo`)
    if (!nonEmpty(pkg.downloadLocation)) fail(`${id} has no downloadLocation`)
    if (typeof pkg.filesAnalyzed !== 'boolean') fail(`${id}.filesAnalyzed must be a boolean`)
    if (pkg.filesAnalyzed === false && (pkg.packageVerificationCode !== undefined || pkg.hasFiles !== undefined)) fail(`${id} lists files without analysing them`)
    checkLicense(id, 'licenseConcluded', pkg.licenseConcluded)
    checkLicense(id, 'licenseDeclared', pkg.licenseDeclared)
    if (!nonEmpty(pkg.copyrightText)) fail(`${id} has no copyrightText`)
    if (pkg.supplier !== undefined && !(pkg.supplier === 'NOASSERTION' || /^(Person|Organization): \S/.test(String(pkg.supplier)))) fail(`${id} has a bad supplier`)
    if (pkg.primaryPackagePurpose !== undefined && !['APPLICATION', 'FRAMEWORK', 'LIBRARY', 'CONTAINER', 'OPERATING-SYSTEM', 'DEVICE', 'FIRMWARE', 'SOURCE', 'ARCHIVE', 'FILE', 'INSTALL', 'OTHER'].includes(String(pkg.primaryPackagePurpose))) {
      fail(`${id} has a bad primaryPackagePurpose`)
    }
    for (const checksum of (pkg.checksums ?? []) as Array<Record<string, unknown>>) {
      if (!['SHA1', 'SHA224', 'SHA256', 'SHA384', 'SHA512', 'MD5'].includes(String(checksum.algorithm)) || !/^[0-9a-f]+$/.test(String(checksum.checksumValue))) fail(`${id} has a bad checksum`)
    }
    for (const ref of (pkg.externalRefs ?? []) as Array<Record<string, unknown>>) {
      if (!['SECURITY', 'PACKAGE-MANAGER', 'PERSISTENT-ID', 'OTHER'].includes(String(ref.referenceCategory))) fail(`${id} has a bad referenceCategory`)
      if (!nonEmpty(ref.referenceType) || !nonEmpty(ref.referenceLocator) || /\s/.test(String(ref.referenceLocator))) fail(`${id} has a bad external reference`)
    }
  }
  for (const id of extracted) if (!usedRefs.has(id)) fail(`${id} is declared but never used`)

  if (!Array.isArray(doc.relationships)) fail('relationships must be an array')
  let describes = 0
  for (const relationship of (Array.isArray(doc.relationships) ? doc.relationships : []) as unknown[]) {
    if (!isObject(relationship)) {
      fail('a relationship is not an object')
      continue
    }
    const {spdxElementId: from, relationshipType: type, relatedSpdxElement: to} = relationship
    if (!ids.has(String(from))) fail(`relationship from unknown ${String(from)}`)
    if (!ids.has(String(to))) fail(`relationship to unknown ${String(to)}`)
    if (!['DESCRIBES', 'CONTAINS', 'DEPENDS_ON', 'GENERATED_FROM', 'DEPENDENCY_OF', 'CONTAINED_BY'].includes(String(type))) fail(`unexpected relationshipType ${String(type)}`)
    if (from === 'SPDXRef-DOCUMENT' && type === 'DESCRIBES') describes++
  }
  if (describes === 0) fail('the document DESCRIBES nothing')
  return problems
}

/** The identifiers of an SPDX license expression (operators upper case, balanced parentheses), or undefined. */
function licenseIdentifiers(expression: string): string[] | undefined {
  const tokens = expression.split(/(\(|\))|\s+/).filter((token) => token !== undefined && token !== '')
  const identifiers: string[] = []
  let depth = 0
  let expectOperand = true
  let afterWith = false
  for (const token of tokens) {
    if (token === '(') {
      if (!expectOperand || afterWith) return undefined
      depth++
    } else if (token === ')') {
      if (expectOperand || --depth < 0) return undefined
    } else if (token === 'AND' || token === 'OR' || token === 'WITH') {
      if (expectOperand) return undefined
      expectOperand = true
      afterWith = token === 'WITH'
    } else {
      if (!expectOperand) return undefined
      const pattern = afterWith ? /^[A-Za-z0-9.-]+$/ : /^(LicenseRef-[A-Za-z0-9.-]+|[A-Za-z0-9.-]+\+?)$/
      if (!pattern.test(token)) return undefined
      if (!afterWith) identifiers.push(token)
      expectOperand = false
      afterWith = false
    }
  }
  return depth === 0 && !expectOperand ? identifiers : undefined
}

function pkg(name: string, overrides: Partial<InstalledPackage> = {}): InstalledPackage {
  return {
    name,
    version: '1.0',
    release: '1.bottlerocket',
    arch: 'x86_64',
    license: 'Apache-2.0',
    summary: `the ${name} package`,
    vendor: 'Bottlerocket',
    repo: 'core-kit',
    source: 'core-kit',
    requestedBy: [name],
    licenseFiles: [],
    rpm: `bottlerocket-${name}-1.0-1.bottlerocket.x86_64.rpm`,
    ...overrides,
  }
}

const packages: InstalledPackage[] = [
  pkg('release', {license: 'Apache-2.0 OR MIT', url: 'https://github.com/bottlerocket-os/bottlerocket'}),
  pkg('glibc', {license: 'LGPLv2+ and GPLv2+ with exceptions', requestedBy: ['release'], epoch: '1'}),
  pkg('libgcc', {license: 'GPLv3+ and GPLv3+ with exceptions and GPLv2+ with exceptions', requestedBy: ['release']}),
  pkg('libgcc', {arch: 'i686', license: 'GPL-3.0-or-later WITH GCC-exception-3.1', requestedBy: ['release'], rpm: 'bottlerocket-libgcc-1.0-1.bottlerocket.i686.rpm'}),
  pkg('libstdc++', {license: 'Public Domain', vendor: 'Amazon Web Services, Inc.', requestedBy: ['release']}),
  pkg('util-linux', {license: 'GPLv2 and (BSD or MIT)', requestedBy: ['release'], vendor: undefined}),
  pkg('weird', {license: '(unbalanced and', requestedBy: ['release', 'missing-package']}),
  pkg('my-agent', {source: 'local', repo: 'local', license: 'MIT', requestedBy: ['my-agent']}),
  pkg('variant-metadata', {source: 'metadata', repo: 'metadata', license: '', requestedBy: []}),
]

const input = {
  variant: 'aws-dev',
  version: '1.2.3',
  buildId: 'abcdef12',
  arch: 'x86_64',
  toolVersion: '0.1.0',
  created: new Date('2024-05-06T07:08:09.123Z'),
  packages,
  imageFiles: [
    {name: 'bottlerocket-aws-dev-x86_64-1.2.3-abcdef12.img.lz4', sha256: 'AB'.repeat(32)},
    {name: 'bottlerocket-aws-dev-x86_64-1.2.3-abcdef12-data.img.lz4', sha256: 'cd'.repeat(32)},
  ],
}

type Doc = {
  name: string
  documentNamespace: string
  creationInfo: {created: string; creators: string[]}
  packages: Array<Record<string, unknown> & {SPDXID: string; name: string; licenseDeclared: string; externalRefs?: Array<Record<string, string>>}>
  hasExtractedLicensingInfos?: Array<{licenseId: string; extractedText: string}>
  relationships: Array<{spdxElementId: string; relationshipType: string; relatedSpdxElement: string}>
}
// Through JSON, as consumers read it.
const build = (overrides: Partial<typeof input> = {}) => JSON.parse(JSON.stringify(spdxDocument({...input, ...overrides}))) as Doc
const byName = (doc: Doc, name: string, arch = 'x86_64') =>
  doc.packages.find((p) => p.name === name && String(p.externalRefs?.[0]?.referenceLocator).includes(`arch=${arch}`))!

describe('SPDX document', () => {
  it('passes an independent SPDX 2.3 structural check', () => {
    expect(spdxProblems(build())).to.deep.equal([])
    expect(spdxProblems(build({packages: [], imageFiles: []}))).to.deep.equal([])
  })

  it('the structural check itself catches broken documents', () => {
    const doc = build() as unknown as Record<string, unknown>
    expect(spdxProblems({...doc, spdxVersion: 'SPDX-2.2'})).to.include('spdxVersion must be SPDX-2.3')
    const packagesWithBadRef = (doc.packages as Array<Record<string, unknown>>).map((p, i) => (i === 1 ? {...p, licenseDeclared: 'LicenseRef-nowhere'} : p))
    expect(spdxProblems({...doc, packages: packagesWithBadRef}).join('\n')).to.include('without a hasExtractedLicensingInfos entry')
    expect(spdxProblems({...doc, relationships: [{spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-gone'}]})).to.include('relationship to unknown SPDXRef-gone')
    expect(licenseIdentifiers('MIT and BSD')).to.equal(undefined)
    expect(licenseIdentifiers('(MIT OR Apache-2.0) AND GPL-2.0-only WITH Linux-syscall-note')).to.deep.equal(['MIT', 'Apache-2.0', 'GPL-2.0-only'])
  })

  it('fills the creation info from the inputs, in seconds precision UTC', () => {
    const doc = build()
    expect(doc.creationInfo).to.deep.equal({created: '2024-05-06T07:08:09Z', creators: ['Tool: twoliter-0.1.0']})
    expect(doc.name).to.equal('aws-dev-x86_64-1.2.3-abcdef12')
    expect(doc.documentNamespace).to.match(/^https:\/\/spdx\.org\/spdxdocs\/twoliter\/aws-dev-x86_64-1\.2\.3-abcdef12-[0-9a-f]{32}$/)
  })

  it('is byte-for-byte the same for the same inputs, whatever their order', () => {
    const once = JSON.stringify(build())
    expect(JSON.stringify(build())).to.equal(once)
    expect(JSON.stringify(build({packages: [...packages].reverse(), imageFiles: [...input.imageFiles].reverse()}))).to.equal(once)
  })

  it('gets a different namespace when the build differs', () => {
    const namespace = build().documentNamespace
    expect(build({buildId: 'other'}).documentNamespace).to.not.equal(namespace)
    expect(build({created: new Date('2024-05-06T07:08:10Z')}).documentNamespace).to.not.equal(namespace)
    expect(build({packages: packages.slice(1)}).documentNamespace).to.not.equal(namespace)
    expect(spdxDocument({...input, namespaceSeed: 'x'})).to.have.property('documentNamespace').that.not.equals(namespace)
  })

  it('gives every package a valid, unique SPDXID, including one name built for two arches', () => {
    const doc = build()
    const ids = doc.packages.map((p) => p.SPDXID)
    expect(new Set(ids).size).to.equal(ids.length)
    for (const id of ids) expect(id).to.match(/^SPDXRef-[A-Za-z0-9.-]+$/)
    const libgcc = doc.packages.filter((p) => p.name === 'libgcc').map((p) => p.SPDXID)
    expect(libgcc).to.have.length(2)
    expect(libgcc[0]).to.not.equal(libgcc[1])
    expect(byName(doc, 'libstdc++').SPDXID).to.match(/^SPDXRef-Package-rpm-libstdc/)

    const twins = build({packages: [pkg('a+b'), pkg('a_b'), pkg('a b')], imageFiles: []}).packages.map((p) => p.SPDXID)
    expect(new Set(twins).size).to.equal(4)
  })

  it('describes each RPM with version, supplier, purl and the SPDX-required fields', () => {
    const doc = build()
    const glibc = byName(doc, 'glibc')
    expect(glibc).to.include({
      versionInfo: '1:1.0-1.bottlerocket',
      downloadLocation: 'NOASSERTION',
      filesAnalyzed: false,
      licenseConcluded: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      supplier: 'Organization: Bottlerocket',
      packageFileName: 'bottlerocket-glibc-1.0-1.bottlerocket.x86_64.rpm',
    })
    expect(byName(doc, 'util-linux').supplier).to.equal('NOASSERTION')
    expect(byName(doc, 'release').homepage).to.equal('https://github.com/bottlerocket-os/bottlerocket')
  })

  it('writes purls as pkg:rpm/<vendor>/<name>@<version>-<release>?arch=<arch>', () => {
    const doc = build()
    const purls = (name: string, arch = 'x86_64') => byName(doc, name, arch).externalRefs
    expect(purls('release')).to.deep.equal([{referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:rpm/bottlerocket/release@1.0-1.bottlerocket?arch=x86_64'}])
    expect(purls('libgcc', 'i686')?.[0].referenceLocator).to.equal('pkg:rpm/bottlerocket/libgcc@1.0-1.bottlerocket?arch=i686')
    expect(purls('glibc')?.[0].referenceLocator).to.equal('pkg:rpm/bottlerocket/glibc@1.0-1.bottlerocket?arch=x86_64&epoch=1')
    expect(purls('util-linux')?.[0].referenceLocator).to.equal('pkg:rpm/bottlerocket/util-linux@1.0-1.bottlerocket?arch=x86_64')
    expect(purls('libstdc++')?.[0].referenceLocator).to.equal('pkg:rpm/amazon%20web%20services%2C%20inc./libstdc%2B%2B@1.0-1.bottlerocket?arch=x86_64')
    const purlPattern = /^pkg:rpm\/[^/\s]+\/[^@/\s]+@[^?\s]+-[^?\s]+\?arch=[^&\s]+(&epoch=\d+)?$/
    for (const p of doc.packages) for (const ref of p.externalRefs ?? []) expect(ref.referenceLocator).to.match(purlPattern)
  })

  it('declares SPDX expressions, or LicenseRefs backed by hasExtractedLicensingInfos', () => {
    const doc = build()
    const extracted = new Map((doc.hasExtractedLicensingInfos ?? []).map((e) => [e.licenseId, e.extractedText]))
    expect(byName(doc, 'release').licenseDeclared).to.equal('Apache-2.0 OR MIT')
    expect(byName(doc, 'libgcc', 'i686').licenseDeclared).to.equal('GPL-3.0-or-later WITH GCC-exception-3.1')
    expect(byName(doc, 'util-linux').licenseDeclared).to.equal('GPL-2.0-only AND (LicenseRef-BSD OR MIT)')
    expect(extracted.get('LicenseRef-BSD')).to.equal('BSD')
    const glibc = byName(doc, 'glibc').licenseDeclared
    expect(glibc).to.equal('LicenseRef-LGPLv2-plus AND LicenseRef-GPLv2-plus-with-exceptions')
    expect(extracted.get('LicenseRef-GPLv2-plus-with-exceptions')).to.equal('GPLv2+ with exceptions')
    // Reused, not repeated, by a second package naming the same license.
    expect(byName(doc, 'libgcc').licenseDeclared).to.equal('GPL-3.0-or-later AND LicenseRef-GPLv3-plus-with-exceptions AND LicenseRef-GPLv2-plus-with-exceptions')
    expect(byName(doc, 'libstdc++').licenseDeclared).to.equal('LicenseRef-Public-Domain')
    expect(byName(doc, 'weird').licenseDeclared).to.match(/^LicenseRef-unbalanced-and$/)
    expect(extracted.get('LicenseRef-unbalanced-and')).to.equal('(unbalanced and')
    expect(doc.packages.find((p) => p.name === 'variant-metadata')?.licenseDeclared).to.equal('NOASSERTION')
    for (const p of doc.packages) {
      if (p.licenseDeclared !== 'NOASSERTION') expect(isValidSpdxLicenseExpression(p.licenseDeclared), p.licenseDeclared).to.equal(true)
    }
  })

  it('links document, image, packages, dependencies and image files', () => {
    const doc = build()
    const edges = doc.relationships.map((r) => `${r.spdxElementId} ${r.relationshipType} ${r.relatedSpdxElement}`)
    const image = doc.packages[0].SPDXID
    expect(edges[0]).to.equal(`SPDXRef-DOCUMENT DESCRIBES ${image}`)
    expect(doc.packages[0]).to.include({name: 'aws-dev', versionInfo: '1.2.3', primaryPackagePurpose: 'OPERATING-SYSTEM'})
    const rpms = doc.packages.filter((p) => p.packageFileName !== undefined && String(p.packageFileName).endsWith('.rpm'))
    expect(rpms).to.have.length(packages.length)
    for (const rpm of rpms) expect(edges).to.include(`${image} CONTAINS ${rpm.SPDXID}`)
    const release = byName(doc, 'release').SPDXID
    expect(edges).to.include(`${release} DEPENDS_ON ${byName(doc, 'glibc').SPDXID}`)
    expect(edges).to.include(`${release} DEPENDS_ON ${byName(doc, 'libgcc', 'i686').SPDXID}`)
    expect(edges.filter((e) => e.includes('DEPENDS_ON') && e.startsWith(`${release} `))).to.have.length(6)
    expect(edges.some((e) => e.startsWith(`${release} DEPENDS_ON ${release}`))).to.equal(false)
    const files = doc.packages.filter((p) => p.primaryPackagePurpose === 'FILE')
    expect(files.map((f) => f.name)).to.deep.equal([
      'bottlerocket-aws-dev-x86_64-1.2.3-abcdef12-data.img.lz4',
      'bottlerocket-aws-dev-x86_64-1.2.3-abcdef12.img.lz4',
    ])
    expect(files[1].checksums).to.deep.equal([{algorithm: 'SHA256', checksumValue: 'ab'.repeat(32)}])
    for (const file of files) expect(edges).to.include(`${file.SPDXID} GENERATED_FROM ${image}`)
  })

  it('refuses an invalid creation time or image digest', () => {
    expect(() => build({created: new Date('nope')})).to.throw(/creation time/)
    expect(() => build({imageFiles: [{name: 'x.img', sha256: 'xyz'}]})).to.throw(/SHA-256/)
  })
})

describe('RPM License tags to SPDX', () => {
  const cases: Array<[string, string]> = [
    ['MIT', 'MIT'],
    ['mit', 'MIT'],
    ['Apache-2.0 OR MIT', 'Apache-2.0 OR MIT'],
    ['GPLv2+', 'GPL-2.0-or-later'],
    ['GPLv2', 'GPL-2.0-only'],
    ['GPLv3+', 'GPL-3.0-or-later'],
    ['GPL+', 'GPL-1.0-or-later'],
    ['LGPLv3+', 'LGPL-3.0-or-later'],
    ['ASL 2.0', 'Apache-2.0'],
    ['MIT and ASL 2.0', 'MIT AND Apache-2.0'],
    ['GPL-2.0', 'GPL-2.0-only'],
    ['GPL-2.0+', 'GPL-2.0-or-later'],
    ['LGPL-2.1+ or MPL-1.1+', 'LGPL-2.1-or-later OR MPL-1.1+'],
    ['GPL-2.0-only WITH Linux-syscall-note', 'GPL-2.0-only WITH Linux-syscall-note'],
    ['(MIT OR Apache-2.0) AND BSD-3-Clause', '(MIT OR Apache-2.0) AND BSD-3-Clause'],
    ['MIT and (BSD-2-Clause or ISC) and Zlib', 'MIT AND (BSD-2-Clause OR ISC) AND Zlib'],
    ['LGPLv2+', 'LicenseRef-LGPLv2-plus'],
    ['LGPLv2', 'LicenseRef-LGPLv2'],
    ['BSD', 'LicenseRef-BSD'],
    ['GPL-2.0-or-later+', 'LicenseRef-GPL-2.0-or-later-plus'],
    ['GPLv2 with exceptions', 'LicenseRef-GPLv2-with-exceptions'],
    ['LicenseRef-Foo WITH Bogus', 'LicenseRef-LicenseRef-Foo-with-Bogus'],
    ['', 'NOASSERTION'],
  ]
  for (const [tag, expected] of cases) {
    it(`${JSON.stringify(tag)} → ${expected}`, () => {
      const expression = spdxLicenseExpression(tag)
      expect(expression).to.equal(expected)
      if (expression !== 'NOASSERTION') expect(licenseIdentifiers(expression)).to.not.equal(undefined)
    })
  }

  it('checks expression syntax conservatively', () => {
    for (const good of ['MIT', 'GPL-2.0+', 'LicenseRef-x.1', 'Apache-2.0 OR (MIT AND ISC)', 'GPL-2.0-only WITH Linux-syscall-note AND MIT']) {
      expect(isValidSpdxLicenseExpression(good), good).to.equal(true)
    }
    for (const bad of ['', 'MIT and BSD', 'ASL 2.0', 'MIT OR', '(MIT', 'MIT)', 'MIT WITH', 'MIT WITH X+', 'GPL++', 'Public Domain', 'AND', 'MIT AND OR ISC', '(MIT) WITH X']) {
      expect(isValidSpdxLicenseExpression(bad), bad).to.equal(false)
    }
  })
})
