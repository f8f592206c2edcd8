import {expect} from 'chai'

import {UsageError} from '../../../src/lib/errors.js'
import {loadWorkspace} from '../../../src/lib/manifest/index.js'
import {fixture, lineOf, rejection} from './helpers.js'

interface ErrorCase {
  /** Directory under test/fixtures/manifest/errors. */
  fixture: string
  code: string
  /** The file the error must point at, relative to the fixture. */
  file: string
  /** Text of the line the error must point at; undefined when the error names only the file. */
  line?: string
  /** Fragments the message (plus hint) must contain. */
  says: string[]
}

const MEMBER = 'packages/p/Cargo.toml'

const CASES: ErrorCase[] = [
  // Removed keys of build-package.
  {fixture: 'removed-variant-sensitive', code: 'manifest.removed-key', file: MEMBER, line: 'variant-sensitive', says: ['variant-sensitive is no longer supported', 'Remove the key']},
  {fixture: 'removed-package-features', code: 'manifest.removed-key', file: MEMBER, line: 'package-features', says: ['package-features is no longer supported', 'image-features']},
  // build-package values.
  {fixture: 'package-name-invalid', code: 'manifest.invalid-value', file: MEMBER, line: 'package-name', says: ['package-name = "p/1.0"']},
  {fixture: 'source-groups-not-array', code: 'manifest.invalid-value', file: MEMBER, line: 'source-groups', says: ['source-groups must be an array of strings, not "api"']},
  {fixture: 'external-file-bad-sha512', code: 'manifest.invalid-value', file: MEMBER, line: 'sha512', says: ['external-files[0].sha512', '128 hexadecimal characters']},
  {fixture: 'external-file-missing-url', code: 'manifest.missing-key', file: MEMBER, line: '[[package.metadata.build-package.external-files]]', says: ['has no url']},
  {fixture: 'external-file-bad-url', code: 'manifest.invalid-value', file: MEMBER, line: 'url =', says: ['is not a valid URL']},
  {fixture: 'external-file-url-without-name', code: 'manifest.invalid-value', file: MEMBER, line: 'url =', says: ['does not end in a file name', 'path = "FILE-NAME"']},
  {fixture: 'external-file-path-not-plain', code: 'manifest.invalid-value', file: MEMBER, line: 'path =', says: ['must be a plain file name']},
  {fixture: 'external-file-bad-bundle-module', code: 'manifest.invalid-value', file: MEMBER, line: 'bundle-modules', says: ['bundle-modules must be an array of "go"', '"cargo"']},
  {fixture: 'external-file-force-upstream-not-boolean', code: 'manifest.invalid-value', file: MEMBER, line: 'force-upstream', says: ['force-upstream must be true or false, not "yes"']},
  {fixture: 'external-files-not-tables', code: 'manifest.invalid-value', file: MEMBER, line: 'external-files', says: ['must be an array of tables']},
  // build-kit.
  {fixture: 'kit-without-vendor', code: 'manifest.missing-key', file: MEMBER, line: '[package.metadata.build-kit]', says: ['[package.metadata.build-kit] has no vendor', 'vendor = "NAME"']},
  {fixture: 'kit-vendor-not-identifier', code: 'manifest.invalid-value', file: MEMBER, line: 'vendor', says: ['vendor = "my vendor" is not valid', 'letters, digits']},
  {fixture: 'kit-name-not-identifier', code: 'manifest.invalid-value', file: MEMBER, line: 'kit-name', says: ['kit-name = "p.kit" is not valid']},
  // build-variant.
  {fixture: 'bad-image-format', code: 'manifest.invalid-value', file: MEMBER, line: 'image-format', says: ['"raw", "qcow2", "vmdk"', 'not "iso"']},
  {fixture: 'bad-partition-plan', code: 'manifest.invalid-value', file: MEMBER, line: 'partition-plan', says: ['"split", "unified"', 'not "merged"']},
  {fixture: 'image-size-out-of-range', code: 'manifest.invalid-value', file: MEMBER, line: 'os-image-size-gib', says: ['from 0 to 65535', 'not 70000']},
  {fixture: 'image-size-not-integer', code: 'manifest.invalid-value', file: MEMBER, line: 'data-image-size-gib', says: ['whole number', 'not "1"']},
  {fixture: 'image-size-float', code: 'manifest.invalid-value', file: MEMBER, line: 'data-image-size-gib', says: ['whole number', 'not 2.0']},
  {fixture: 'bad-supported-arch', code: 'manifest.invalid-value', file: MEMBER, line: 'supported-arches', says: ['"x86_64", "aarch64"', 'item 2 is "riscv64"']},
  {fixture: 'included-packages-not-strings', code: 'manifest.invalid-value', file: MEMBER, line: 'included-packages', says: ['array of strings', 'item 2 is 2']},
  {fixture: 'kernel-parameters-not-array', code: 'manifest.invalid-value', file: MEMBER, line: 'kernel-parameters', says: ['kernel-parameters must be an array of strings']},
  {fixture: 'kit-priority-not-array', code: 'manifest.invalid-value', file: MEMBER, line: 'kit-priority', says: ['kit-priority must be an array of strings']},
  {
    fixture: 'unknown-image-feature',
    code: 'manifest.unknown-feature',
    file: MEMBER,
    line: 'uefi-secure-bot',
    says: [
      'unknown feature "uefi-secure-bot"',
      'Did you mean uefi-secure-boot?',
      '"in-place-updates", "host-containers", "grub-set-private-var", "uefi-secure-boot", "systemd-networkd", "xfs-data-partition", "erofs-root-partition", "fips"',
    ],
  },
  {fixture: 'removed-image-feature', code: 'manifest.unknown-feature', file: MEMBER, line: 'unified-cgroup-hierarchy', says: ['unknown feature "unified-cgroup-hierarchy"', '"fips"']},
  {fixture: 'image-feature-not-boolean', code: 'manifest.invalid-value', file: MEMBER, line: 'fips', says: ['image-features.fips must be true or false']},
  {fixture: 'metadata-not-a-table', code: 'manifest.invalid-value', file: MEMBER, line: 'build-variant = true', says: ['package.metadata.build-variant must be a table']},
  // [package] itself.
  {fixture: 'package-without-name', code: 'manifest.missing-key', file: MEMBER, line: '[package]', says: ['[package] has no name']},
  {fixture: 'no-package-table', code: 'manifest.missing-key', file: MEMBER, says: ['no [package] table']},
  {fixture: 'member-syntax-error', code: 'toml.syntax', file: MEMBER, line: 'package-name', says: ['not valid TOML']},
  {fixture: 'workspace-version-missing', code: 'manifest.invalid-value', file: MEMBER, line: 'version.workspace', says: ['[workspace.package] version']},
  // Dependencies.
  {fixture: 'workspace-dependency-missing', code: 'manifest.invalid-value', file: MEMBER, line: 'q = { workspace = true }', says: ['[workspace.dependencies] entry "q"']},
  {fixture: 'dependency-not-member', code: 'manifest.dependency', file: MEMBER, line: 'other = ', says: ['points to packages/other, which is not a member of the workspace', 'Add "packages/other" to [workspace] members']},
  {fixture: 'dependency-without-manifest', code: 'manifest.dependency', file: MEMBER, line: 'nowhere = ', says: ['points to packages/nowhere, which has no Cargo.toml']},
  {fixture: 'dependency-name-mismatch', code: 'manifest.dependency', file: MEMBER, line: 'wrong-name = ', says: ['named "q", not "wrong-name"', 'package = "q"']},
  {fixture: 'duplicate-name', code: 'manifest.duplicate-name', file: 'packages/q/Cargo.toml', line: 'package-name', says: ['two workspace members are named "same"', 'packages/p/Cargo.toml:6:1', 'rename one']},
  // The root Cargo.toml.
  {fixture: 'member-without-manifest', code: 'manifest.workspace', file: 'Cargo.toml', line: '"packages/missing"', says: ['workspace member "packages/missing" has no Cargo.toml']},
  {fixture: 'unsupported-member-glob', code: 'manifest.workspace', file: 'Cargo.toml', line: 'packages/p-*', says: ['"packages/p-*" is not supported', 'DIR/*']},
  {fixture: 'no-workspace-table', code: 'manifest.workspace', file: 'Cargo.toml', says: ['has no [workspace] table']},
]

