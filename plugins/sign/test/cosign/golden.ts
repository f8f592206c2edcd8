/**
 * Real cosign data, made by the cosign binary (or verified against it) and published in public
 * repositories. Nothing here was produced by this project's code: these are what it is checked against.
 * Each constant says where it comes from.
 */

/**
 * A key pair from `cosign generate-key-pair` with an empty password, a blob and its `cosign sign-blob`
 * signature. From edgelesssys/constellation, cli/internal/cmd/configfetchmeasurements_test.go
 * (TestConfigFetchMeasurements: "Generated with: cosign generate-key-pair. Password left empty.").
 */
export const CONSTELLATION = {
  password: '',
  privateKeyPem: `-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----
eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjozMjc2OCwiciI6
OCwicCI6MX0sInNhbHQiOiJlRHVYMWRQMGtIWVRnK0xkbjcxM0tjbFVJaU92eFVX
VXgvNi9BbitFVk5BPSJ9LCJjaXBoZXIiOnsibmFtZSI6Im5hY2wvc2VjcmV0Ym94
Iiwibm9uY2UiOiJwaWhLL2txNmFXa2hqSVVHR3RVUzhTVkdHTDNIWWp4TCJ9LCJj
aXBoZXJ0ZXh0Ijoidm81SHVWRVFWcUZ2WFlQTTVPaTVaWHM5a255bndZU2dvcyth
VklIeHcrOGFPamNZNEtvVjVmL3lHRHR0K3BHV2toanJPR1FLOWdBbmtsazFpQ0c5
a2czUXpPQTZsU2JRaHgvZlowRVRZQ0hLeElncEdPRVRyTDlDenZDemhPZXVSOXJ6
TDcvRjBBVy9vUDVqZXR3dmJMNmQxOEhjck9kWE8yVmYxY2w0YzNLZjVRcnFSZzlN
dlRxQWFsNXJCNHNpY1JaMVhpUUJjb0YwNHc9PSJ9
-----END ENCRYPTED COSIGN PRIVATE KEY-----
`,
  publicKeyPem: `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEu78QgxOOcao6U91CSzEXxrKhvFTt
JHNy+eX6EMePtDm8CnDF9HSwnTlD0itGJ/XHPQA5YX10fJAqI1y+ehlFMw==
-----END PUBLIC KEY-----
`,
  /** The Go raw string of the test: tab-indented, ending in a newline. */
  blob: [
    '{',
    '\t"csp": "gcp",',
    '\t"image": "v999.999.999",',
    '\t"measurements": {',
    ...['0', '1', '2', '3', '4', '5', '6'].map((n, index) => `\t\t"${n}": "${n.repeat(64)}"${index < 6 ? ',' : ''}`),
    '\t}',
    '}',
    '',
  ].join('\n'),
  blobSignature: 'MEYCIQDRAQNK2NjHJBGrnw3HQAyBsXMCmVCptBdgA6VZ3IlyiAIhAPG42waF1aFZq7dnjP3b2jsMNUtaKYDQQSazW1AX8jgF',
} as const

/**
 * Encrypted keys from sigstore/cosign, pkg/cosign/keys_test.go (TestReadingPrivatePemTypes loads them
 * with the password "hello"). The file publishes no public keys for them.
 */
export const COSIGN_KEYS_TEST = {
  password: 'hello',
  /** `pemsigstorekey`: the current label, an ECDSA P-256 key (scrypt N=32768). */
  sigstoreLabel: `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----
eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjozMjc2OCwiciI6
OCwicCI6MX0sInNhbHQiOiI3T3VGd2VsbWZZNXVId2NoaURSc210anNwZ2ZlZjFG
Mk5lOGFDTjVLYVpZPSJ9LCJjaXBoZXIiOnsibmFtZSI6Im5hY2wvc2VjcmV0Ym94
Iiwibm9uY2UiOiJQNHk4OGhCb3ZTa09MbXN0bFVBaGJwdDJ0K2xTNUxQSCJ9LCJj
aXBoZXJ0ZXh0IjoiMnB1QzdyZldJOWh3bnJlQ2s4aUZDRlVwQlRrSzRJNlIvbFBF
cnBDekpXUGpJWXl4eGVIL1A2VW52cFJHdVhla1NNb3JMdGhLamdoQ1JlNy82NDVH
QWtoVm1LRC92eEF0S2EvbE1abENSQ3FlekJGUFd1dzNpeFRtZ2xhb2J1ZFVSbUVs
bmNGOGlZbzBTMVl6Y1ZOMVFwY2J2c0dNcUlYRzVlbmdteGp5dCtBcXlyZTF0Q0Y0
V01tU1BlaEljNlBqd2h1Q2xHaVpJUWRvTGc9PSJ9
-----END ENCRYPTED SIGSTORE PRIVATE KEY-----`,
  /** `pemcosigneckey`: the old label, scrypt N=65536, and SEC 1 DER inside (cosign itself refuses it). */
  cosignLabelSec1: `-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----
eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjo2NTUzNiwiciI6
OCwicCI6MX0sInNhbHQiOiJHK3F5WTYrNzhNS0JzMXNGTGs1ajYwcS9kS3Z1czBW
VkhlSHZybC9POTF3PSJ9LCJjaXBoZXIiOnsibmFtZSI6Im5hY2wvc2VjcmV0Ym94
Iiwibm9uY2UiOiJRc2JGdG13WDRDK2ttV3ZCcVRaMEFGOUFYdk1jRmg1SCJ9LCJj
aXBoZXJ0ZXh0IjoiREM5T28zeldiYVQzSXYwdFVnWEdycjUxYW1samwwNlQ5MTNP
VkxPbWpuMWhnK2o2WXRUbWg3SGhZSlY1N2J5eGE0Q281bE9YYmRqbTJ3aklubEd1
Um5aZCt5OExnekpSNzFSeEhKVzgrWmRlcFJmYWJMTjdHbDgrSFZEcERVQ3NxQnRh
VngyblpGbFEwWUl1anZwbFphblNGaUVvdERLVGkxZ3VhUXIwUHNzYU01NXZxbTRY
WS9rPSJ9
-----END ENCRYPTED COSIGN PRIVATE KEY-----`,
} as const

