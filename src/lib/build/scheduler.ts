/**
 * Runs a dependency graph of tasks: each node starts once all of its dependencies succeeded, at most
 * `jobs` at a time. On the first failure it stops starting new work and aborts what runs (fail-fast), or
 * with `keepGoing` finishes everything that does not depend on a failed node.
 */

export type NodeOutcome<R> =
  | {status: 'done'; result: R}
  | {status: 'failed'; error: unknown}
  /** Not run: a dependency failed (`blockedBy`) or the build was stopped first. */
  | {status: 'not-run'; blockedBy?: string}

export interface ScheduledNode {
  id: string
  dependencies: readonly string[]
}

export interface ScheduleOptions {
  jobs: number
  keepGoing?: boolean
  /** Aborting it stops starting new nodes and aborts the running ones through their own signals. */
  signal?: AbortSignal
}

export async function runSchedule<R>(
  nodes: readonly ScheduledNode[],
  run: (id: string, signal: AbortSignal) => Promise<R>,
  options: ScheduleOptions,
): Promise<Map<string, NodeOutcome<R>>> {
  const byId = new Map(nodes.map((node) => [node.id, node]))
  for (const node of nodes) {
    for (const dependency of node.dependencies) {
      if (!byId.has(dependency)) throw new Error(`scheduler: ${node.id} depends on unknown node ${dependency}`)
    }
  }

  const outcomes = new Map<string, NodeOutcome<R>>()
  const waiting = new Set(nodes.map((node) => node.id))
  const running = new Map<string, Promise<void>>()
  const stop = new AbortController()
  const onOuterAbort = () => stop.abort(options.signal?.reason)
  options.signal?.addEventListener('abort', onOuterAbort, {once: true})
  if (options.signal?.aborted) stop.abort(options.signal.reason)

  const failedDependency = (node: ScheduledNode) =>
    node.dependencies.find((d) => {
      const outcome = outcomes.get(d)
      return outcome !== undefined && outcome.status !== 'done'
    })
  const ready = (node: ScheduledNode) => node.dependencies.every((d) => outcomes.get(d)?.status === 'done')

  try {
    for (;;) {
      // Settle nodes that can no longer run because something below them failed.
      let settled = true
      while (settled) {
        settled = false
        for (const id of waiting) {
          const blocker = failedDependency(byId.get(id)!)
          if (blocker !== undefined) {
            outcomes.set(id, {status: 'not-run', blockedBy: blocker})
            waiting.delete(id)
            settled = true
          }
        }
      }

      if (!stop.signal.aborted) {
        for (const id of [...waiting]) {
          if (running.size >= Math.max(1, options.jobs)) break
          if (!ready(byId.get(id)!)) continue
          waiting.delete(id)
          running.set(
            id,
            run(id, stop.signal).then(
              (result) => {
                outcomes.set(id, {status: 'done', result})
              },
              (error: unknown) => {
                outcomes.set(id, {status: 'failed', error})
                if (!options.keepGoing) stop.abort(error)
              },
            ).finally(() => running.delete(id)),
          )
        }
      }

      if (running.size === 0) break
      await Promise.race(running.values())
    }
  } finally {
    options.signal?.removeEventListener('abort', onOuterAbort)
  }

  for (const id of waiting) outcomes.set(id, {status: 'not-run'})
  return outcomes
}
