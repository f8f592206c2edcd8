/** Test RPMs built in the SDK, reading RPM headers back in the SDK, and scanning directories for secrets. */

import {expect} from 'chai'
import {createHash} from 'node:crypto'
import {lstat, mkdir, open, readFile, readdir, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'

import {type ContainerRunner, hostIds, type RunnerMount} from '../../src/gpg/runner.js'

/** Relative paths of the test RPMs the SDK builds: two noarch packages, one in a subdirectory. */
export const TEST_RPMS = ['Packages/alpha/alpha-1.0-1.noarch.rpm', 'Packages/beta/beta-2.0-1.noarch.rpm']

function spec(name: string, version: string): string {
  return [
    `Name: ${name}`,
    `Version: ${version}`,
    'Release: 1',
    `Summary: The ${name} test package`,
    'License: MIT',
    'BuildArch: noarch',
    '%description',
    '%{summary}.',
    '%install',
    // Some incompressible bytes, so a flipped byte near the end is in the payload.
    `mkdir -p %{buildroot}/usr/share/${name} && head -c 16384 /dev/urandom | base64 > %{buildroot}/usr/share/${name}/data`,
    '%files',
    `/usr/share/${name}/data`,
    '',
  ].join('\n')
}

/** Builds {@link TEST_RPMS} into `dir` (Packages/<name>/) with rpmbuild in the SDK. */
export async function buildTestRpms(runner: ContainerRunner, sdkImage: string, dir: string): Promise<void> {
  const specs = path.join(dir, 'specs')
  const out = path.join(dir, 'rpms')
  await mkdir(specs, {recursive: true})
  await mkdir(out, {recursive: true})
  await writeFile(path.join(specs, 'alpha.spec'), spec('alpha', '1.0'))
  await writeFile(path.join(specs, 'beta.spec'), spec('beta', '2.0'))
  const script = `set -euo pipefail
for specfile in /specs/*.spec; do
  name=$(basename "$specfile" .spec)
  rpmbuild -bb --quiet --define "_topdir /tmp/top/$name" "$specfile"
  mkdir -p "/out/Packages/$name"
  find "/tmp/top/$name/RPMS" -name '*.rpm' -exec cp -t "/out/Packages/$name" {} +
done
chown -R "$HOST_UID:$HOST_GID" /out`
  await runScriptInSdk(runner, sdkImage, script, {env: hostIds(), mounts: [{host: specs, container: '/specs', readOnly: true}, {host: out, container: '/out'}]})
}

/** `rpm -qp --qf <format>` of each RPM under `dir`, in the SDK: relative path → the formatted text. */
export async function queryRpms(runner: ContainerRunner, sdkImage: string, dir: string, format: string): Promise<Record<string, string>> {
  const script = `set -euo pipefail
cd /rpms
find . -type f -name '*.rpm' | LC_ALL=C sort | while read -r f; do
  printf '%s\\t%s\\n' "\${f#./}" "$(rpm -qp --nosignature --nodigest --qf "$FORMAT" "$f" 2>/dev/null)"
done`
  const output = await runScriptInSdk(runner, sdkImage, script, {env: {FORMAT: format}, mounts: [{host: dir, container: '/rpms', readOnly: true}]})
  return Object.fromEntries(
    output
      .split('\n')
      .filter((line) => line.includes('\t'))
      .map((line) => line.split('\t') as [string, string]),
  )
}

/** Runs a bash script as root in the SDK without network, expecting it to succeed; resolves with its output. */
async function runScriptInSdk(runner: ContainerRunner, sdkImage: string, script: string, options: {env: Record<string, string>; mounts: RunnerMount[]}): Promise<string> {
  const output: string[] = []
  const {exitCode} = await runner.run(
    {image: sdkImage, cmd: ['/bin/bash', '-c', script], user: '0:0', network: 'none', env: options.env, mounts: options.mounts},
    {onOutput: (text) => output.push(text)},
  )
  expect(exitCode, output.join('')).to.equal(0)
  return output.join('')
}

/** Every file under the directories, recursively. */
export async function filesUnder(...dirs: string[]): Promise<string[]> {
  const files: string[] = []
  for (const dir of dirs) {
    for (const entry of await readdir(dir, {withFileTypes: true, recursive: true})) {
      if (entry.isFile()) files.push(path.join(entry.parentPath, entry.name))
    }
  }

  return files
}

/** The files (of `files`) that hold any of the needles, with the needle's label. */
export async function filesHolding(files: string[], needles: Array<{label: string; bytes: Buffer}>): Promise<string[]> {
  const found: string[] = []
  for (const file of files) {
    const content = await readFile(file)
    for (const needle of needles) if (content.includes(needle.bytes)) found.push(`${file}: ${needle.label}`)
  }

  return found
}

/** The binary OpenPGP packets of an armored block. */
export function dearmor(armored: string): Buffer {
  const lines = armored.split('\n').map((line) => line.trim())
  const start = lines.findIndex((line) => line.startsWith('-----BEGIN PGP'))
  const blank = lines.indexOf('', start)
  const body = lines.slice(blank + 1).filter((line) => line !== '' && !line.startsWith('-----') && !line.startsWith('='))
  return Buffer.from(body.join(''), 'base64')
}

/** The body of the first OpenPGP packet (old or new header format). */
export function firstPacketBody(binary: Buffer): Buffer {
  const tagByte = binary[0]!
  let offset: number
  let length: number
  if (tagByte & 0x40) {
    const first = binary[1]!
    if (first < 192) [offset, length] = [2, first]
    else if (first < 224) [offset, length] = [3, ((first - 192) << 8) + binary[2]! + 192]
    else [offset, length] = [6, binary.readUInt32BE(2)]
  } else {
    const lengthType = tagByte & 3
    if (lengthType === 0) [offset, length] = [2, binary[1]!]
    else if (lengthType === 1) [offset, length] = [3, binary.readUInt16BE(1)]
    else [offset, length] = [5, binary.readUInt32BE(1)]
  }

  return binary.subarray(offset, offset + length)
}

/**
 * Byte strings that only a copy of the private key holds: its armored text, each armored line it does not
 * share with the public key, and the last 64 bytes of its secret-key packet (the secret part) in binary.
 */
export function privateKeyNeedles(privateArmored: string, publicArmored: string): Array<{label: string; bytes: Buffer}> {
  const publicLines = new Set(publicArmored.split('\n'))
  const secretPacket = firstPacketBody(dearmor(privateArmored))
  const needles = [
    {label: 'the armored private key', bytes: Buffer.from(privateArmored)},
    {label: 'the secret-key packet', bytes: secretPacket.subarray(-64)},
  ]
  for (const line of privateArmored.split('\n')) {
    if (line.length >= 40 && !line.startsWith('-----') && !publicLines.has(line)) needles.push({label: `the private key's armored line ${line.slice(0, 12)}…`, bytes: Buffer.from(line)})
  }

  return needles
}

/** Flips one byte of an RPM's payload (100 bytes before its end), as a change made after signing would. */
export async function flipPayloadByte(file: string): Promise<void> {
  const handle = await open(file, 'r+')
  try {
    const {size} = await handle.stat()
    const byte = Buffer.alloc(1)
    await handle.read(byte, 0, 1, size - 100)
    byte[0] = byte[0]! ^ 0xff
    await handle.write(byte, 0, 1, size - 100)
  } finally {
    await handle.close()
  }
}

/**
 * A GnuPG home directory at `home` (made; owned by the caller) holding the secret keys of the armored key
 * files, imported with gpg in the SDK, as a maintainer's ~/.gnupg or a CI keyring would. gpg-agent is
 * stopped before the container ends, so its sockets are gone.
 */
export async function makeGnupgHome(runner: ContainerRunner, sdkImage: string, home: string, privateKeyFiles: string[]): Promise<void> {
  const keys = path.join(path.dirname(home), `${path.basename(home)}.import`)
  await mkdir(keys, {recursive: true, mode: 0o700})
  await mkdir(home, {recursive: true, mode: 0o700})
  for (const [index, file] of privateKeyFiles.entries()) await writeFile(path.join(keys, `key-${index}.asc`), await readFile(file), {mode: 0o644})
  const script = `set -euo pipefail
export GNUPGHOME=/home-out
chmod 0700 "$GNUPGHOME"
for key in /keys/*.asc; do gpg --batch --import "$key"; done
gpg --batch --list-secret-keys
gpgconf --kill gpg-agent
chown -R "$HOST_UID:$HOST_GID" "$GNUPGHOME"`
  try {
    await runScriptInSdk(runner, sdkImage, script, {env: hostIds(), mounts: [{host: keys, container: '/keys', readOnly: true}, {host: home, container: '/home-out'}]})
  } finally {
    await rm(keys, {recursive: true, force: true})
  }
}

/** Every file under `dir` (recursively, symlinks and sockets included) → the sha256 of its bytes, or its kind. */
export async function treeDigest(dir: string): Promise<Record<string, string>> {
  const digest: Record<string, string> = {}
  for (const entry of await readdir(dir, {withFileTypes: true, recursive: true})) {
    const file = path.join(entry.parentPath, entry.name)
    const relative = path.relative(dir, file)
    if (entry.isFile()) digest[relative] = createHash('sha256').update(await readFile(file)).digest('hex')
    else digest[relative] = entry.isDirectory() ? 'directory' : entry.isSocket() ? 'socket' : 'other'
    digest[`${relative} mode`] = ((await lstat(file)).mode & 0o7777).toString(8)
  }

  return digest
}
