import {expect} from 'chai'

import {capabilityName, requestedBy, requirementNames, requiresEdges} from '../../../src/lib/variant/audit.js'

describe('package audit: requested-by', () => {
  const rpm = (name: string, requires: string[] = [], provides: string[] = []) => ({name, requires, provides: [`${name} = 1.0-1`, ...provides]})

  it('follows chains of Requires back to the requested package', () => {
    const reasons = requestedBy([rpm('app', ['lib >= 1.0']), rpm('lib', ['libc']), rpm('libc')], ['app'])
    expect(Object.fromEntries(reasons)).to.deep.equal({app: ['app'], lib: ['app'], libc: ['app']})
  })

  it('names every requested package that pulls in a shared dependency, in the requested order', () => {
    const reasons = requestedBy([rpm('b', ['shared']), rpm('a', ['shared', 'b']), rpm('shared'), rpm('lonely')], ['a', 'b'])
    expect(reasons.get('shared')).to.deep.equal(['a', 'b'])
    expect(reasons.get('b')).to.deep.equal(['a', 'b'])
    expect(reasons.get('a')).to.deep.equal(['a'])
    expect(reasons.get('lonely')).to.deep.equal([])
  })

  it('resolves virtual provides like foo(x), and rich dependencies', () => {
    const packages = [
      rpm('app', ['bottlerocket-helper(tool)', '(bottlerocket-image-feature(no-fips) and impl)', 'rpmlib(CompressedFileNames) <= 3.0.4-1']),
      rpm('helper', [], ['bottlerocket-helper(tool) = 2']),
      rpm('impl', ['(a-or-b if bottlerocket-image-feature(host-containers))']),
      rpm('a-or-b', [], []),
      rpm('bottlerocket-metadata', [], ['bottlerocket-image-feature(no-fips)', 'bottlerocket-image-feature(host-containers)']),
    ]
    const reasons = requestedBy(packages, ['bottlerocket-metadata', 'app'])
    expect(reasons.get('helper')).to.deep.equal(['app'])
    expect(reasons.get('impl')).to.deep.equal(['app'])
    expect(reasons.get('a-or-b')).to.deep.equal(['app'])
    expect(reasons.get('bottlerocket-metadata')).to.deep.equal(['bottlerocket-metadata', 'app'])
  })

  it('survives cycles and requested packages that were not installed', () => {
    const reasons = requestedBy([rpm('x', ['y']), rpm('y', ['x'])], ['y', 'ghost'])
    expect(Object.fromEntries(reasons)).to.deep.equal({x: ['y'], y: ['y']})
  })

  it('records, for each package, the installed packages its Requires lead to (the audit\'s requires)', () => {
    const packages = [
      rpm('app', ['lib >= 1.0', 'bottlerocket-helper(tool)', '(impl or alt)', 'app', '/bin/sh', 'rpmlib(PayloadIsZstd) <= 5.4.18-1']),
      rpm('lib', ['libc']),
      rpm('libc'),
      rpm('helper', [], ['bottlerocket-helper(tool) = 2']),
      rpm('impl'),
      rpm('alt'),
    ]
    const edges = requiresEdges(packages)
    expect(Object.fromEntries(edges)).to.deep.equal({app: ['lib', 'helper', 'impl', 'alt'], lib: ['libc'], libc: [], helper: [], impl: [], alt: []})
    // requestedBy walks the same edges.
    expect(requestedBy(packages, ['app']).get('libc')).to.deep.equal(['app'])
  })

  it('reads the names out of requirements and capabilities', () => {
    expect(requirementNames('foo >= 1.2-3')).to.deep.equal(['foo'])
    expect(requirementNames('bottlerocket-image-feature(no-fips)')).to.deep.equal(['bottlerocket-image-feature(no-fips)'])
    expect(requirementNames('(a >= 1 and (b(x) or c) unless d < 2)')).to.deep.equal(['a', 'b(x)', 'c', 'd'])
    expect(requirementNames('(%{x}image-feature(fips) if foo)')).to.deep.equal(['%{x}image-feature(fips)', 'foo'])
    expect(capabilityName('foo(x) = 1.0-1')).to.equal('foo(x)')
    expect(capabilityName('bar')).to.equal('bar')
  })
})
