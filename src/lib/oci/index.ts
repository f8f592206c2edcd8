/** The OCI distribution client, image layouts and image transfers: what the rest of twoliter uses. */

export {repositoryScope, type RepositoryAction} from './auth.js'
export {blobFromBytes, blobFromFile, type BlobSource} from './blob-source.js'
export {canonicalJson, canonicalizeJsonText, type JsonValue} from './canonical-json.js'
export {type BlobPushOutcome, type FetchedManifest, type ManifestHead, type PushBlobOptions, RegistryClient, type RegistryClientOptions} from './client.js'
export {type CredentialProvider, type ProvidedCredentials, type RegistryCredentials} from './credentials.js'
export {isDigest, parseDigest, sha256Digest} from './digest.js'
export {dockerArchiveToLayout, type DockerArchiveImage, type DockerArchiveStream, layoutToDockerArchive, pushDockerArchive, type PushedDockerArchive} from './docker-archive.js'
export {INSECURE_REGISTRIES_ENV} from './endpoint.js'
export {
  type BlobCounts,
  type IndexEntry,
  pullImage,
  type PulledImage,
  pushImageLayout,
  type PushedImage,
  type PushedIndex,
  pushIndex,
  type PushLayoutOptions,
} from './image-transfer.js'
export {
  createImageLayout,
  extractLayoutArchive,
  hasLayoutBlob,
  importLayoutBlob,
  layoutBlobPath,
  readLayoutBlob,
  readLayoutIndex,
  writeLayoutArchive,
  writeLayoutBlob,
  writeLayoutIndex,
} from './layout.js'
export {type Descriptor, type ImageIndex, type ImageManifest, MediaType, parseImageIndex, parseImageManifest} from './manifest.js'
export {formatPlatform, linuxPlatform, type Platform, platformMatches} from './platform.js'
export {ImageReference, type RepositoryLocation} from './reference.js'
export {DEFAULT_RETRY_POLICY, type RetryPolicy} from './retry.js'
