/**
 * An SPDX 2.3 (JSON) software bill of materials for a variant image: one package for the image, one per
 * installed RPM, and one per image file written. RPM License tags are turned into SPDX license expressions
 * where that can be done without guessing; anything else is kept verbatim as a LicenseRef.
 */

import {createHash} from 'node:crypto'

import {writeFileAtomic} from '../fs/atomic.js'
import type {InstalledPackage} from './types.js'

export interface SpdxInput {
  variant: string
  version: string
  buildId: string
  arch: string
  toolVersion: string
  created: Date
  packages: InstalledPackage[]
  imageFiles?: Array<{name: string; sha256: string}>
  /** Mixed into the document namespace, for callers that need two documents for the same inputs to differ. */
  namespaceSeed?: string
}

export interface SpdxExtractedLicense {
  licenseId: string
  extractedText: string
  name: string
  comment: string
}

export interface SpdxPackage {
  SPDXID: string
  name: string
  versionInfo: string
  packageFileName?: string
  supplier: string
  downloadLocation: string
  filesAnalyzed: false
  checksums?: Array<{algorithm: 'SHA256'; checksumValue: string}>
  homepage?: string
  sourceInfo?: string
  licenseConcluded: string
  licenseDeclared: string
  copyrightText: string
  summary?: string
  comment?: string
  externalRefs?: Array<{referenceCategory: 'PACKAGE-MANAGER'; referenceType: 'purl'; referenceLocator: string}>
  primaryPackagePurpose?: string
}

export interface SpdxRelationship {
  spdxElementId: string
  relationshipType: 'DESCRIBES' | 'CONTAINS' | 'DEPENDS_ON' | 'GENERATED_FROM'
  relatedSpdxElement: string
}

export interface SpdxDocument {
  spdxVersion: 'SPDX-2.3'
  dataLicense: 'CC0-1.0'
  SPDXID: 'SPDXRef-DOCUMENT'
  name: string
  documentNamespace: string
  creationInfo: {created: string; creators: string[]}
  packages: SpdxPackage[]
  hasExtractedLicensingInfos?: SpdxExtractedLicense[]
  relationships: SpdxRelationship[]
}

const NOASSERTION = 'NOASSERTION'
const IMAGE_ID = 'SPDXRef-Image'

export function spdxDocument(input: SpdxInput): SpdxDocument {
  const created = spdxTimestamp(input.created)
  const licenses = new LicenseRefs()
  const ids = new Set<string>(['SPDXRef-DOCUMENT', IMAGE_ID])
  const packages = [...input.packages].sort(comparePackages)
  const imageFiles = [...(input.imageFiles ?? [])].sort((a, b) => compare(a.name, b.name))

  const image: SpdxPackage = {
    SPDXID: IMAGE_ID,
    name: input.variant,
    versionInfo: input.version,
    supplier: NOASSERTION,
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    licenseConcluded: NOASSERTION,
    licenseDeclared: NOASSERTION,
    copyrightText: NOASSERTION,
    comment: `Variant ${input.variant} ${input.version}, build ${input.buildId}, for ${input.arch}.`,
    primaryPackagePurpose: 'OPERATING-SYSTEM',
  }

  const rpmIds: string[] = []
  const rpmPackages = packages.map((pkg) => {
    const id = uniqueId(ids, `SPDXRef-Package-rpm-${idString(pkg.name)}-${idString(pkg.arch)}`)
    rpmIds.push(id)
    return rpmPackage(pkg, id, licenses)
  })

  const fileIds: string[] = []
  const filePackages = imageFiles.map((file) => {
    const id = uniqueId(ids, `SPDXRef-ImageFile-${idString(file.name)}`)
    fileIds.push(id)
    return imageFilePackage(file, id)
  })

  const relationships: SpdxRelationship[] = [
    {spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: IMAGE_ID},
    ...rpmIds.map((id): SpdxRelationship => ({spdxElementId: IMAGE_ID, relationshipType: 'CONTAINS', relatedSpdxElement: id})),
    ...dependencyEdges(packages, rpmIds),
    ...fileIds.map((id): SpdxRelationship => ({spdxElementId: id, relationshipType: 'GENERATED_FROM', relatedSpdxElement: IMAGE_ID})),
  ]

  const name = `${input.variant}-${input.arch}-${input.version}-${input.buildId}`
  const extracted = licenses.extracted()
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name,
    documentNamespace: documentNamespace(input, name, created, packages, imageFiles),
    creationInfo: {created, creators: [`Tool: twoliter-${input.toolVersion}`]},
    packages: [image, ...rpmPackages, ...filePackages],
    ...(extracted.length > 0 ? {hasExtractedLicensingInfos: extracted} : {}),
    relationships,
  }
}

