export type {SourcesConfig, SourcesOverrides} from '../project/sources-config.js'
export {DEFAULT_LOOKASIDE_CACHES, readSourcesConfig, resolveSourcesConfig} from '../project/sources-config.js'
export {ContentCache, type CacheLookup} from './content-cache.js'
export {DownloadError, type TimeoutPolicy} from './download.js'
export {type SourceCandidate, type SourceKind, externalFileName, lookasideUrl, sourceCandidates} from './external-file.js'
export {ExternalFileError, type FailedSource} from './fetch-errors.js'
export {
  DEFAULT_HTTP_POLICY,
  type FetchExternalFilesOptions,
  type FetchProgress,
  type HttpPolicy,
  type PackageExternalFiles,
  fetchExternalFiles,
} from './fetch-external-files.js'
export type {RetryPolicy} from './retry.js'
