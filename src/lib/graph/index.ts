export {type DependencyEdge, DependencyGraph} from './dependency-graph.js'
export {TEXT_FORMATS, type TextFormat, renderDot, renderJson, renderSummaries, renderTree, renderWhy} from './render.js'
export {type GraphSummary, defaultTargets, summarize} from './summary.js'
export {DEFAULT_WHY_LIMIT, type WhyPath, type WhyResult, type WhyStep, whyPaths} from './why.js'