export async function writeSpdxDocument(file: string, input: SpdxInput): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(spdxDocument(input), null, 2) + '\n')
}

/**
 * Whether the text has the shape of an SPDX license expression: identifiers (with an optional trailing `+`)
 * joined by AND / OR, `license WITH exception`, and balanced parentheses. It does not check that the
 * identifiers are on the SPDX License List.
 */
export function isValidSpdxLicenseExpression(text: string): boolean {
  const tokens = text.match(/\(|\)|[^\s()]+/g)
  if (!tokens) return false
  let position = 0
  const peek = (): string | undefined => tokens[position]
  const isOperator = (token: string | undefined) => token === 'AND' || token === 'OR' || token === 'WITH'

  const simple = (): boolean => {
    const token = peek()
    if (token === undefined || isOperator(token) || !/^[A-Za-z0-9.-]+\+?$/.test(token)) return false
    position++
    if (peek() !== 'WITH') return true
    position++
    const exception = peek()
    if (exception === undefined || isOperator(exception) || !/^[A-Za-z0-9.-]+$/.test(exception)) return false
    position++
    return true
  }
  const primary = (): boolean => {
    if (peek() !== '(') return simple()
    position++
    if (!expression() || peek() !== ')') return false
    position++
    return true
  }
  const expression = (): boolean => {
    if (!primary()) return false
    while (peek() === 'AND' || peek() === 'OR') {
      position++
      if (!primary()) return false
    }
    return true
  }
  return expression() && position === tokens.length
}

/**
 * The SPDX expression for an RPM License tag, with the LicenseRefs it had to make registered in `refs`.
 * Exported for the tests and for callers that want the same mapping elsewhere.
 */
export function spdxLicenseExpression(tag: string, refs: LicenseRefs = new LicenseRefs()): string {
  const text = collapse(tag)
  if (text === '' || text === NOASSERTION || text === 'NONE') return text === 'NONE' ? 'NONE' : NOASSERTION
  let tree: LicenseNode
  try {
    tree = parseLicenseTag(text)
  } catch {
    return refs.refFor(text)
  }
  return render(tree, refs)
}

/** The LicenseRefs a document uses: one per distinct free-text license, with stable, unique ids. */
export class LicenseRefs {
  private readonly byText = new Map<string, string>()
  private readonly taken = new Set<string>()

  refFor(text: string): string {
    const existing = this.byText.get(text)
    if (existing) return existing
    const base = idString(text.replaceAll('+', '-plus-'))
    let id = `LicenseRef-${base || digest(text).slice(0, 12)}`
    // Different texts can sanitize alike ("Public Domain", "Public-Domain"); the digest tells them apart.
    if (this.taken.has(id)) id = `${id}-${digest(text).slice(0, 12)}`
    this.taken.add(id)
    this.byText.set(text, id)
    return id
  }

  extracted(): SpdxExtractedLicense[] {
    return [...this.byText]
      .map(([text, licenseId]) => ({
        licenseId,
        extractedText: text,
        name: text,
        comment: 'A license named in an RPM License tag, kept verbatim: it is not an identifier on the SPDX License List.',
      }))
      .sort((a, b) => compare(a.licenseId, b.licenseId))
  }
}

/*
 * Fedora's pre-2022 short names whose SPDX meaning is unambiguous. Deliberately absent: LGPLv2 and LGPLv2+
 * (Fedora used them for both 2.0 and 2.1), BSD (which clause count), GFDL, Python, Public Domain; those
 * stay LicenseRefs rather than claim a license the package might not carry.
 */
const LEGACY_NAMES: Readonly<Record<string, string>> = {
  'GPL+': 'GPL-1.0-or-later',
  GPLv2: 'GPL-2.0-only',
  'GPLv2+': 'GPL-2.0-or-later',
  GPLv3: 'GPL-3.0-only',
  'GPLv3+': 'GPL-3.0-or-later',
  LGPLv3: 'LGPL-3.0-only',
  'LGPLv3+': 'LGPL-3.0-or-later',
  AGPLv3: 'AGPL-3.0-only',
  'AGPLv3+': 'AGPL-3.0-or-later',
  'ASL 2.0': 'Apache-2.0',
  'MPLv1.1': 'MPL-1.1',
  'MPLv2.0': 'MPL-2.0',
  'Artistic 2.0': 'Artistic-2.0',
  Boost: 'BSL-1.0',
  CC0: 'CC0-1.0',
}

