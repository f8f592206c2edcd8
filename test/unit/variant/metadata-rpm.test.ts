import {expect} from 'chai'

import {TwoliterError} from '../../../src/lib/errors.js'
import {IMAGE_FEATURE_DEFAULTS, type ImageFeatures} from '../../../src/lib/manifest/index.js'
import {type CompositeKit, compositeRepos} from '../../../src/lib/variant/composite.js'
import {metadataProvides, metadataSpec, parseVariantName, rpmVersion} from '../../../src/lib/variant/metadata-rpm.js'

const defaults: ImageFeatures = {...IMAGE_FEATURE_DEFAULTS}

function thrown(fn: () => unknown): TwoliterError {
  try {
    fn()
  } catch (error) {
    expect(error).to.be.instanceOf(TwoliterError)
    return error as TwoliterError
  }

  throw new Error('expected an error')
}

describe('variant names', () => {
  it('splits platform-runtime[-version][-flavor] as the bottlerocket-variant crate does', () => {
    expect(parseVariantName('hello-ootb')).to.deep.equal({platform: 'hello', runtime: 'ootb', family: 'hello-ootb', flavor: 'none'})
    expect(parseVariantName('metal-dev')).to.deep.equal({platform: 'metal', runtime: 'dev', family: 'metal-dev', flavor: 'none'})
    expect(parseVariantName('aws-ecs-1')).to.deep.equal({platform: 'aws', runtime: 'ecs', family: 'aws-ecs', flavor: 'none', version: '1'})
    expect(parseVariantName('aws-k8s-1.24-nvidia')).to.deep.equal({platform: 'aws', runtime: 'k8s', family: 'aws-k8s', flavor: 'nvidia', version: '1.24'})
    expect(parseVariantName('aws-k8s-1.24-nvidia-some-additional-ignored-tuple-positions').flavor).to.equal('nvidia')
  })

  it('refuses names without a runtime or with an empty part', () => {
    for (const name of ['aws', 'aws-', 'aws-dev-', 'aws-k8s-1.24-', '-dev', '']) {
      expect(thrown(() => parseVariantName(name)).code, name).to.equal('variant.install-variant-name')
    }
  })
})

describe('the metadata spec', () => {
  it('names the package bottlerocket-metadata at the release version', () => {
    const spec = metadataSpec({variant: 'hello-ootb', version: '1.2.3', features: defaults})
    expect(spec).to.match(/^Name: %\{_cross_os\}metadata$/m)
    expect(spec).to.match(/^Version: 1\.2\.3$/m)
    expect(spec).to.match(/^Release: 1%\{\?dist\}$/m)
    expect(spec).to.match(/^%files$/m)
  })

  it('defines the reference\'s bconds: the variant\'s parts and each enabled image feature', () => {
    const features: ImageFeatures = {...defaults, 'host-containers': false, fips: true}
    const bconds = metadataSpec({variant: 'aws-k8s-1.24-nvidia', version: '1.0.0', features}).split('\n').filter((line) => line.startsWith('%bcond'))
    const enabled = Object.entries(features).filter(([, on]) => on).map(([feature]) => `%bcond_without ${feature.replaceAll('-', '_')}`)
    expect(bconds).to.deep.equal(['%bcond_without aws_platform', '%bcond_without k8s_runtime', '%bcond_without aws_k8s_family', '%bcond_without nvidia_flavor', ...enabled])
    expect(bconds).to.include('%bcond_without fips').and.not.include('%bcond_without host_containers')
  })

  it('provides the variant and its parts', () => {
    const spec = metadataSpec({variant: 'aws-k8s-1.24-nvidia', version: '1.0.0', features: defaults})
    for (const line of [
      'Provides: %{_cross_os}variant(aws-k8s-1.24-nvidia)',
      'Provides: %{_cross_os}variant-platform(aws)',
      'Provides: %{_cross_os}variant-runtime(k8s)',
      'Provides: %{_cross_os}variant-family(aws-k8s)',
      'Provides: %{_cross_os}variant-flavor(nvidia)',
    ]) {
      expect(spec.split('\n')).to.include(line)
    }
  })

  it('provides image-feature(<f>) for each enabled feature and image-feature(no-<f>) for each other', () => {
    const features: ImageFeatures = {...defaults, 'host-containers': false, fips: true}
    const lines = metadataSpec({variant: 'hello-ootb', version: '1.0.0', features}).split('\n').filter((line) => line.includes('image-feature('))
    expect(lines).to.deep.equal([
      'Provides: %{_cross_os}image-feature(in-place-updates)',
      'Provides: %{_cross_os}image-feature(no-host-containers)',
      'Provides: %{_cross_os}image-feature(no-grub-set-private-var)',
      'Provides: %{_cross_os}image-feature(no-uefi-secure-boot)',
      'Provides: %{_cross_os}image-feature(no-systemd-networkd)',
      'Provides: %{_cross_os}image-feature(no-xfs-data-partition)',
      'Provides: %{_cross_os}image-feature(no-erofs-root-partition)',
      'Provides: %{_cross_os}image-feature(fips)',
    ])
    expect(metadataProvides({variant: 'hello-ootb', features})).to.include.members(['bottlerocket-image-feature(fips)', 'bottlerocket-image-feature(no-host-containers)', 'bottlerocket-variant-flavor(none)'])
  })

  it('turns a semver pre-release into an RPM version and refuses what RPM cannot hold', () => {
    expect(rpmVersion('1.2.0-rc.1')).to.equal('1.2.0~rc.1')
    expect(metadataSpec({variant: 'hello-ootb', version: '1.2.0-rc1', features: defaults})).to.match(/^Version: 1\.2\.0~rc1$/m)
    for (const version of ['', '1.0 beta', '1/2']) expect(thrown(() => rpmVersion(version)).code).to.equal('variant.install-version')
  })
})

