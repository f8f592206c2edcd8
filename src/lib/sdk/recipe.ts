import {createHash} from 'node:crypto'
import {readFile, readdir} from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

/** The sdk/ directory of this installation: the local SDK's recipe. */
export const SDK_RECIPE_DIR = fileURLToPath(new URL('../../../sdk/', import.meta.url))

/** The Debian release the root file system comes from. Part of the recipe hash. */
export const DEBIAN_SUITE = 'bookworm'

// Bumped when the way the recipe becomes an image changes (debootstrap options, import, trimming).
const RECIPE_FORMAT = 'twoliter-local-sdk/2 debootstrap --variant=minbase, trimmed'

// Documentation does not change the image.
const NOT_RECIPE = new Set(['README.md'])

export interface LocalSdkRecipe {
  dir: string
  /** The Debian packages of packages.txt, in file order, without comments. */
  packages: string[]
  /** SHA-256 (hex) of every recipe file: names the SDK image. */
  hash: string
  /** SHA-256 (hex) of what the debootstrap root file system depends on: the suite and the package set. */
  rootfsHash: string
}

export async function readLocalSdkRecipe(dir: string = SDK_RECIPE_DIR): Promise<LocalSdkRecipe> {
  const files = await recipeFiles(dir)
  const hash = createHash('sha256').update(`${RECIPE_FORMAT}\nsuite ${DEBIAN_SUITE}\n`)
  for (const file of files) {
    const content = await readFile(path.join(dir, file))
    hash.update(`${file}\0${content.length}\0`).update(content)
  }

  const packages = parsePackageList(await readFile(path.join(dir, 'packages.txt'), 'utf8'))
  const rootfsHash = createHash('sha256')
    .update(`${RECIPE_FORMAT}\nsuite ${DEBIAN_SUITE}\n${[...new Set(packages)].sort().join('\n')}\n`)
    .digest('hex')
  return {dir, packages, hash: hash.digest('hex'), rootfsHash}
}

/** The SHA-256 of the local SDK's recipe (sdk/), which names and labels the image it builds. */
export async function localSdkRecipeHash(dir: string = SDK_RECIPE_DIR): Promise<string> {
  return (await readLocalSdkRecipe(dir)).hash
}

/** One package a line; `#` starts a comment. */
export function parsePackageList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter((line) => line !== '')
}

/** The recipe's files as sorted relative POSIX paths. */
async function recipeFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, {recursive: true, withFileTypes: true})
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'))
    .filter((file) => !NOT_RECIPE.has(file))
    .sort()
}