/* Deprecated SPDX identifiers and the identifiers the SPDX License List says replace them. */
const DEPRECATED_IDS: Readonly<Record<string, string>> = Object.fromEntries(
  ['GPL-1.0', 'GPL-2.0', 'GPL-3.0', 'LGPL-2.0', 'LGPL-2.1', 'LGPL-3.0', 'AGPL-3.0', 'GFDL-1.1', 'GFDL-1.2', 'GFDL-1.3'].flatMap(
    (base) => [
      [base.toLowerCase(), `${base}-only`],
      [`${base.toLowerCase()}+`, `${base}-or-later`],
    ],
  ),
)

/*
 * SPDX License List identifiers accepted as they are. Not the whole list: an identifier missing here
 * becomes a LicenseRef, which is less precise but never wrong.
 */
const KNOWN_IDS = byLowerCase([
  '0BSD', 'AFL-2.1', 'AGPL-3.0-only', 'AGPL-3.0-or-later', 'Apache-1.1', 'Apache-2.0', 'Artistic-1.0',
  'Artistic-1.0-Perl', 'Artistic-2.0', 'Beerware', 'blessing', 'BSD-1-Clause', 'BSD-2-Clause', 'BSD-2-Clause-Patent',
  'BSD-3-Clause', 'BSD-3-Clause-Clear', 'BSD-4-Clause', 'BSD-4-Clause-UC', 'BSD-Source-Code', 'BSL-1.0', 'bzip2-1.0.6',
  'CC-BY-3.0', 'CC-BY-4.0', 'CC-BY-SA-3.0', 'CC-BY-SA-4.0', 'CC0-1.0', 'CDDL-1.0', 'CDDL-1.1', 'curl', 'EPL-1.0',
  'EPL-2.0', 'FSFAP', 'FSFUL', 'FSFULLR', 'FTL', 'GFDL-1.1-only', 'GFDL-1.1-or-later', 'GFDL-1.2-only',
  'GFDL-1.2-or-later', 'GFDL-1.3-only', 'GFDL-1.3-or-later', 'GPL-1.0-only', 'GPL-1.0-or-later', 'GPL-2.0-only',
  'GPL-2.0-or-later', 'GPL-3.0-only', 'GPL-3.0-or-later', 'HPND', 'ICU', 'IJG', 'ISC', 'LGPL-2.0-only',
  'LGPL-2.0-or-later', 'LGPL-2.1-only', 'LGPL-2.1-or-later', 'LGPL-3.0-only', 'LGPL-3.0-or-later', 'Libpng',
  'libpng-2.0', 'libtiff', 'MIT', 'MIT-0', 'MIT-CMU', 'MIT-Modern-Variant', 'MPL-1.1', 'MPL-2.0', 'NCSA', 'OFL-1.1',
  'OpenSSL', 'OpenSSL-standalone', 'PSF-2.0', 'Python-2.0', 'Ruby', 'Sleepycat', 'Spencer-94', 'SSLeay-standalone',
  'Unicode-3.0', 'Unicode-DFS-2016', 'Unicode-TOU', 'Unlicense', 'Vim', 'W3C', 'WTFPL', 'X11', 'Zlib',
  'zlib-acknowledgement', 'ZPL-2.1',
])

const KNOWN_EXCEPTIONS = byLowerCase([
  'Autoconf-exception-2.0', 'Autoconf-exception-3.0', 'Bison-exception-2.2', 'Classpath-exception-2.0',
  'Font-exception-2.0', 'GCC-exception-2.0', 'GCC-exception-3.1', 'Libtool-exception', 'Linux-syscall-note',
  'LLVM-exception', 'openvpn-openssl-exception', 'Qt-GPL-exception-1.0', 'u-boot-exception-2.0',
  'Universal-FOSS-exception-1.0', 'WxWindows-exception-3.1',
])

type LicenseNode = {kind: 'leaf'; text: string} | {kind: 'with'; license: string; exception: string} | {kind: 'AND' | 'OR'; items: LicenseNode[]}

/*
 * Parses a License tag leniently: operators in any case (Fedora wrote "and"/"or"), and a leaf is every word
 * up to the next operator or parenthesis, so that "ASL 2.0" or "Public Domain" stay one license.
 */
