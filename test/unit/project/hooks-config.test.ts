import {expect} from 'chai'

import {HOOK_POINTS, type HookCommand, describeCommand, readHooksConfig} from '../../../src/lib/project/hooks-config.js'
import {parseToml} from '../../../src/lib/toml/document.js'
import {expectThrownTwoliterError, lineOf} from './helpers.js'

const FILE = '/project/Twoliter.toml'
const MINIMAL = 'schema-version = 1\nrelease-version = "1.0.0"\n'

function read(text: string) {
  return readHooksConfig({document: parseToml(FILE, text)})
}

function expectError(text: string, code: string) {
  return expectThrownTwoliterError(() => read(text), code)
}

/** The 1-based column of `needle` in the first line of `text` that contains it. */
function columnOf(text: string, needle: string): number {
  return text.split('\n')[lineOf(text, needle) - 1].indexOf(needle) + 1
}

describe('[hooks] of Twoliter.toml', () => {
  it('has no steps at any point when the table is absent', () => {
    const hooks = read(MINIMAL)
    expect(Object.keys(hooks)).to.deep.equal([...HOOK_POINTS])
    for (const point of HOOK_POINTS) expect(hooks[point]).to.deep.equal([])
  })

  it('reads both command forms of every point, in file order, each with its line', () => {
    const text = `${MINIMAL}
[hooks]
pre-build-package = [
  ["scripts/stamp.sh", "--fast", ""],
  "echo building $TWOLITER_TARGET",
]
post-build-package = ["ls -l $TWOLITER_OUTPUT_DIR"]
pre-build-kit = [["true"]]
post-build-kit = [["true"]]
pre-build-variant = [["true"]]
post-build-variant = [["true"]]
pre-publish-kit = [["true"]]
post-publish-kit = []
`
    const hooks = read(text)
    expect(hooks['pre-build-package'].map((step) => step.command)).to.deep.equal([
      {form: 'argv', program: 'scripts/stamp.sh', args: ['--fast', '']},
      {form: 'shell', script: 'echo building $TWOLITER_TARGET'},
    ])
    expect(hooks['pre-build-package'].map((step) => step.location)).to.deep.equal([
      {file: FILE, line: lineOf(text, '["scripts/stamp.sh"'), column: 3},
      {file: FILE, line: lineOf(text, '"echo building'), column: 3},
    ])
    expect(hooks['post-build-package']).to.deep.equal([
      {command: {form: 'shell', script: 'ls -l $TWOLITER_OUTPUT_DIR'}, location: {file: FILE, line: lineOf(text, 'post-build-package'), column: 23}},
    ])
    for (const point of ['pre-build-kit', 'post-build-kit', 'pre-build-variant', 'post-build-variant', 'pre-publish-kit'] as const) {
      expect(hooks[point].map((step) => step.command), point).to.deep.equal([{form: 'argv', program: 'true', args: []}])
    }

    expect(hooks['post-publish-kit']).to.deep.equal([])
  })

  it('reads dotted keys and inline tables too, locating their steps at the key', () => {
    const dotted = `${MINIMAL}hooks.pre-build-package = ["make stamp"]\n`
    expect(read(dotted)['pre-build-package']).to.deep.equal([
      {command: {form: 'shell', script: 'make stamp'}, location: {file: FILE, line: 3, column: columnOf(dotted, '"make')}},
    ])
    const inline = `${MINIMAL}hooks = { post-build-package = [["sha256sum", "x"]] }\n`
    expect(read(inline)['post-build-package']).to.deep.equal([
      {command: {form: 'argv', program: 'sha256sum', args: ['x']}, location: {file: FILE, line: 3, column: 1}},
    ])
  })

  it('is not confused by brackets, commas and quotes inside strings and comments when locating entries', () => {
    const text = `${MINIMAL}[hooks]
pre-build-package = [ # a comment with [brackets], commas and "quotes"
  'echo "[a, b]" \\', # a literal string ending in a backslash
  """
  echo ']' ,
  """,
  ["printf", "%s\\"],["],
  [1],
]
`
    const error = expectError(text, 'project.invalid-hook-command')
    expect(error.message).to.equal('word 1 of the 4th command of `pre-build-package` in [hooks] must be a string, but it is an integer (1).')
    expect(error.location).to.deep.equal({file: FILE, line: lineOf(text, '[1]'), column: 4})
    expect(read(text.replace('[1]', '["true"]'))['pre-build-package'].map((step) => step.location.line)).to.deep.equal([5, 6, 9, 10])
  })

  it('locates a key that follows a list of argv commands, whose lines start with "[" like table headers', () => {
    const text = `${MINIMAL}
[[kit]]
name = "a"
hooks = "not these"

[hooks]
pre-build-package = [
  ["scripts/a.sh"],
  ["scripts/b.sh"],
]
pre-build-kit = [
  """two quotes at the end"\\"""",
  ["scripts/c.sh"]]
post-build-pakage = []

[sdk]
pre-build-variant = "not this one either"
`
    expect(read(text.replace('post-build-pakage = []\n', ''))['pre-build-kit'].map((step) => step.location)).to.deep.equal([
      {file: FILE, line: lineOf(text, 'two quotes'), column: 3},
      {file: FILE, line: lineOf(text, 'scripts/c.sh'), column: 3},
    ])
    const error = expectError(text, 'project.unknown-hook-point')
    expect(error.location).to.deep.equal({file: FILE, line: lineOf(text, 'post-build-pakage'), column: 1})
  })

  describe('refuses, at the line of the mistake', () => {
    it('a [hooks] that is not a table', () => {
      const text = `${MINIMAL}hooks = ["scripts/stamp.sh"]\n`
      const error = expectError(text, 'toml.wrong-type')
      expect(error.message).to.equal('`hooks` must be a table, but it is an array.')
      expect(error.location).to.deep.equal({file: FILE, line: 3, column: 1})
      expect(error.hint).to.include('[hooks] pre-build-package = [')
    })

    it('an unknown lifecycle point, suggesting the nearest one and listing them all', () => {
      const text = `${MINIMAL}[hooks]\npre-build-package = []\npre-biuld-package = ["true"]\n`
      const error = expectError(text, 'project.unknown-hook-point')
      expect(error.message).to.equal('[hooks] has no lifecycle point named "pre-biuld-package".')
      expect(error.location).to.deep.equal({file: FILE, line: 5, column: 1})
      expect(error.hint).to.equal(`Did you mean pre-build-package? The points are ${HOOK_POINTS.join(', ')}.`)
    })

    it('a point named by the start of a real one, suggesting that one', () => {
      const error = expectError(`${MINIMAL}[hooks]\npost-build = ["true"]\n`, 'project.unknown-hook-point')
      expect(error.hint).to.match(/^Did you mean post-build-package\? /)
    })

    it('an unknown point far from every real one, without a guess', () => {
      const error = expectError(`${MINIMAL}[hooks]\non-success = ["true"]\n`, 'project.unknown-hook-point')
      expect(error.hint).to.equal(`The points are ${HOOK_POINTS.join(', ')}.`)
    })

    for (const [value, described] of [
      ['"scripts/stamp.sh"', 'a string ("scripts/stamp.sh")'],
      ['{ run = "x" }', 'a table'],
      ['true', 'a boolean (true)'],
    ] as const) {
      it(`a point whose value is ${described}, not a list of commands`, () => {
        const text = `${MINIMAL}[hooks]\n\npost-build-kit = ${value}\n`
        const error = expectError(text, 'toml.wrong-type')
        expect(error.message).to.equal(`\`post-build-kit\` in [hooks] must be an array of commands, but it is ${described}.`)
        expect(error.location).to.deep.equal({file: FILE, line: 5, column: 1})
        expect(error.hint).to.include('pre-build-package = [["scripts/check.sh", "--fast"], "echo building $TWOLITER_TARGET"]')
      })
    }

    for (const [entry, message, needle] of [
      ['42', 'the 2nd command of `pre-build-package` in [hooks] must be a string (run with /bin/sh -c) or an array of strings (a program and its arguments, run without a shell), but it is an integer (42).', '42'],
      ['{ cmd = "x" }', 'the 2nd command of `pre-build-package` in [hooks] must be a string (run with /bin/sh -c) or an array of strings (a program and its arguments, run without a shell), but it is a table.', '{ cmd'],
      ['"  "', 'the 2nd command of `pre-build-package` in [hooks] is an empty string: it must be a shell command.', '"  "'],
      ['[]', 'the 2nd command of `pre-build-package` in [hooks] is an empty array: it must name at least the program to run.', '[]'],
      ['["", "arg"]', 'the 2nd command of `pre-build-package` in [hooks] has an empty program name.', '""'],
      ['["prog", "ok", false]', 'word 3 of the 2nd command of `pre-build-package` in [hooks] must be a string, but it is a boolean (false).', 'false'],
      ['["prog", ["nested"]]', 'word 2 of the 2nd command of `pre-build-package` in [hooks] must be a string, but it is an array.', '["nested"]'],
    ] as const) {
      it(`a command written ${entry}`, () => {
        const text = `${MINIMAL}[hooks]\npre-build-package = [\n  "true",\n  ${entry},\n]\n`
        const error = expectError(text, 'project.invalid-hook-command')
        expect(error.message).to.equal(message)
        expect(error.location).to.deep.equal({file: FILE, line: 6, column: columnOf(text, needle)})
        expect(error.hint).to.include('Write it like `pre-build-package = [')
      })
    }
  })

  describe('describeCommand', () => {
    const argv = (program: string, ...args: string[]): HookCommand => ({form: 'argv', program, args})

    it('shows a shell command as written', () => {
      expect(describeCommand({form: 'shell', script: 'echo "$HOME"; exit 1'})).to.equal('echo "$HOME"; exit 1')
    })

    it('shows an argv with the words that need it quoted, so that a shell would read it back the same', () => {
      expect(describeCommand(argv('scripts/stamp.sh', '--fast', 'a=b', '/x/y.z'))).to.equal('scripts/stamp.sh --fast a=b /x/y.z')
      expect(describeCommand(argv('printf', '%s\n', '$HOME; it\'s', ''))).to.equal("printf '%s\n' '$HOME; it'\\''s' ''")
    })
  })
})
