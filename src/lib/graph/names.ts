import {editDistance} from '../toml/document.js'

/**
 * Names a mistyped one probably meant, closest first: a small edit distance, or one containing the other
 * ("ootb" finds "hello-ootb").
 */
export function closeNames(wanted: string, candidates: readonly string[], limit = 5): string[] {
  const lower = wanted.toLowerCase()
  const allowed = Math.max(2, Math.floor(wanted.length / 3))
  const scored = [...new Set(candidates)]
    .map((name) => ({name, distance: editDistance(lower, name.toLowerCase())}))
    .filter(({name, distance}) => distance <= allowed || contains(name.toLowerCase(), lower) || contains(lower, name.toLowerCase()))
    .sort((a, b) => a.distance - b.distance || (a.name < b.name ? -1 : 1))
  return scored.slice(0, limit).map(({name}) => name)
}

/** Containment of very short strings says nothing. */
function contains(text: string, part: string): boolean {
  return part.length >= 3 && text.includes(part)
}
