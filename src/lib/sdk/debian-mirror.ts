import {readFile, readdir} from 'node:fs/promises'
import path from 'node:path'

export const DEFAULT_DEBIAN_MIRROR = 'http://deb.debian.org/debian'

/** One `deb` source of the apt configuration. */
export interface AptSource {
  uri: string
  components: string[]
}

/**
 * The Debian archive to debootstrap from: TWOLITER_DEBIAN_MIRROR, else the first `deb` source of the host's
 * apt configuration (deb822 `*.sources` files, then `sources.list` and `*.list`) that looks like a Debian
 * archive mirror: its path ends in /debian and it has the `main` component (which leaves out
 * debian-security, Ubuntu's archives and third-party ones such as Docker's), else deb.debian.org.
 */
export async function hostDebianMirror(options: {env?: NodeJS.ProcessEnv; aptDir?: string} = {}): Promise<string> {
  const fromEnv = (options.env ?? process.env).TWOLITER_DEBIAN_MIRROR?.trim()
  if (fromEnv) return fromEnv
  const aptDir = options.aptDir ?? '/etc/apt'
  const listDir = path.join(aptDir, 'sources.list.d')
  const names = (await readdir(listDir).catch(() => [] as string[])).sort()
  const sources = [
    ...(await readEach(names.filter((name) => name.endsWith('.sources')).map((name) => path.join(listDir, name)))).flatMap(deb822Sources),
    ...(await readEach([path.join(aptDir, 'sources.list'), ...names.filter((name) => name.endsWith('.list')).map((name) => path.join(listDir, name))])).flatMap(
      oneLineSources,
    ),
  ]
  return sources.find(isDebianArchive)?.uri ?? DEFAULT_DEBIAN_MIRROR
}

/** The `Types: deb` stanzas of a deb822 sources file that are not disabled, one source per URI. */
export function deb822Sources(text: string): AptSource[] {
  const sources: AptSource[] = []
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>()
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#')) continue
      const match = /^([A-Za-z-]+):\s*(.*)$/.exec(line)
      if (match) fields.set(match[1].toLowerCase(), match[2].trim())
    }

    const types = (fields.get('types') ?? '').split(/\s+/)
    if (!types.includes('deb') || fields.get('enabled')?.toLowerCase() === 'no') continue
    const components = (fields.get('components') ?? '').split(/\s+/).filter((component) => component !== '')
    for (const uri of (fields.get('uris') ?? '').split(/\s+/)) if (uri !== '') sources.push({uri, components})
  }

  return sources
}

/** The `deb` lines of a one-line-style sources.list (`deb [options] URI suite components...`). */
export function oneLineSources(text: string): AptSource[] {
  const sources: AptSource[] = []
  for (const line of text.split('\n')) {
    const match = /^\s*deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+\s*(.*)$/.exec(line.replace(/#.*/, ''))
    if (match) sources.push({uri: match[1], components: match[2].split(/\s+/).filter((component) => component !== '')})
  }

  return sources
}

function isDebianArchive(source: AptSource): boolean {
  try {
    const url = new URL(source.uri)
    const archivePath = url.pathname.replace(/\/+$/, '')
    return (url.protocol === 'http:' || url.protocol === 'https:') && archivePath.endsWith('/debian') && source.components.includes('main')
  } catch {
    return false
  }
}

async function readEach(files: string[]): Promise<string[]> {
  const texts = await Promise.all(files.map((file) => readFile(file, 'utf8').catch(() => undefined)))
  return texts.filter((text): text is string => text !== undefined)
}
