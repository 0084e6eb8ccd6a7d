/**
 * What every adapter over one client object and one table in this process shares: the
 * migration (run once), the watch listeners, and one LISTEN subscription that keeps them
 * informed of commits made by other processes (or other pools) on the same table.
 *
 * ```ts
 * const hub = acquireHub(client, names)   // same hub for every adapter over (client, table)
 * await hub.ready()                       // migrated and listening
 * hub.listeners.announce(changes)         // a local commit: listeners called synchronously
 * await hub.release()                     // the last adapter closing ends the subscription
 * ```
 *
 * Why shared: a commit must reach the listeners of every adapter in the process before it
 * resolves (the contract's synchronous `watch`); other processes learn of it through NOTIFY
 * moments later. Notifications carry the hub's `origin`, so a hub ignores its own.
 *
 * A lost subscription (the connection died, the server restarted) may have missed
 * notifications, so the hub announces EVERYTHING_CHANGED at once (engines drop their
 * caches) and every OUTAGE_INVALIDATION_MS until it is back, reconnects with jittered
 * exponential backoff (100 ms doubling to 5 s), re-LISTENs and announces
 * EVERYTHING_CHANGED once more for what changed while it was away.
 */

import { ChangeListeners, EVERYTHING_CHANGED, KmsError } from '@strongroom/core'
import type { SqlClient } from './clients.js'
import { channelName, decodeNotification } from './notify.js'
import { migrate, type TableNames } from './schema.js'

const RECONNECT_FIRST_MS = 100
const RECONNECT_MAX_MS = 5_000
/**
 * While the subscription is down, EVERYTHING_CHANGED is announced again this often: engines
 * keep re-reading instead of trusting what they loaded during the outage, so a change made
 * elsewhere meanwhile is seen within this bound even before the subscription is back.
 */
export const OUTAGE_INVALIDATION_MS = 250

export interface Hub {
  /** Identifies this hub's notifications. */
  readonly origin: string
  readonly channel: string
  /** Resolves once the schema is migrated and the subscription is live (retried after a failure). */
  ready(): Promise<void>
  /** The `watch` listeners of every adapter over this table in this process. */
  readonly listeners: ChangeListeners
  /** One adapter fewer; the last one ends the subscription. */
  release(): Promise<void>
}

/** Client object → qualified table name → hub. Weak so clients the user drops can be collected. */
const registry = new WeakMap<object, Map<string, SharedHub>>()

export function acquireHub(client: SqlClient, names: TableNames): Hub {
  let byTable = registry.get(client.identity)
  if (byTable === undefined) registry.set(client.identity, (byTable = new Map()))
  let hub = byTable.get(names.qualified)
  if (hub === undefined) {
    const table = byTable
    hub = new SharedHub(client, names, () => table.delete(names.qualified))
    byTable.set(names.qualified, hub)
  }
  hub.users++
  return hub
}

class SharedHub implements Hub {
  readonly origin = globalThis.crypto.randomUUID()
  readonly channel: string
  users = 0
  readonly #client: SqlClient
  readonly #names: TableNames
  readonly #unregister: () => void
  readonly listeners = new ChangeListeners()
  #ready: Promise<void> | undefined
  #unlisten: (() => Promise<void>) | undefined
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined
  #outageTimer: ReturnType<typeof setInterval> | undefined
  #closed = false

  constructor(client: SqlClient, names: TableNames, unregister: () => void) {
    this.#client = client
    this.#names = names
    this.#unregister = unregister
    this.channel = channelName(names.qualified)
  }

  ready(): Promise<void> {
    this.#ready ??= this.#start().catch((error: unknown) => {
      this.#ready = undefined // the next operation tries again
      throw KmsError.is(error) ? error : new KmsError('StorageFailure', `${this.#names.qualified}: setting up the table or its notifications failed`, { cause: error })
    })
    return this.#ready
  }

  async #start(): Promise<void> {
    await this.#client.transaction((session) => migrate(session, this.#names))
    await this.#listen()
  }

  async #listen(): Promise<void> {
    const unlisten = await this.#client.listen(this.channel, (payload) => this.#onPayload(payload), () => this.#onLost())
    if (this.#closed) {
      await unlisten()
      return
    }
    this.#unlisten = unlisten
  }

  #onPayload(payload: string): void {
    const message = decodeNotification(payload)
    if (message === undefined || message.origin === this.origin) return
    this.listeners.announce(message.changes)
  }

  #onLost(): void {
    this.#unlisten = undefined
    if (this.#closed) return
    this.listeners.announce([EVERYTHING_CHANGED])
    this.#outageTimer ??= setInterval(() => this.listeners.announce([EVERYTHING_CHANGED]), OUTAGE_INVALIDATION_MS)
    ;(this.#outageTimer as { unref?: () => void }).unref?.()
    this.#reconnect(0)
  }

  #endOutage(): void {
    if (this.#outageTimer !== undefined) clearInterval(this.#outageTimer)
    this.#outageTimer = undefined
  }

  #reconnect(attempt: number): void {
    const delay = Math.min(RECONNECT_MAX_MS, RECONNECT_FIRST_MS * 2 ** attempt) * (0.5 + Math.random() / 2)
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined
      if (this.#closed) return
      this.#listen().then(
        () => {
          this.#endOutage()
          if (!this.#closed) this.listeners.announce([EVERYTHING_CHANGED])
        },
        () => this.#reconnect(attempt + 1),
      )
    }, delay)
    // A process with nothing else to do may exit while the hub waits to reconnect.
    ;(this.#reconnectTimer as { unref?: () => void }).unref?.()
  }

  async release(): Promise<void> {
    this.users--
    if (this.users > 0) return
    this.#closed = true
    this.#unregister()
    if (this.#reconnectTimer !== undefined) clearTimeout(this.#reconnectTimer)
    this.#endOutage()
    // Let a start in progress settle, so its subscription is ended too.
    await this.#ready?.catch(() => undefined)
    const unlisten = this.#unlisten
    this.#unlisten = undefined
    await unlisten?.()
  }
}
