/**
 * Plugin code that outlived its timeout keeps running: a promise cannot be cancelled. If it holds a timer or
 * a socket, Node would wait for it after the command is done; twoliter exits instead (see
 * src/hooks/finally/exit-despite-hung-plugins.ts).
 */

const hung: string[] = []

export function recordHungHook(description: string): void {
  hung.push(description)
}

/** The hooks and plugin calls that timed out in this process, e.g. `my-plugin (twoliter:post-build)`. */
export function hungHooks(): readonly string[] {
  return hung
}

/** How long a finished command waits for hung plugin code before it exits anyway. */
const EXIT_GRACE_MS = 100

/**
 * Once the command is done: when plugin code hung, makes the process exit (with its exit code) even if that
 * code still holds the event loop; otherwise does nothing and Node exits as usual.
 */
export function exitDespiteHungHooks(): void {
  if (hung.length === 0) return
  // Unreferenced: when nothing keeps the process alive it ends by itself and this never fires.
  setTimeout(() => {
    process.stdout.write('', () => process.stderr.write('', () => process.exit()))
  }, EXIT_GRACE_MS).unref()
}
