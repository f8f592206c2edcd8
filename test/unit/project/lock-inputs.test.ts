import {expect} from 'chai'

import {assertLockFits, lockStaleness, projectInputsDigest} from '../../../src/lib/project/lock-inputs.js'
import {type Lock, parseLock, renderLock} from '../../../src/lib/project/lock.js'
import {parseToml} from '../../../src/lib/toml/document.js'
import {expectThrownTwoliterError, loadProjectIn, temporaryDirectories} from './helpers.js'

const TOML = `schema-version = 1
release-version = "1.0.0"

[vendor.v]
registry = "127.0.0.1:5000/kits"

[[kit]]
name = "a"
version = "1.0.0"
vendor = "v"
`

const LOCK: Lock = {
  schemaVersion: 1,
  sdk: {name: 'sdk', version: '0.1.0', vendor: 'v', source: '127.0.0.1:5000/kits/sdk:v0.1.0', digest: 'S='},
  kit: [
    {name: 'a', version: '1.0.0', vendor: 'v', source: '127.0.0.1:5000/kits/a:v1.0.0', digest: 'A='},
    {name: 'core', version: '2.0.0', vendor: 'v', source: '127.0.0.1:5000/kits/core:v2.0.0', digest: 'C='},
  ],
}

describe('Twoliter.lock against Twoliter.toml', () => {
  const directories = temporaryDirectories()
  const load = async (toml = TOML, override?: string) =>
    loadProjectIn(await directories.create({'Twoliter.toml': toml, ...(override === undefined ? {} : {'Twoliter.override': override})}))

  it('fits when it pins what Twoliter.toml asks for and was resolved from the same inputs', async () => {
    const project = await load()
    expect(lockStaleness(project, {...LOCK, projectInputs: projectInputsDigest(project)})).to.deep.equal([])
    expect(lockStaleness(project, LOCK)).to.deep.equal([])
  })

  it('says which kit or SDK no longer matches', async () => {
    const project = await load(TOML.replace('version = "1.0.0"\nvendor', 'version = "1.1.0"\nvendor') + '\n[sdk]\nname = "sdk"\nversion = "0.2.0"\nvendor = "v"\n')
    const reasons = lockStaleness(project, LOCK)
    expect(reasons).to.have.length(2)
    expect(reasons[0]).to.include('[sdk] names sdk-0.2.0@v')
    expect(reasons[1]).to.include('[[kit]] names a-1.1.0@v')
    const error = expectThrownTwoliterError(() => assertLockFits(project, LOCK), 'lock.stale')
    expect(error.hint).to.include('twoliter update')
  })

  it('notices a new kit, a moved vendor registry and a changed override, but not a local path override', async () => {
    const base = await load()
    const recorded = {...LOCK, projectInputs: projectInputsDigest(base)}
    expect(lockStaleness(await load(TOML + '\n[[kit]]\nname = "b"\nversion = "1.0.0"\nvendor = "v"\n'), recorded)[0]).to.include('b-1.0.0@v is not in the lock')
    // The source changes with the registry, so the pin no longer matches.
    expect(lockStaleness(await load(TOML.replace('127.0.0.1:5000/kits', '127.0.0.1:5001/kits')), recorded)).to.have.length(1)
    expect(lockStaleness(await load(TOML, '[v.a]\nregistry = "localhost:6000"\n'), recorded)).to.deep.equal(["the vendors' registries or Twoliter.override changed since the lock was written"])
    expect(lockStaleness(await load(TOML, '[v.a]\npath = "../a-project"\n'), recorded)).to.deep.equal([])
  })

  it('records its inputs in a key the Rust twoliter ignores, and reads it back', () => {
    const text = renderLock({...LOCK, projectInputs: 'sha256:abc'})
    expect(text).to.match(/^schema-version = 1\nproject-inputs = "sha256:abc"\n/m)
    expect(parseLock(parseToml('Twoliter.lock', text)).projectInputs).to.equal('sha256:abc')
    expect(parseLock(parseToml('Twoliter.lock', renderLock(LOCK))).projectInputs).to.equal(undefined)
  })
})