function parseLicenseTag(text: string): LicenseNode {
  type Token = {type: 'AND' | 'OR' | 'WITH' | '(' | ')'} | {type: 'leaf'; text: string}
  const tokens: Token[] = []
  for (const word of text.match(/\(|\)|[^\s()]+/g) ?? []) {
    const upper = word.toUpperCase()
    const previous = tokens.at(-1)
    if (upper === 'AND' || upper === 'OR' || upper === 'WITH' || word === '(' || word === ')') {
      tokens.push({type: upper as 'AND' | 'OR' | 'WITH' | '(' | ')'})
    } else if (previous?.type === 'leaf') {
      previous.text = `${previous.text} ${word}`
    } else {
      tokens.push({type: 'leaf', text: word})
    }
  }

  let position = 0
  const peek = () => tokens[position]?.type
  const leaf = (): string => {
    const token = tokens[position]
    if (token?.type !== 'leaf') throw new Error('expected a license')
    position++
    return token.text
  }
  const primary = (): LicenseNode => {
    if (peek() === '(') {
      position++
      const inner = disjunction()
      if (peek() !== ')') throw new Error('unbalanced parentheses')
      position++
      return inner
    }
    const license = leaf()
    if (peek() !== 'WITH') return {kind: 'leaf', text: license}
    position++
    return {kind: 'with', license, exception: leaf()}
  }
  const series = (kind: 'AND' | 'OR', next: () => LicenseNode): LicenseNode => {
    const items = [next()]
    while (peek() === kind) {
      position++
      items.push(next())
    }
    return items.length === 1 ? items[0] : {kind, items}
  }
  const conjunction = () => series('AND', primary)
  const disjunction = (): LicenseNode => series('OR', conjunction)
  const tree = disjunction()
  if (position !== tokens.length) throw new Error('unexpected text after the expression')
  return tree
}

function render(node: LicenseNode, refs: LicenseRefs): string {
  switch (node.kind) {
    case 'leaf':
      return spdxIdentifier(node.text) ?? refs.refFor(node.text)
    case 'with': {
      const exception = KNOWN_EXCEPTIONS.get(node.exception.toLowerCase())
      if (!exception) return refs.refFor(`${node.license} with ${node.exception}`)
      return `${spdxIdentifier(node.license) ?? refs.refFor(node.license)} WITH ${exception}`
    }
    case 'AND':
      return node.items.map((item) => (item.kind === 'OR' ? `(${render(item, refs)})` : render(item, refs))).join(' AND ')
    case 'OR':
      return node.items.map((item) => render(item, refs)).join(' OR ')
  }
}

/** The SPDX identifier a single license name stands for, when that is certain. */
function spdxIdentifier(text: string): string | undefined {
  const legacy = LEGACY_NAMES[text]
  if (legacy) return legacy
  const lower = text.toLowerCase()
  const known = KNOWN_IDS.get(lower) ?? DEPRECATED_IDS[lower]
  if (known) return known
  if (lower.endsWith('+')) {
    const base = KNOWN_IDS.get(lower.slice(0, -1))
    // "-only" and "-or-later" already say which versions; a "+" on them would contradict or repeat that.
    if (base && !/-(only|or-later)$/.test(base)) return `${base}+`
  }
  return undefined
}

function rpmPackage(pkg: InstalledPackage, id: string, licenses: LicenseRefs): SpdxPackage {
  const vendor = pkg.vendor ? collapse(pkg.vendor) : ''
  const homepage = httpUrl(pkg.url)
  const summary = collapse(pkg.summary)
  return {
    SPDXID: id,
    name: pkg.name,
    versionInfo: evr(pkg),
    packageFileName: pkg.rpm,
    supplier: vendor ? `Organization: ${vendor}` : NOASSERTION,
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    ...(homepage ? {homepage} : {}),
    sourceInfo: `Installed from dnf repository ${pkg.repo} (source: ${pkg.source}).`,
    licenseConcluded: NOASSERTION,
    licenseDeclared: spdxLicenseExpression(pkg.license, licenses),
    copyrightText: NOASSERTION,
    ...(summary ? {summary} : {}),
    externalRefs: [{referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: purl(pkg)}],
  }
}

function imageFilePackage(file: {name: string; sha256: string}, id: string): SpdxPackage {
  const checksum = file.sha256.toLowerCase()
  if (!/^[0-9a-f]{64}$/.test(checksum)) throw new Error(`image file ${file.name} has an invalid SHA-256 digest: ${file.sha256}`)
  return {
    SPDXID: id,
    name: file.name,
    versionInfo: NOASSERTION,
    packageFileName: file.name,
    supplier: NOASSERTION,
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    // A package rather than an SPDX file: SPDX 2.3 files must carry a SHA-1, and only SHA-256 is known here.
    checksums: [{algorithm: 'SHA256', checksumValue: checksum}],
    licenseConcluded: NOASSERTION,
    licenseDeclared: NOASSERTION,
    copyrightText: NOASSERTION,
    primaryPackagePurpose: 'FILE',
  }
}

