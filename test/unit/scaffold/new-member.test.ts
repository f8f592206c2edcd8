import {expect} from 'chai'
import {readFile, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {TwoliterError} from '../../../src/lib/errors.js'
import {DependencyGraph} from '../../../src/lib/graph/index.js'
import {loadWorkspace} from '../../../src/lib/manifest/index.js'
import {openProject} from '../../../src/lib/project/project.js'
import {addMember} from '../../../src/lib/scaffold/new-member.js'
import {createProject} from '../../../src/lib/scaffold/new-project.js'
import {Logger} from '../../../src/lib/ui/logger.js'
import {cargoGeneratedLock, hasCargo, snapshot, temporaryDirectory, withoutVersionLine} from './helpers.js'

describe('new package, kit and variant', () => {
  let tmp: Awaited<ReturnType<typeof temporaryDirectory>>
  let root: string
  const logger = new Logger('off')
  const open = () => openProject({cwd: root, logger})

  beforeEach(async () => {
    tmp = await temporaryDirectory()
    root = (await createProject({name: 'demo'}, tmp.dir)).root
  })
  afterEach(() => tmp.remove())

  it('adds a package to a kit and to a variant\'s included-packages', async () => {
    const result = await addMember(await open(), {kind: 'package', name: 'agent', kit: 'demo-kit', variant: 'demo-dev'}, logger)
    expect(result.created).to.deep.equal(['packages/agent/Cargo.toml', 'packages/agent/agent.spec', 'packages/agent/agent.txt'])
    expect(result.changed).to.deep.equal(['Cargo.lock', 'Cargo.toml', 'kits/demo-kit/Cargo.toml', 'variants/demo-dev/Cargo.toml'])

    const workspace = await loadWorkspace(root)
    const graph = new DependencyGraph(workspace)
    expect(graph.packageDependencies('demo-kit')).to.deep.equal(['agent', 'demo-hello'])
    const variant = workspace.members.find((m) => m.name === 'demo-dev')!
    expect(variant.kind === 'variant' && variant.metadata.includedPackages).to.deep.equal(['demo-hello', 'agent'])
  })

  it('without a kit, makes the package a build-dependency of the variant, so the variant builds it', async () => {
    await addMember(await open(), {kind: 'package', name: 'welcome', variant: 'demo-dev'}, logger)
    const workspace = await loadWorkspace(root)
    const graph = new DependencyGraph(workspace)
    expect(graph.packageDependencies('demo-dev')).to.deep.equal(['welcome'])
    expect(graph.packageDependencies('demo-kit')).to.not.include('welcome')
    const variant = workspace.members.find((m) => m.name === 'demo-dev')!
    expect(variant.kind === 'variant' && variant.metadata.includedPackages).to.deep.equal(['demo-hello', 'welcome'])
  })

  it('keeps the comments of the Cargo.toml files it edits', async () => {
    await addMember(await open(), {kind: 'package', name: 'agent', kit: 'demo-kit'}, logger)
    const kit = await readFile(path.join(root, 'kits/demo-kit/Cargo.toml'), 'utf8')
    expect(kit).to.include('# The packages (and local kits) this kit bundles.\n[build-dependencies]\ndemo-hello = { path = "../../packages/demo-hello" }\nagent = { path = "../../packages/agent" }\n')
  })

  it('adds a kit used by a variant, with the vendor of the other kits', async () => {
    await addMember(await open(), {kind: 'kit', name: 'extra-kit', variant: 'demo-dev'}, logger)
    const workspace = await loadWorkspace(root)
    const kit = workspace.members.find((m) => m.name === 'extra-kit')!
    expect(kit.kind === 'kit' && kit.metadata.vendor).to.equal('bottlerocket')
    expect(new DependencyGraph(workspace).kitDependencies('demo-dev')).to.deep.equal(['demo-kit', 'extra-kit'])
  })

  it('adds a variant composed from a kit that installs the kit\'s packages', async () => {
    await addMember(await open(), {kind: 'variant', name: 'demo-k8s', kit: 'demo-kit'}, logger)
    const workspace = await loadWorkspace(root)
    const variant = workspace.members.find((m) => m.name === 'demo-k8s')!
    expect(variant.kind === 'variant' && variant.metadata.includedPackages).to.deep.equal(['demo-hello'])
    expect(new DependencyGraph(workspace).kitDependencies('demo-k8s')).to.deep.equal(['demo-kit'])
  })

  it('keeps Cargo.lock equal to what cargo writes after each addition', async function () {
    if (!hasCargo) this.skip()
    await addMember(await open(), {kind: 'kit', name: 'extra-kit', variant: 'demo-dev'}, logger)
    await addMember(await open(), {kind: 'package', name: 'agent', kit: 'extra-kit'}, logger)
    await addMember(await open(), {kind: 'variant', name: 'demo-k8s', kit: 'extra-kit'}, logger)
    const ours = await readFile(path.join(root, 'Cargo.lock'), 'utf8')
    expect(withoutVersionLine(ours)).to.equal(await cargoGeneratedLock(root))
  })

  it('recreates the shared build.rs stubs when a project lacks them', async () => {
    const {rm} = await import('node:fs/promises')
    await rm(path.join(root, 'kits/build.rs'))
    const result = await addMember(await open(), {kind: 'kit', name: 'extra-kit'}, logger)
    expect(result.created).to.include('kits/build.rs')
    expect(await readFile(path.join(root, 'kits/build.rs'), 'utf8')).to.include('build-kit')
  })

  const refusals: Array<[string, Parameters<typeof addMember>[1], string]> = [
    ['an existing member name', {kind: 'package', name: 'demo-hello'}, "already has a member named 'demo-hello'"],
    ['an unknown kit, listing the kits', {kind: 'package', name: 'agent', kit: 'nope'}, '--kit nope: the project has no kit of that name'],
    ['an unknown variant', {kind: 'kit', name: 'k2', variant: 'nope'}, '--variant nope: the project has no variant of that name'],
    ['an undeclared vendor', {kind: 'kit', name: 'k2', vendor: 'acme'}, '--vendor acme is not declared'],
    ['an invalid name', {kind: 'variant', name: 'a.b'}, "--name 'a.b' is not a valid variant name"],
  ]
  for (const [what, options, message] of refusals) {
    it(`refuses ${what} and changes nothing`, async () => {
      const before = await snapshot(root)
      const error = await addMember(await open(), options, logger).catch((error_: unknown) => error_)
      expect(error).to.be.instanceOf(TwoliterError)
      expect((error as TwoliterError).message).to.include(message)
      expect(await snapshot(root)).to.deep.equal(before)
    })
  }

  it('names the kits there are when --kit is wrong', async () => {
    const error = (await addMember(await open(), {kind: 'package', name: 'x', kit: 'nope'}, logger).catch((e: unknown) => e)) as TwoliterError
    expect(error.hint).to.include('demo-kit')
  })

  it('adds the member to a hand-written one-line members array, ignoring a commented-out one', async () => {
    const manifest = path.join(root, 'Cargo.toml')
    await writeFile(manifest, '[workspace]\nmembers = ["kits/demo-kit", "packages/demo-hello", "variants/demo-dev"]\n# members = [\n')
    const before = await snapshot(root)
    await addMember(await open(), {kind: 'package', name: 'agent'}, logger)
    const after = await readFile(manifest, 'utf8')
    expect(after).to.not.equal(before['Cargo.toml'])
    expect((await loadWorkspace(root)).members.map((m) => m.name)).to.include('agent')
  })
})
