/**
 * State shared by every adapter over one backing keyspace: the commit lock and the watchers.
 *
 * ```ts
 * const store = sharedStore(db)            // same object for every adapter over `db`
 * await store.exclusive(async () => { … })  // one commit at a time per keyspace
 * store.listeners.announce([{ key: 'a', revision: 7 }])
 * ```
 *
 * Why shared: optimistic concurrency only holds if the read-validate-write of two commits
 * never interleave, and `watch` must see commits made through other adapter instances. Both
 * need one lock and one listener set per keyspace, not per adapter object.
 *
 * Why keyed by root database and sublevel prefix rather than by the object handed in:
 * `db.sublevel('kms')` returns a new object on each call, yet two of them address the same
 * keys. Keying by `(db.db, db.prefix)` makes them share a lock; keying by object would let
 * both accept a commit expecting the same revision.
 *
 * Scope: one process. `sharedAcrossProcesses` is false for these adapters because the lock
 * lives here (and classic-level's LOCK file keeps a second process out anyway).
 */

import { ChangeListeners } from '@strongroom/core'

export interface SharedStore {
  /** Runs `task` after every task queued before it has settled, one at a time. */
  exclusive<T>(task: () => Promise<T>): Promise<T>
  /** The `watch` listeners of every adapter over this keyspace. */
  readonly listeners: ChangeListeners
}

/** Root database → sublevel prefix ('' for the root itself) → state. Weak so closed databases can be collected. */
const registry = new WeakMap<object, Map<string, SharedStore>>()

export function sharedStore(db: object): SharedStore {
  const { root, prefix } = locate(db)
  let byPrefix = registry.get(root)
  if (byPrefix === undefined) registry.set(root, (byPrefix = new Map()))
  let store = byPrefix.get(prefix)
  if (store === undefined) byPrefix.set(prefix, (store = createSharedStore()))
  return store
}

/** abstract-level sublevels expose their root as `db` and their full key prefix as `prefix`. */
function locate(db: object): { root: object; prefix: string } {
  const sublevel = db as { readonly db?: unknown; readonly prefix?: unknown }
  if (typeof sublevel.prefix === 'string' && typeof sublevel.db === 'object' && sublevel.db !== null && sublevel.db !== db) {
    return { root: sublevel.db, prefix: sublevel.prefix }
  }
  return { root: db, prefix: '' }
}

function createSharedStore(): SharedStore {
  let tail: Promise<unknown> = Promise.resolve()
  return {
    exclusive<T>(task: () => Promise<T>): Promise<T> {
      const run = tail.then(task)
      tail = run.catch(() => undefined)
      return run
    },
    listeners: new ChangeListeners(),
  }
}