describe('the composite repository', () => {
  const kit = (name: string, external: boolean): CompositeKit => ({name, external, repo: {dir: `/repos/${name}`, digest: name, ...(external ? {} : {kit: name})}})
  const kits = [kit('kit-b', false), kit('kit-a', false), kit('core-kit', true), kit('extra-kit', true)]
  const order = (kitPriority?: string[]) => compositeRepos({localRepoDir: '/repos/local', kits, kitPriority, variant: 'hello-ootb'}).map((repo) => `${repo.id}:${repo.priority}:${repo.source}`)

  it('puts the project packages first, then local kits as given, then external kits in lock order', () => {
    expect(order()).to.deep.equal(['local:10:local', 'kit-b:20:kit-b', 'kit-a:30:kit-a', 'core-kit:40:core-kit', 'extra-kit:50:extra-kit'])
    const repos = compositeRepos({localRepoDir: '/repos/local', kits, variant: 'hello-ootb'})
    expect(repos[0]).to.deep.include({dir: '/repos/local', external: false})
    expect(repos[3]).to.deep.include({dir: '/repos/core-kit', external: true})
  })

  it('follows kit-priority, then the kits it does not list', () => {
    expect(order(['extra-kit', 'kit-a'])).to.deep.equal(['local:10:local', 'extra-kit:20:extra-kit', 'kit-a:30:kit-a', 'kit-b:40:kit-b', 'core-kit:50:core-kit'])
    expect(order(['core-kit', 'extra-kit', 'kit-a', 'kit-b'])).to.deep.equal(['local:10:local', 'core-kit:20:core-kit', 'extra-kit:30:extra-kit', 'kit-a:40:kit-a', 'kit-b:50:kit-b'])
  })

  it('refuses a kit-priority that names a kit the variant does not have, listing its kits', () => {
    const error = thrown(() => order(['kit-a', 'nope-kit']))
    expect(error.code).to.equal('variant.install-kit-priority')
    expect(error.message).to.include('nope-kit').and.include('kit-b, kit-a, core-kit, extra-kit').and.include('hello-ootb')
    expect(thrown(() => order(['kit-a', 'kit-a'])).message).to.include('more than once')
    expect(thrown(() => compositeRepos({localRepoDir: '/l', kits: [], kitPriority: ['x'], variant: 'v-w'})).message).to.include('it has no kits')
  })

  it('gives kits with reserved or odd names repo ids of their own', () => {
    const repos = compositeRepos({localRepoDir: '/l', kits: [kit('local', false), kit('metadata', true), kit('a/b', true)], variant: 'v-w'})
    expect(repos.map((repo) => repo.id)).to.deep.equal(['local', 'kit-local', 'kit-metadata', 'a-b'])
    expect(repos.map((repo) => repo.source)).to.deep.equal(['local', 'local', 'metadata', 'a/b'])
  })
})