/**
 * A simple-signing payload, its signature and the signer's public key, from sigstore/sigstore-rs,
 * src/cosign/signature_layers.rs (tests: `build_correct_signature_layer_without_bundle(s)`; the test
 * verifies the signature over `serde_json::to_vec` of the payload, whose keys come out in this order).
 * `otherPublicKeyPem` is the key the same tests expect NOT to verify it.
 */
export const SIGSTORE_RS = {
  publicKeyPem: `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAENptdY/l3nB0yqkXLBWkZWQwo6+cu
OSWS1X9vPavpiQOoTTGC0xX57OojUadxF1cdQmrsiReWg2Wn4FneJfa8xw==
-----END PUBLIC KEY-----`,
  otherPublicKeyPem: `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAETJP9cqpUQsn2ggmJniWGjHdlsHzD
JsB89BPhZYch0U0hKANx5TY+ncrm0s8bfJxxHoenAEFhwhuXeb4PqIrtoQ==
-----END PUBLIC KEY-----`,
  busybox: {
    dockerReference: 'registry-testing.svc.lan/busybox',
    manifestDigest: 'sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b',
    payload:
      '{"critical":{"identity":{"docker-reference":"registry-testing.svc.lan/busybox"},"image":{"docker-manifest-digest":"sha256:f3cfc9d0dbf931d3db4685ec659b7ac68e2a578219da4aae65427886e649b06b"},"type":"cosign container image signature"},"optional":null}',
    signature: 'MEUCIQD6q/COgzOyW0YH1Dk+CCYSt4uAhm3FDHUwvPI55zwnlwIgE0ZK58ZOWpZw8YVmBapJhBqCfdPekIknimuO0xH8Jh8=',
  },
  /**
   * A signature manifest with two signatures of one payload ("this happens when multiple people sign
   * the artifact"), from an earlier version of the same file (`build_signature_layers_when_multiple_
   * signatures_are_available`). The second signature is by `publicKeyPem`; the config descriptor (342
   * bytes, 44f7cb…) is cosign's config for two layers.
   */
  alpine: {
    dockerReference: 'registry-testing.svc.lan/alpine',
    manifestDigest: 'sha256:69704ef328d05a9f806b6b8502915e6a0a4faa4d72018dc42343f511490daf8a',
    payload:
      '{"critical":{"identity":{"docker-reference":"registry-testing.svc.lan/alpine"},"image":{"docker-manifest-digest":"sha256:69704ef328d05a9f806b6b8502915e6a0a4faa4d72018dc42343f511490daf8a"},"type":"cosign container image signature"},"optional":null}',
    payloadDigest: 'sha256:3b135f3a4b97f77a80e332f3bd09737b449c627fbca957cb464a3322d35ec13f',
    payloadSize: 247,
    signatures: [
      'MEQCIHES47aY6xcCSH/Q8FC8v8qQmqWx5Tq8rHskzmfp4fM2AiBsXDgGMgW5I68DsqoCSdobPr282UXHv/iM3ABBkIGBYA==',
      'MEUCIQDcb5mP/PmZhB5ywI01N/R1T5hqyIjgwebdIA4DA6Gp7QIgIVEq/Wr7aajgwP9c7MJFIlScfW035TrdnNAwoOQsEcw=',
    ],
    configDigest: 'sha256:44f7cbc918de5e174ac682fa0c83b35122482b9900ff312340709ac95a3d5372',
    configSize: 342,
  },
} as const