/** `pkg:rpm/<vendor>/<name>@<version>-<release>?arch=<arch>[&epoch=<epoch>]`, per the purl rpm type. */
export function purl(pkg: InstalledPackage): string {
  const namespace = purlSegment(((pkg.vendor && collapse(pkg.vendor)) || 'bottlerocket').toLowerCase())
  const qualifiers = [`arch=${purlSegment(pkg.arch)}`]
  if (pkg.epoch && pkg.epoch !== '0') qualifiers.push(`epoch=${purlSegment(pkg.epoch)}`)
  return `pkg:rpm/${namespace}/${purlSegment(pkg.name)}@${purlSegment(`${pkg.version}-${pkg.release}`)}?${qualifiers.join('&')}`
}

/*
 * DEPENDS_ON from each included package to what it pulled in. requestedBy is by name, so a name installed
 * for several arches links to the copy of the same arch when there is one.
 */
function dependencyEdges(packages: InstalledPackage[], ids: string[]): SpdxRelationship[] {
  const byName = new Map<string, number[]>()
  packages.forEach((pkg, index) => byName.set(pkg.name, [...(byName.get(pkg.name) ?? []), index]))
  const edges = new Set<string>()
  packages.forEach((pkg, index) => {
    for (const requester of pkg.requestedBy) {
      const candidates = byName.get(requester) ?? []
      const sameArch = candidates.filter((candidate) => packages[candidate].arch === pkg.arch)
      for (const candidate of sameArch.length > 0 ? sameArch : candidates) {
        if (candidate !== index) edges.add(`${ids[candidate]} ${ids[index]}`)
      }
    }
  })
  return [...edges].sort(compare).map((edge) => {
    const [from, to] = edge.split(' ')
    return {spdxElementId: from, relationshipType: 'DEPENDS_ON', relatedSpdxElement: to}
  })
}

function documentNamespace(
  input: SpdxInput,
  name: string,
  created: string,
  packages: InstalledPackage[],
  imageFiles: Array<{name: string; sha256: string}>,
): string {
  const hash = digest(
    JSON.stringify({
      seed: input.namespaceSeed ?? '',
      name,
      created,
      tool: input.toolVersion,
      packages: packages.map((pkg) => [pkg.name, evr(pkg), pkg.arch, pkg.source, pkg.rpm]),
      files: imageFiles.map((file) => [file.name, file.sha256.toLowerCase()]),
    }),
  )
  return `https://spdx.org/spdxdocs/twoliter/${encodeURIComponent(name)}-${hash.slice(0, 32)}`
}

function spdxTimestamp(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new Error('the SPDX creation time is not a valid date')
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function evr(pkg: InstalledPackage): string {
  const epoch = pkg.epoch && pkg.epoch !== '0' ? `${pkg.epoch}:` : ''
  return `${epoch}${pkg.version}-${pkg.release}`
}

function uniqueId(taken: Set<string>, base: string): string {
  let id = base
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`
  taken.add(id)
  return id
}

/** Text reduced to what an SPDX idstring may hold: letters, digits, `.` and `-`. */
function idString(text: string): string {
  return text
    .replaceAll(/[^A-Za-z0-9.-]+/g, '-')
    .replaceAll(/-{2,}/g, '-')
    .replaceAll(/^-|-$/g, '')
}

function purlSegment(text: string): string {
  return encodeURIComponent(text).replaceAll(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
}

function httpUrl(url: string | undefined): string | undefined {
  if (!url) return undefined
  try {
    const parsed = new URL(url.trim())
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? url.trim() : undefined
  } catch {
    return undefined
  }
}

function comparePackages(a: InstalledPackage, b: InstalledPackage): number {
  return (
    compare(a.name, b.name) ||
    compare(a.arch, b.arch) ||
    compare(evr(a), evr(b)) ||
    compare(a.source, b.source) ||
    compare(a.rpm, b.rpm)
  )
}

/** Code-unit order, so output does not depend on the locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

function collapse(text: string): string {
  return text.replaceAll(/\s+/g, ' ').trim()
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex')
}

function byLowerCase(ids: string[]): ReadonlyMap<string, string> {
  return new Map(ids.map((id) => [id.toLowerCase(), id]))
}
