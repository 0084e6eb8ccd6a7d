/**
 * The storage contract: small enough that any ordered key-value store can back it.
 *
 * - `get` one record; `scan` records under a prefix in byte order, paginated by cursor;
 * - `commit` several mutations atomically with optimistic concurrency: each record has a
 *   revision, every mutation states the revision it expects (`null` = must not exist),
 *   and if any expectation fails nothing is written and `KmsError('Conflict')` is thrown;
 * - `watch` (optional) announces every committed change to the backing store, whichever
 *   adapter instance or engine made it, so engines sharing a store drop stale caches.
 *
 * Keys are well-formed strings (no lone surrogates: they must have a lossless UTF-8 form),
 * compared by their UTF-8 bytes; values are opaque bytes. An adapter copies the bytes it is
 * given when `commit` is called, and the caller owns the bytes it gets back. Core validates
 * everything; adapters only store. Storage never receives plaintext key material: the
 * engine wraps it under the root key first.
 *
 * Edge cases every adapter handles the same way (the conformance suite checks them): an
 * empty commit writes nothing, notifies nobody and resolves with no revisions; `after`
 * may lie outside the prefix; `close` waits for commits in flight; a listener that throws
 * does not fail the commit or stop other listeners (its error is re-thrown asynchronously).
 *
 * ```ts
 * const rec = await storage.get('key/1234')
 * await storage.commit([{ type: 'put', key: 'key/1234', value, expectedRevision: rec?.revision ?? null }])
 * ```
 */

/** What an adapter guarantees, declared once. The conformance suite branches only on this. */
export interface StorageManifest {
  /** Adapter name for messages and benchmarks, e.g. `memory-level`. */
  readonly name: string
  /** Acknowledged commits survive a process restart. */
  readonly durable: boolean
  /** A commit is all-or-nothing, even if the process dies during it. */
  readonly atomic: boolean
  /** Several processes may open the same store at once (otherwise one process owns it). */
  readonly sharedAcrossProcesses: boolean
}

export interface StoredRecord {
  readonly key: string
  readonly value: Uint8Array
  /**
   * Opaque revision, a positive safe integer that changes on every write and is never
   * reused for the same key within a store (so delete-then-recreate cannot fool a
   * writer holding an old revision).
   */
  readonly revision: number
}

export type Mutation =
  /** Create (`expectedRevision: null`) or replace (`expectedRevision: <current>`) a record. */
  | { readonly type: 'put'; readonly key: string; readonly value: Uint8Array; readonly expectedRevision: number | null }
  /** Delete a record that must currently be at `expectedRevision`. */
  | { readonly type: 'delete'; readonly key: string; readonly expectedRevision: number }
  /** Write nothing, but fail the commit unless the record is at `expectedRevision` (`null` = absent). */
  | { readonly type: 'check'; readonly key: string; readonly expectedRevision: number | null }

export interface CommitResult {
  /** The new revision of every key the commit put. */
  readonly revisions: ReadonlyMap<string, number>
}

export interface ScanOptions {
  /** Only keys starting with this prefix. */
  readonly prefix: string
  /** Resume after this key (exclusive), normally the previous page's `cursor`. */
  readonly after?: string
  /** Page size; adapters may return fewer. Default 100, at most 1000. */
  readonly limit?: number
}

export interface ScanPage {
  readonly records: readonly StoredRecord[]
  /** Present when more records may follow: pass it as `after` for the next page. */
  readonly cursor?: string
}

/**
 * One committed change: the key and its new revision, or `null` when it was deleted.
 * `EVERYTHING_CHANGED` (key `''`, never a valid key) says that any record may have changed
 * — e.g. after an adapter lost its notification channel and may have missed changes —
 * and every cached record must be dropped.
 */
export interface StorageChange {
  readonly key: string
  readonly revision: number | null
}

/** The change that stands for every key: drop whatever is cached and read again. */
export const EVERYTHING_CHANGED: StorageChange = Object.freeze({ key: '', revision: null })

/** Called synchronously after a commit is applied, before `commit` resolves. */
export type StorageChangeListener = (changes: readonly StorageChange[]) => void

export interface StorageAdapter {
  readonly manifest: StorageManifest
  /** The record, or `undefined` when the key does not exist. */
  get(key: string): Promise<StoredRecord | undefined>
  /** Records whose key starts with `prefix`, in ascending UTF-8 byte order of key. */
  scan(options: ScanOptions): Promise<ScanPage>
  /**
   * Applies every mutation or none. Throws `KmsError('Conflict')` when an expectation
   * fails, `KmsError('InvalidParameter')` for any malformed mutation (two on one key, a
   * bad key, a non-byte value), and
   * `KmsError('StorageFailure')` when the backend fails. Resolves only once the commit is
   * as durable as the manifest promises.
   */
  commit(mutations: readonly Mutation[]): Promise<CommitResult>
  /**
   * Subscribe to every commit on the backing store, including those made through other
   * adapter instances over the same database object. Returns an unsubscribe function.
   * Adapters whose backend cannot notify omit it; engines then re-validate on each use.
   */
  watch?(listener: StorageChangeListener): () => void
  /** Releases resources; later calls fail with `KmsError('Closed')`. Idempotent. */
  close(): Promise<void>
}
