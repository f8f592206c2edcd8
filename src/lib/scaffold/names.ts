import {UsageError} from '../errors.js'

/**
 * Names that work everywhere twoliter and the Rust twoliter use them: Cargo package names, RPM names,
 * directory names and the identifiers of Twoliter.toml.
 */
export function checkName(name: string, what: string, flag = '--name'): string {
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name)) {
    throw new UsageError(`${flag} '${name}' is not a valid ${what} name.`, {
      hint: 'Use letters, digits, - and _ only, starting with a letter (for example my-package).',
      code: 'scaffold.name',
    })
  }

  return name
}
