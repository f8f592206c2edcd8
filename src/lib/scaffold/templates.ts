import {readFile} from 'node:fs/promises'
import {fileURLToPath} from 'node:url'

// Same depth below the repository in src/ and in dist/.
const TEMPLATES = new URL('../../../assets/templates/', import.meta.url)

/** Reads assets/templates/<name> and replaces every `{{key}}` with its value. */
export async function renderTemplate(name: string, values: Record<string, string>): Promise<string> {
  const text = await readFile(new URL(name, TEMPLATES), 'utf8')
  return text.replaceAll(/\{\{(\w+)\}\}/g, (_, key: string) => {
    if (!(key in values)) throw new Error(`template ${name} uses {{${key}}}, which has no value`)
    return values[key]
  })
}

export function templatePath(name: string): string {
  return fileURLToPath(new URL(name, TEMPLATES))
}
