export * from './types.js'
export {DEFAULT_IMAGE_LAYOUT} from './metadata.js'
export {type LoadWorkspaceOptions, loadWorkspace} from './workspace.js'
