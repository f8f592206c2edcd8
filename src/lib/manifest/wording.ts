import type {KeyPath, TomlDocument} from '../toml/document.js'
import {TableReader, type Wording, describeValue} from '../toml/table-reader.js'

/** How problems in a Cargo.toml are put into words: keys by their dotted path, as cargo names them. */
export const MANIFEST_WORDING: Wording = {
  keyName: dottedKey,
  missingKey: (tablePath, key) => `${tableName(tablePath)} has no ${key}.`,
  wrongType: (path, expected, value) => `${dottedKey(path)} must be ${expected}, not ${describeValue(value, 'bare')}.`,
  wrongItem: (arrayPath, index, expected, item) =>
    `${dottedKey(arrayPath)} must be ${expected.array}, but item ${index + 1} is ${describeValue(item, 'bare')}.`,
  codes: {missingKey: 'manifest.missing-key', invalidValue: 'manifest.invalid-value'},
}

/** A reader of the manifest's top-level table. */
export function manifestReader(document: TomlDocument): TableReader {
  return TableReader.root(document, MANIFEST_WORDING)
}

/** `package.metadata.build-package.external-files[0].url` */
function dottedKey(path: KeyPath): string {
  return path.map((part) => (typeof part === 'number' ? `[${part}]` : part)).join('.').replaceAll('.[', '[')
}

/** `[package.metadata.build-kit]`, or the dotted path of an entry of an array of tables. */
function tableName(path: KeyPath): string {
  return typeof path.at(-1) === 'number' ? dottedKey(path) : `[${dottedKey(path)}]`
}
