import {expect} from 'chai'

import {ImageUri, versionTag} from '../../../src/lib/project/image-uri.js'
import {
  describeImageRef,
  describeProjectImage,
  overriddenImageUri,
  toProjectImage,
  verbatimImageUri,
} from '../../../src/lib/project/project-image.js'
import {expectThrownTwoliterError, fixture, loadProjectIn} from './helpers.js'

describe('ImageUri', () => {
  it('formats registry/repo:tag', () => {
    expect(new ImageUri('public.ecr.aws/bottlerocket', 'bottlerocket-sdk', 'v0.41.0').toString()).to.equal(
      'public.ecr.aws/bottlerocket/bottlerocket-sdk:v0.41.0',
    )
    expect(`${new ImageUri('localhost:5000', 'core-kit', 'v1.0.0')}`).to.equal('localhost:5000/core-kit:v1.0.0')
  })

  it('formats repo:tag without a registry', () => {
    expect(new ImageUri(undefined, 'core-kit', 'v1.0.0').toString()).to.equal('core-kit:v1.0.0')
  })

  it('tags versions with a v prefix', () => {
    expect(versionTag('1.2.3-rc.1')).to.equal('v1.2.3-rc.1')
  })
})

describe('project images', () => {
  const vendor = {registry: 'a.com/b'}
  const sdk = {name: 'my-sdk', version: '1.2.3', vendor: 'my-vendor'}

  it('computes the verbatim URI from the vendor registry, name and version', () => {
    expect(verbatimImageUri(sdk, vendor).toString()).to.equal('a.com/b/my-sdk:v1.2.3')
  })

  it('lets an override replace registry and name independently', () => {
    expect(overriddenImageUri(sdk, vendor, undefined).toString()).to.equal('a.com/b/my-sdk:v1.2.3')
    expect(overriddenImageUri(sdk, vendor, {}).toString()).to.equal('a.com/b/my-sdk:v1.2.3')
    expect(overriddenImageUri(sdk, vendor, {registry: 'c.com/d'}).toString()).to.equal('c.com/d/my-sdk:v1.2.3')
    expect(overriddenImageUri(sdk, vendor, {name: 'other'}).toString()).to.equal('a.com/b/other:v1.2.3')
    expect(overriddenImageUri(sdk, vendor, {name: 'my-overridden-sdk', registry: 'c.com/d'}).toString()).to.equal(
      'c.com/d/my-overridden-sdk:v1.2.3',
    )
  })

  it('changes the pull location of the overridden SDK but not its verbatim source', async () => {
    const project = await loadProjectIn(fixture('valid'))
    const image = toProjectImage(project, project.sdk!)
    expect(image.source.toString()).to.equal('a.com/b/my-sdk:v1.2.3')
    expect(image.pull.toString()).to.equal('c.com/d/my-overridden-sdk:v1.2.3')
    expect(image.override).to.deep.equal({name: 'my-overridden-sdk', registry: 'c.com/d'})
  })

  it('pulls a kit without an override from its source', async () => {
    const project = await loadProjectIn(fixture('valid'))
    const image = toProjectImage(project, project.kits[0])
    expect(image.source.toString()).to.equal('a.com/b/my-core-kit:v2.0.0-rc.1+build.5')
    expect(image.pull).to.deep.equal(image.source)
    expect(image.override).to.equal(undefined)
  })

  it('applies a registry-only override to a kit', async () => {
    const project = await loadProjectIn(fixture('valid'))
    const image = toProjectImage(project, project.kits[1])
    expect(image.source.toString()).to.equal('public.ecr.aws/bottlerocket/bottlerocket_extra-kit:v0.1.0')
    expect(image.pull.toString()).to.equal('localhost:5000/bottlerocket_extra-kit:v0.1.0')
  })

  it('applies overrides to transitive kits that Twoliter.toml does not name', async () => {
    const project = await loadProjectIn(fixture('valid'))
    const image = toProjectImage(project, {name: 'some-transitive-kit', version: '3.0.0', vendor: 'my-vendor'})
    expect(image.source.toString()).to.equal('a.com/b/some-transitive-kit:v3.0.0')
    expect(image.pull.toString()).to.equal('a.com/b/elsewhere:v3.0.0')
  })

  it('refuses an image whose vendor Twoliter.toml does not declare', async () => {
    const project = await loadProjectIn(fixture('valid'))
    const error = expectThrownTwoliterError(
      () => toProjectImage(project, {name: 'k', version: '1.0.0', vendor: 'elsewhere'}),
      'project.unknown-vendor',
    )
    expect(error.message).to.contain("'elsewhere'")
    expect(error.message).to.contain('k-1.0.0@elsewhere')
    expect(error.message).to.contain("'my-vendor', 'bottlerocket'")
    expect(error.location?.file).to.equal(project.file)
  })

  it('displays name-version@vendor (source), with the override target when overridden', async () => {
    const project = await loadProjectIn(fixture('valid'))
    expect(describeImageRef(project.sdk!)).to.equal('my-sdk-1.2.3@my-vendor')
    expect(describeProjectImage(toProjectImage(project, project.sdk!))).to.equal(
      'my-sdk-1.2.3@my-vendor (a.com/b/my-sdk:v1.2.3) (overridden-to: c.com/d/my-overridden-sdk:v1.2.3)',
    )
    expect(describeProjectImage(toProjectImage(project, project.kits[0]))).to.equal(
      'my-core-kit-2.0.0-rc.1+build.5@my-vendor (a.com/b/my-core-kit:v2.0.0-rc.1+build.5)',
    )
  })
})
