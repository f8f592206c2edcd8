import {expect} from 'chai'
import {execFileSync} from 'node:child_process'

import {TwoliterError} from '../../../src/lib/errors.js'
import {KIT_METADATA_LABEL, type KitImageMetadata, decodeKitMetadata, encodeKitMetadata} from '../../../src/lib/kits/metadata.js'

const METADATA: KitImageMetadata = {
  name: 'core-kit',
  version: '1.2.0',
  sdk: {name: 'bottlerocket-sdk', version: '0.41.0', vendor: 'bottlerocket', source: 'public.ecr.aws/bottlerocket/bottlerocket-sdk:v0.41.0', digest: 'ircODRWwflcM7sj++2k3JNQZJ/ovCQTiRY+DZohgk6Y='},
  kit: [{name: 'base-kit', version: '1.2.0', vendor: 'my-vendor'}],
}

/** What rpm2kit stores: `jq -c --sort-keys` of the metadata (newline included), base64 without wrapping. */
function rpm2kitLabel(metadata: object): string {
  return execFileSync('bash', ['-c', 'jq -c --sort-keys . | base64 -w0'], {input: JSON.stringify(metadata)}).toString()
}

function codeOf(action: () => unknown): string {
  try {
    action()
  } catch (error) {
    expect(error).to.be.instanceOf(TwoliterError)
    return (error as TwoliterError).code
  }

  throw new Error('expected an error')
}

describe('kit metadata label', () => {
  it('encodes exactly as rpm2kit does with jq', () => {
    expect(encodeKitMetadata(METADATA)).to.equal(rpm2kitLabel(METADATA))
  })

  it('decodes what rpm2kit writes', () => {
    expect(decodeKitMetadata({[KIT_METADATA_LABEL]: rpm2kitLabel(METADATA)}, 'the image x')).to.deep.equal(METADATA)
  })

  it('explains a newer or older metadata version, and an image that is no kit', () => {
    const newer = () => decodeKitMetadata({'dev.bottlerocket.kit.v3': 'e30='}, 'the image x')
    expect(codeOf(newer)).to.equal('kit.metadata-version')
    expect(() => newer()).to.throw(/version 'v3', possibly by a newer version of twoliter/)
    expect(() => decodeKitMetadata({'dev.bottlerocket.kit.v1': 'e30='}, 'x')).to.throw(/an older version/)
    expect(() => decodeKitMetadata({'dev.bottlerocket.kit.beta': 'e30='}, 'x')).to.throw(/a different version/)
    expect(codeOf(() => decodeKitMetadata({'org.opencontainers.image.title': 'x'}, 'x'))).to.equal('kit.not-a-kit')
    expect(codeOf(() => decodeKitMetadata(undefined, 'x'))).to.equal('kit.not-a-kit')
  })

  it('refuses unknown top-level fields, missing fields and versions that are not semver', () => {
    const label = (value: object) => ({[KIT_METADATA_LABEL]: Buffer.from(JSON.stringify(value)).toString('base64')})
    expect(() => decodeKitMetadata(label({...METADATA, extra: 1}), 'x')).to.throw(/fields twoliter does not know: extra/)
    expect(codeOf(() => decodeKitMetadata(label({...METADATA, sdk: undefined}), 'x'))).to.equal('kit.metadata-invalid')
    expect(() => decodeKitMetadata(label({...METADATA, version: '1.2'}), 'x')).to.throw(/not a semantic version/)
    expect(codeOf(() => decodeKitMetadata({[KIT_METADATA_LABEL]: '%%%'}, 'x'))).to.equal('kit.metadata-invalid')
  })
})
