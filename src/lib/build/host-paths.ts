import path from 'node:path'

import {TwoliterError} from '../errors.js'

// Mounting one of these (or anything below the pseudo file systems) into a container that runs as root
// would hand the build the host's system, and a project there would shadow the SDK's own files.
const SYSTEM_DIRECTORIES = ['/', '/bin', '/boot', '/etc', '/lib', '/lib32', '/lib64', '/libx32', '/root', '/run', '/sbin', '/usr', '/var', '/var/lib/docker']
const PSEUDO_FILE_SYSTEMS = ['/proc', '/sys', '/dev']

/** Refuses, before any container starts, host directories that must not be mounted into the SDK. */
export function checkMountableHostPath(hostPath: string, what: string): void {
  const resolved = path.resolve(hostPath)
  const inPseudo = PSEUDO_FILE_SYSTEMS.some((root) => resolved === root || resolved.startsWith(`${root}/`))
  if (SYSTEM_DIRECTORIES.includes(resolved) || inPseudo) {
    throw new TwoliterError(`${what} is ${resolved}, a system directory that cannot be mounted into the build container.`, {
      hint: 'Move the project into a directory of its own (for example under your home directory) and build it from there.',
      code: 'build.host-path',
    })
  }
}
