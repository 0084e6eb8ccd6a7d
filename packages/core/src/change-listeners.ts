/**
 * The listeners of one backing store's `watch`, for adapters: every adapter instance over
 * the store registers here, a commit calls them all synchronously, and closing an adapter
 * removes exactly the registrations it made.
 *
 * ```ts
 * const listeners = new ChangeListeners()          // one per backing store, shared by its adapters
 * const unsubscribe = listeners.subscribe(listener, adapter)
 * listeners.announce([{ key: 'k', revision: 7 }])  // after a commit is applied
 * listeners.dropOwner(adapter)                     // in adapter.close()
 * ```
 *
 * A listener that throws does not fail the commit (it is applied) nor stop the others; its
 * error is re-thrown from a microtask, where it surfaces as an uncaught exception instead of
 * vanishing (fail closed), as the storage contract requires.
 */

import { KmsError } from './errors.js'
import type { StorageChange, StorageChangeListener } from './storage.js'

interface Subscription {
  readonly listener: StorageChangeListener
  readonly owner: object | undefined
}

export class ChangeListeners {
  // A Set of wrappers, not of listeners: the same function may be subscribed twice (e.g. by
  // two engines) and each unsubscribe must remove only its own registration.
  readonly #subscriptions = new Set<Subscription>()

  /** Registers `listener` (on behalf of `owner`, for dropOwner); the returned function removes it, idempotently. */
  subscribe(listener: StorageChangeListener, owner?: object): () => void {
    if (typeof listener !== 'function') throw new KmsError('InvalidParameter', 'listener must be a function')
    const subscription: Subscription = { listener, owner }
    this.#subscriptions.add(subscription)
    return () => {
      this.#subscriptions.delete(subscription)
    }
  }

  /** Removes every registration made on behalf of `owner`. */
  dropOwner(owner: object): void {
    for (const subscription of this.#subscriptions) if (subscription.owner === owner) this.#subscriptions.delete(subscription)
  }

  /** Calls every listener synchronously with the changes of one applied commit. */
  announce(changes: readonly StorageChange[]): void {
    const frozen = Object.isFrozen(changes) ? changes : Object.freeze([...changes])
    // Snapshot: a listener may subscribe or unsubscribe while being called.
    for (const { listener } of [...this.#subscriptions]) {
      try {
        listener(frozen)
      } catch (error) {
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }
}
