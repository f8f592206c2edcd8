import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {mkdir, readFile, stat, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {TwoliterError} from '../../../src/lib/errors.js'
import {DependencyGraph} from '../../../src/lib/graph/index.js'
import {loadWorkspace} from '../../../src/lib/manifest/index.js'
import {openProject} from '../../../src/lib/project/project.js'
import {createProject} from '../../../src/lib/scaffold/new-project.js'
import {Logger} from '../../../src/lib/ui/logger.js'
import {cargoGeneratedLock, hasCargo, snapshot, temporaryDirectory, withoutVersionLine} from './helpers.js'

describe('new project', () => {
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>
  beforeEach(async () => {
    tmp = await temporaryDirectory()
  })
  afterEach(() => tmp.remove())

  it('creates a project whose variant, kit and package are wired together and that loads without warnings', async () => {
    const result = await createProject({name: 'demo'}, tmp.dir)
    expect(result.root).to.equal(path.join(tmp.dir, 'demo'))

    const logger = new Logger('off')
    const project = await openProject({cwd: result.root, logger})
    expect(project.sdk).to.deep.equal({name: 'bottlerocket-sdk', version: '0.42.0', vendor: 'bottlerocket'})
    expect(project.vendors).to.deep.equal({bottlerocket: {registry: 'public.ecr.aws/bottlerocket'}})

    const workspace = await loadWorkspace(result.root, {logger})
    expect(workspace.members.map((m) => [m.name, m.kind])).to.have.deep.members([
      ['demo-hello', 'package'],
      ['demo-kit', 'kit'],
      ['demo-dev', 'variant'],
    ])
    const graph = new DependencyGraph(workspace)
    expect(graph.packageDependencies('demo-kit')).to.deep.equal(['demo-hello'])
    expect(graph.kitDependencies('demo-dev')).to.deep.equal(['demo-kit'])
    const variant = workspace.members.find((m) => m.kind === 'variant')!
    expect(variant.kind === 'variant' && variant.metadata.includedPackages).to.deep.equal(['demo-hello'])
    expect(logger.warnings).to.deep.equal([])
  })

  it('writes the spec with the Bottlerocket macros and an executable sbkeys stub', async () => {
    const {root} = await createProject({name: 'demo'}, tmp.dir)
    const spec = await readFile(path.join(root, 'packages/demo-hello/demo-hello.spec'), 'utf8')
    expect(spec).to.match(/^Name: %\{_cross_os\}demo-hello$/m)
    expect(spec).to.include('%{_cross_datadir}')
    expect((await stat(path.join(root, 'sbkeys/generate-local-sbkeys'))).mode & 0o111).to.not.equal(0)
  })

  it('uses the given vendor for the kit and, with --sdk-name, for the SDK too', async () => {
    const {root} = await createProject(
      {name: 'demo', vendor: {name: 'local', registry: '127.0.0.1:5000'}, sdk: {name: 'twoliter-sdk', version: '0.1.0'}},
      tmp.dir,
    )
    const project = await openProject({cwd: root, logger: new Logger('off')})
    expect(project.sdk).to.deep.equal({name: 'twoliter-sdk', version: '0.1.0', vendor: 'local'})
    expect(project.vendors).to.deep.equal({local: {registry: '127.0.0.1:5000'}})
    const workspace = await loadWorkspace(root)
    const kit = workspace.members.find((m) => m.kind === 'kit')!
    expect(kit.kind === 'kit' && kit.metadata.vendor).to.equal('local')
  })

  it('keeps Bottlerocket\'s SDK and vendor beside the project\'s own vendor when no SDK is named', async () => {
    const {root} = await createProject({name: 'demo', vendor: {name: 'acme', registry: 'registry.example.com/acme'}}, tmp.dir)
    const project = await openProject({cwd: root, logger: new Logger('off')})
    expect(project.sdk?.vendor).to.equal('bottlerocket')
    expect(Object.keys(project.vendors).sort()).to.deep.equal(['acme', 'bottlerocket'])
  })

  it('writes the Cargo.lock that cargo itself would write', async function () {
    if (!hasCargo) this.skip()
    const {root} = await createProject({name: 'demo', variantName: 'demo-k8s'}, tmp.dir)
    const ours = await readFile(path.join(root, 'Cargo.lock'), 'utf8')
    expect(withoutVersionLine(ours)).to.equal(await cargoGeneratedLock(root))
    const locked = spawnSync('cargo', ['metadata', '--locked', '--offline', '--format-version', '1'], {cwd: root, encoding: 'utf8'})
    expect(locked.status, locked.stderr).to.equal(0)
  })

  it('refuses a directory that has files in it, and leaves them untouched', async () => {
    const target = path.join(tmp.dir, 'demo')
    await mkdir(target)
    await writeFile(path.join(target, 'notes.txt'), 'mine')
    const before = await snapshot(tmp.dir)
    const error = await createProject({name: 'demo'}, tmp.dir).catch((error_: unknown) => error_)
    expect(error).to.be.instanceOf(TwoliterError)
    expect((error as TwoliterError).message).to.include('already exists and is not empty')
    expect(await snapshot(tmp.dir)).to.deep.equal(before)
  })

  it('creates the project in an existing empty directory', async () => {
    await mkdir(path.join(tmp.dir, 'empty'))
    const {root} = await createProject({name: 'demo', directory: 'empty'}, tmp.dir)
    expect(root).to.equal(path.join(tmp.dir, 'empty'))
    expect(await readFile(path.join(root, 'Twoliter.toml'), 'utf8')).to.include('schema-version = 1')
  })

  for (const [options, expected] of [
    [{name: 'my project'}, "--name 'my project' is not a valid project name"],
    [{name: 'demo', variantName: '-x'}, "--variant-name '-x' is not a valid variant name"],
    [{name: 'demo', sdk: {version: 'v1.2.3'}}, "--sdk-version 'v1.2.3' is not a semantic version"],
    [{name: 'demo', vendor: {name: 'acme', registry: 'has space'}}, "--registry 'has space' is not a registry location"],
  ] as const) {
    it(`refuses bad input with a usage error: ${expected}`, async () => {
      const error = await createProject(options, tmp.dir).catch((error_: unknown) => error_)
      expect(error).to.be.instanceOf(TwoliterError)
      expect((error as TwoliterError).message).to.include(expected)
      expect((error as TwoliterError).exitCode).to.equal(2)
      expect(await snapshot(tmp.dir)).to.deep.equal({})
    })
  }
})