/**
 * An HTTP trace of cosign v1.13.1 (`-d`) signing and verifying chihjenhuang/cosign1:t1 on Docker Hub,
 * from jeffhuang4704/just-notes, cosign/cosign-traffic.md. The manifest is the body of the PUT of the
 * `.sig` tag (558 bytes; the registry answered Docker-Content-Digest sha256:7ebe89…); the config is the
 * body of its config blob (cosign 1 recorded the signing time in `created`; cosign 2 writes Go's zero
 * time unless --record-creation-timestamp); the payload is what `cosign verify` printed, whose digest is
 * the layer digest. The public key is not published, so the signature cannot be checked here.
 */
export const COSIGN_TRACE = {
  dockerReference: 'index.docker.io/chihjenhuang/cosign1',
  manifestDigest: 'sha256:4c1c50d0ffc614f90b93b07d778028dc765548e823f676fb027f61d281ac380d',
  tag: 'sha256-4c1c50d0ffc614f90b93b07d778028dc765548e823f676fb027f61d281ac380d.sig',
  payload:
    '{"critical":{"identity":{"docker-reference":"index.docker.io/chihjenhuang/cosign1"},"image":{"docker-manifest-digest":"sha256:4c1c50d0ffc614f90b93b07d778028dc765548e823f676fb027f61d281ac380d"},"type":"cosign container image signature"},"optional":null}',
  payloadDigest: 'sha256:b671489ededd1a180bd87235bba00fd83354f9c7d13b71d9f8b66a8e52965ebc',
  payloadSize: 252,
  signature: 'MEYCIQCPH7NJAIfrB6BZN91dV0o7l/i11muXrvrAh100jDMMhAIhAPsLH0oXb2OPITXRpWBMUd3vHtz5Ks5pql2Hr6t/IJXw',
  config:
    '{"architecture":"","created":"2023-02-17T09:25:33.91047962-08:00","history":[{"created":"0001-01-01T00:00:00Z"}],"os":"","rootfs":{"type":"layers","diff_ids":["sha256:b671489ededd1a180bd87235bba00fd83354f9c7d13b71d9f8b66a8e52965ebc"]},"config":{}}',
  configDigest: 'sha256:85ad8e17d3d7c00664855c638832bd99f32d42542c2d587851410a45a7f60b95',
  manifest:
    '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":247,"digest":"sha256:85ad8e17d3d7c00664855c638832bd99f32d42542c2d587851410a45a7f60b95"},"layers":[{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","size":252,"digest":"sha256:b671489ededd1a180bd87235bba00fd83354f9c7d13b71d9f8b66a8e52965ebc","annotations":{"dev.cosignproject.cosign/signature":"MEYCIQCPH7NJAIfrB6BZN91dV0o7l/i11muXrvrAh100jDMMhAIhAPsLH0oXb2OPITXRpWBMUd3vHtz5Ks5pql2Hr6t/IJXw"}}]}',
  manifestRegistryDigest: 'sha256:7ebe8964225fa4619b53aa35416ef0246c037e36ddf81776b21b15e1dda2262b',
} as const

/**
 * From the README of the pyrrhus/nexus0 image (a fork of Underground-Ops/underground-nexus; found by
 * the code search, its repository name was not shown): `crane manifest` of a real `.sig` tag (pretty-
 * printed by jq) whose config digest is cosign's zero-time config for that one layer, and a `cosign
 * verify` output of a payload with `-a` annotations. (The printed payload is from another signing run
 * than the manifest: its digest is not the layer's, so only its byte layout is used.)
 */
export const NEXUS0 = {
  manifest: {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {mediaType: 'application/vnd.oci.image.config.v1+json', size: 233, digest: 'sha256:342957a565a3133b864b091291dca2778d9f2735c2fc31404937cf1076b029a7'},
    layers: [
      {
        mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
        size: 319,
        digest: 'sha256:863fd2246616b5842ec6dfaefa40ba91acb5627d4d1a0e16e136f75f5e25eaa6',
        annotations: {'dev.cosignproject.cosign/signature': 'MEQCIDnIHpAtsWKlc4Tlu0aCK8d/8jyF0nUZjPfaGbSwwZJqAiAteCPKYuG4na8KktWj48CxEMjKdSleIQS0NzKDAsO5CA=='},
      },
    ],
  },
  verifiedPayload:
    '{"critical":{"identity":{"docker-reference":"index.docker.io/pyrrhus/nexus0"},"image":{"docker-manifest-digest":"sha256:2370cc6b72bbeb73eab1f2edf3e22a5e30c785877b82a5d2ea79302742243927"},"type":"cosign container image signature"},"optional":{"commit":"fbc8d91acd7fac6a70a46d71d88b15b8550fe2d8","repo":"pyrrhus/nexus0"}}',
} as const