describe('manifest errors', () => {
  for (const testCase of CASES) {
    it(`${testCase.fixture}: ${testCase.code} at the offending line`, async () => {
      const root = fixture('errors', testCase.fixture)
      const error = await rejection(loadWorkspace(root))
      const file = fixture('errors', testCase.fixture, testCase.file)
      expect(error.code).to.equal(testCase.code)
      expect(error.location?.file).to.equal(file)
      expect(error.location?.line).to.equal(testCase.line === undefined ? undefined : lineOf(file, testCase.line))
      const text = `${error.message} ${error.hint}`
      for (const fragment of testCase.says) expect(text).to.include(fragment)
      expect(error.hint, 'every error says what to do').to.be.a('string').and.not.equal('')
      expect(error).not.to.be.instanceOf(UsageError)
    })
  }

  it('reports a project root without a Cargo.toml', async () => {
    const error = await rejection(loadWorkspace(fixture('errors', 'no-root-manifest')))
    expect(error.code).to.equal('file.missing')
    expect(error.message).to.include('Cargo.toml does not exist')
  })

  it('keeps to the rule that one fixture exists per error case', async () => {
    const {readdir} = await import('node:fs/promises')
    const dirs = (await readdir(fixture('errors'))).sort()
    expect(dirs).to.deep.equal([...CASES.map((testCase) => testCase.fixture), 'no-root-manifest'].sort())
  })
})
