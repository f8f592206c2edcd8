import {expect} from 'chai'

import {renderAttribution} from '../../../src/lib/variant/attribution.js'
import type {InstalledPackage} from '../../../src/lib/variant/types.js'

function pkg(name: string, overrides: Partial<InstalledPackage> = {}): InstalledPackage {
  return {
    name,
    version: '1.0',
    release: '1.bottlerocket',
    arch: 'x86_64',
    license: 'Apache-2.0',
    summary: `the ${name} package`,
    repo: 'core-kit',
    source: 'core-kit',
    requestedBy: [name],
    licenseFiles: [`/usr/share/licenses/${name}/LICENSE`],
    rpm: `bottlerocket-${name}-1.0-1.bottlerocket.x86_64.rpm`,
    ...overrides,
  }
}

const packages: InstalledPackage[] = [
  pkg('systemd', {license: 'GPL-2.0-or-later AND LGPL-2.1-or-later', licenseFiles: ['/usr/share/licenses/systemd/LICENSE.LGPL2.1', '/usr/share/licenses/systemd/LICENSE.GPL2']}),
  pkg('glibc', {license: 'LGPL-2.1-or-later', epoch: '1'}),
  pkg('acpid', {license: 'GPL-2.0-or-later', licenseFiles: []}),
  pkg('my-agent', {source: 'local', repo: 'local', license: 'Apache-2.0 OR MIT'}),
  pkg('bottlerocket-metadata', {source: 'metadata', repo: 'metadata', license: 'Apache-2.0'}),
  pkg('kubelet', {source: 'k8s-kit', repo: 'k8s-kit', license: 'Apache-2.0', url: 'https://kubernetes.io'}),
  pkg('libgcc', {license: 'GPL-3.0-or-later WITH GCC-exception-3.1', arch: 'x86_64'}),
  pkg('libgcc', {license: 'GPL-3.0-or-later WITH GCC-exception-3.1', arch: 'i686'}),
]

const render = (list = packages, sourceOrder = ['core-kit', 'k8s-kit', 'local', 'metadata']) =>
  renderAttribution({variant: 'aws-dev', version: '1.2.3', arch: 'x86_64', packages: list, sourceOrder})

function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`## ${heading}\n`)
  expect(start, `section ${heading}`).to.be.greaterThan(-1)
  const next = markdown.indexOf('\n## ', start + 1)
  return markdown.slice(start, next === -1 ? undefined : next)
}

describe('variant attribution', () => {
  it('names the image and counts packages and sources', () => {
    const markdown = render()
    expect(markdown.split('\n')[0]).to.equal('# Third-party software in aws-dev 1.2.3 (x86_64)')
    expect(markdown).to.include('contains 8 packages from 4 sources')
  })

  it('puts a count per license expression at the top, most used first', () => {
    const markdown = render()
    const summary = section(markdown, 'Licenses')
    expect(markdown.indexOf('## Licenses')).to.be.lessThan(markdown.indexOf('## Kit'))
    const rows = summary.split('\n').filter((line) => line.startsWith('| ') && !line.startsWith('| License') && !line.startsWith('| ---'))
    expect(rows).to.deep.equal([
      '| Apache-2.0 | 2 |',
      '| GPL-3.0-or-later WITH GCC-exception-3.1 | 2 |',
      '| Apache-2.0 OR MIT | 1 |',
      '| GPL-2.0-or-later | 1 |',
      '| GPL-2.0-or-later AND LGPL-2.1-or-later | 1 |',
      '| LGPL-2.1-or-later | 1 |',
    ])
  })

  it('groups packages by source in the order given', () => {
    const markdown = render(packages, ['local', 'metadata', 'core-kit', 'k8s-kit'])
    const headings = markdown.split('\n').filter((line) => line.startsWith('## ') && line !== '## Licenses')
    expect(headings).to.deep.equal(['## Project packages (local)', '## Variant metadata (metadata)', '## Kit `core-kit`', '## Kit `k8s-kit`'])
    expect(section(markdown, 'Kit `k8s-kit`')).to.include('**kubelet**').and.not.include('**glibc**')
    expect(section(markdown, 'Project packages (local)')).to.include('**my-agent**').and.not.include('**kubelet**')
  })

  it('lists sources missing from the order after the others, and skips ordered sources without packages', () => {
    const markdown = render(packages, ['metadata', 'unused-kit', 'core-kit'])
    const headings = markdown.split('\n').filter((line) => line.startsWith('## ') && line !== '## Licenses')
    expect(headings).to.deep.equal(['## Variant metadata (metadata)', '## Kit `core-kit`', '## Kit `k8s-kit`', '## Project packages (local)'])
  })

  it('sorts packages by name (then arch) within a source, with version-release and License tag', () => {
    const core = section(render(), 'Kit `core-kit`')
    const entries = core.split('\n').filter((line) => line.startsWith('- '))
    expect(entries).to.deep.equal([
      '- **acpid** 1.0-1.bottlerocket (x86_64)',
      '- **glibc** 1:1.0-1.bottlerocket (x86_64)',
      '- **libgcc** 1.0-1.bottlerocket (i686)',
      '- **libgcc** 1.0-1.bottlerocket (x86_64)',
      '- **systemd** 1.0-1.bottlerocket (x86_64)',
    ])
    expect(core).to.include('  - License: GPL-2.0-or-later AND LGPL-2.1-or-later')
  })

  it('lists every license file a package ships, or says there are none', () => {
    const core = section(render(), 'Kit `core-kit`')
    const systemd = core.slice(core.indexOf('**systemd**'))
    expect(systemd).to.include(
      '  - License files:\n    - `/usr/share/licenses/systemd/LICENSE.GPL2`\n    - `/usr/share/licenses/systemd/LICENSE.LGPL2.1`',
    )
    const acpid = core.slice(core.indexOf('**acpid**'), core.indexOf('**glibc**'))
    expect(acpid).to.include('  - License files: none')
    expect(section(render(), 'Kit `k8s-kit`')).to.include('  - Homepage: <https://kubernetes.io>')
  })

  it('renders the same text whatever order the packages come in', () => {
    expect(render([...packages].reverse())).to.equal(render())
  })

  it('keeps free-text licenses readable and the table intact', () => {
    const markdown = render([pkg('odd', {license: 'GPLv2+ | *custom*', licenseFiles: ['/usr/share/licenses/odd/`weird`']}), pkg('none', {license: '  '})])
    expect(markdown).to.include('| GPLv2+ \\| \\*custom\\* | 1 |')
    expect(markdown).to.include('| (no License tag) | 1 |')
    expect(markdown).to.include('    - `` /usr/share/licenses/odd/`weird` ``')
  })
})
