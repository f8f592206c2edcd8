export {DEFAULT_DEBIAN_MIRROR, hostDebianMirror} from './debian-mirror.js'
export {
  LOCAL_SDK_REPOSITORY,
  type LocalSdkBuild,
  type LocalSdkBuildOptions,
  SDK_RECIPE_LABEL,
  SDK_ROOTFS_LABEL,
  buildLocalSdk,
  localSdkCacheTag,
  removeLocalSdkImages,
} from './local-sdk.js'
export {DEBIAN_SUITE, type LocalSdkRecipe, SDK_RECIPE_DIR, localSdkRecipeHash, parsePackageList, readLocalSdkRecipe} from './recipe.js'
export {type InstalledTools, SDK_TOOLS_DIR, defaultToolsDir, installSdkTools} from './tools.js'
export {STANDALONE_LOCAL_SDK_TAG, defaultLocalSdkTag} from './default-tag.js'
