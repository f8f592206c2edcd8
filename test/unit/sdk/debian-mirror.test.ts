import {expect} from 'chai'

import {DEFAULT_DEBIAN_MIRROR, deb822Sources, hostDebianMirror, oneLineSources} from '../../../src/lib/sdk/debian-mirror.js'
import {temporaryDirectories} from '../project/helpers.js'

const DEBIAN_SOURCES = `Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://mirror.example.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example.org/debian-security
Suites: bookworm-security
Components: main
`

describe('hostDebianMirror', () => {
  const directories = temporaryDirectories()

  it('takes the Debian archive of a deb822 sources file, not its security archive', async () => {
    const aptDir = await directories.create({'sources.list.d/debian.sources': DEBIAN_SOURCES})
    expect(await hostDebianMirror({aptDir, env: {}})).to.equal('http://mirror.example.org/debian')
  })

  it('reads a one-line sources.list, options in brackets included', async () => {
    const aptDir = await directories.create({
      'sources.list': '# deb http://commented.example/debian bookworm main\ndeb [arch=amd64 signed-by=/k.gpg] https://deb.example.net/debian/ bookworm main\n',
    })
    expect(await hostDebianMirror({aptDir, env: {}})).to.equal('https://deb.example.net/debian/')
  })

  it('skips Ubuntu, third-party (Docker) and disabled archives, and falls back to deb.debian.org', async () => {
    const aptDir = await directories.create({
      'sources.list': 'deb http://archive.ubuntu.com/ubuntu jammy main\n',
      'sources.list.d/docker.list': 'deb [arch=amd64] https://download.docker.com/linux/debian bookworm stable\n',
      'sources.list.d/disabled.sources': 'Types: deb\nURIs: http://off.example/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n',
    })
    expect(await hostDebianMirror({aptDir, env: {}})).to.equal(DEFAULT_DEBIAN_MIRROR)
    expect(await hostDebianMirror({aptDir: await directories.create(), env: {}})).to.equal(DEFAULT_DEBIAN_MIRROR)
  })

  it('takes a .list mirror after a sources.list without one', async () => {
    const aptDir = await directories.create({
      'sources.list': 'deb http://archive.ubuntu.com/ubuntu jammy main\n',
      'sources.list.d/mirror.list': 'deb http://ftp.example.de/debian bookworm main contrib\n',
    })
    expect(await hostDebianMirror({aptDir, env: {}})).to.equal('http://ftp.example.de/debian')
  })

  it('prefers TWOLITER_DEBIAN_MIRROR', async () => {
    const aptDir = await directories.create({'sources.list.d/debian.sources': DEBIAN_SOURCES})
    expect(await hostDebianMirror({aptDir, env: {TWOLITER_DEBIAN_MIRROR: 'http://local.mirror/debian'}})).to.equal('http://local.mirror/debian')
  })
})

describe('sources parsing', () => {
  it('lists enabled deb stanzas only, with their components', () => {
    expect(deb822Sources(`${DEBIAN_SOURCES}\nTypes: deb-src\nURIs: http://src.example/debian\nComponents: main\n`)).to.deep.equal([
      {uri: 'http://mirror.example.org/debian', components: ['main']},
      {uri: 'http://mirror.example.org/debian-security', components: ['main']},
    ])
  })

  it('lists deb lines, not deb-src ones or comments', () => {
    expect(oneLineSources('deb-src http://a.example/debian bookworm main\ndeb http://b.example/debian bookworm main non-free # note\n# deb http://c.example/debian bookworm main')).to.deep.equal([
      {uri: 'http://b.example/debian', components: ['main', 'non-free']},
    ])
  })
})
