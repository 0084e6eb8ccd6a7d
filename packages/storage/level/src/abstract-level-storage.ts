/**
 * The one implementation of the storage contract over any abstract-level database.
 * `levelStorage()` and `@strongroom/storage-memory` are thin wrappers around it.
 *
 * ```ts
 * const storage = new AbstractLevelStorage(db, { name: 'level', durable: true, sync: true, closeDatabase: true })
 * const { revisions } = await storage.commit([{ type: 'put', key: 'k', value, expectedRevision: null }])
 * ```
 *
 * Commit protocol: take the keyspace's lock (shared by every adapter over it, see
 * shared-store.ts), read the current revisions of all mutated keys and the revision
 * sequence in one `getMany`, validate every expectation, then write records and the new
 * sequence in one `db.batch()` — LevelDB applies a batch atomically, also across a crash.
 * Watchers are notified synchronously after the batch, before `commit` resolves.
 *
 * Revisions come from one store-wide sequence persisted with each batch, so a key that is
 * deleted and recreated can never get back a revision a stale writer still holds.
 * Reads take no lock: a single `get` or iterator sees a consistent state on its own.
 */

import type { AbstractBatchOperation, AbstractBatchOptions, AbstractLevel } from 'abstract-level'
import {
  KmsError,
  type CommitResult,
  type Mutation,
  type ScanOptions,
  type ScanPage,
  type StorageAdapter,
  type StorageChange,
  type StorageChangeListener,
  type StorageManifest,
  type StoredRecord,
} from '@strongroom/core'
import {
  SEQUENCE_KEY, decodeKey, decodeRecord, decodeSequence, encodeKey, encodeRecord, encodeSequence,
  readRevision, scanRange, setRevision,
} from './codec.js'
import { sharedStore, type SharedStore } from './shared-store.js'

/**
 * Any abstract-level database or sublevel, whatever its default encodings: every call
 * below names its own encodings, so the defaults the user chose do not matter.
 */
export type AnyAbstractLevel = AbstractLevel<any, any, any>

export interface AbstractLevelStorageConfig {
  readonly name: string
  readonly durable: boolean
  readonly sync: boolean
  readonly closeDatabase: boolean
}

/** Scan page size when the caller gives none, and the largest it may ask for. */
const DEFAULT_SCAN_LIMIT = 100
const MAX_SCAN_LIMIT = 1000

const BYTES = { keyEncoding: 'view', valueEncoding: 'view' } as const

/** A validated mutation with its stored key and (for puts) its value already copied. */
type PlannedMutation =
  | { readonly type: 'put'; readonly key: string; readonly storedKey: Uint8Array; readonly storedValue: Uint8Array; readonly expectedRevision: number | null }
  | { readonly type: 'delete' | 'check'; readonly key: string; readonly storedKey: Uint8Array; readonly expectedRevision: number | null }

export class AbstractLevelStorage implements StorageAdapter {
  readonly manifest: StorageManifest
  readonly #db: AnyAbstractLevel
  readonly #store: SharedStore
  readonly #sync: boolean
  readonly #closeDatabase: boolean
  #opened = false
  #opening: Promise<void> | undefined
  #closing: Promise<void> | undefined
  /** Commits started before `close()`, which close lets finish. */
  readonly #pending = new Set<Promise<unknown>>()

  constructor(db: AnyAbstractLevel, config: AbstractLevelStorageConfig) {
    this.#db = db
    this.#store = sharedStore(db)
    this.#sync = config.sync
    this.#closeDatabase = config.closeDatabase
    this.manifest = Object.freeze({
      name: config.name,
      durable: config.durable,
      atomic: true,
      sharedAcrossProcesses: false,
    })
  }

  async get(key: string): Promise<StoredRecord | undefined> {
    this.#assertNotClosed()
    assertKey(key, 'key')
    if (!this.#opened) await this.#open()
    let stored: Uint8Array | undefined
    try {
      // classic-level reads synchronously in ≈ 2–4 µs (a cold key's load is one read); its
      // promised get crosses libuv's thread pool (≈ 45 µs, much more on a busy machine).
      stored = this.#db.status === 'open' && (this.#db.supports as { getSync?: boolean }).getSync === true
        ? this.#db.getSync<Uint8Array, Uint8Array>(encodeKey(key), BYTES)
        : await this.#db.get<Uint8Array, Uint8Array>(encodeKey(key), BYTES)
    } catch (error) {
      throw this.#failure(`get '${key}' failed`, error)
    }
    return stored === undefined ? undefined : decodeRecord(key, stored)
  }

  async scan(options: ScanOptions): Promise<ScanPage> {
    this.#assertNotClosed()
    const { prefix, after, limit } = validateScan(options)
    if (!this.#opened) await this.#open()
    let entries: Array<[Uint8Array, Uint8Array]>
    try {
      // One entry more than the page tells whether more follow, so the cursor is only
      // returned when there is a next page.
      const range = scanRange(prefix, after)
      entries = await this.#db.iterator<Uint8Array, Uint8Array>({ ...range, ...BYTES, limit: limit + 1 }).all()
    } catch (error) {
      throw this.#failure(`scan of '${prefix}' failed`, error)
    }
    const records = entries.slice(0, limit).map(([key, value]) => decodeRecord(decodeKey(key), value))
    const last = records[records.length - 1]
    return entries.length > limit && last !== undefined ? { records, cursor: last.key } : { records }
  }

  async commit(mutations: readonly Mutation[]): Promise<CommitResult> {
    this.#assertNotClosed()
    const plan = planMutations(mutations)
    if (plan.length === 0) return { revisions: new Map() }
    if (!this.#opened) await this.#open()
    const run = this.#store.exclusive(() => this.#apply(plan))
    this.#pending.add(run)
    try {
      return await run
    } finally {
      this.#pending.delete(run)
    }
  }

  watch(listener: StorageChangeListener): () => void {
    this.#assertNotClosed()
    return this.#store.listeners.subscribe(listener, this)
  }

  close(): Promise<void> {
    this.#closing ??= this.#shutdown()
    return this.#closing
  }

  /** Runs under the keyspace lock: read, validate, write, notify. */
  async #apply(plan: readonly PlannedMutation[]): Promise<CommitResult> {
    let current: Array<Uint8Array | undefined>
    try {
      current = await this.#db.getMany<Uint8Array, Uint8Array>([...plan.map((m) => m.storedKey), SEQUENCE_KEY], BYTES)
    } catch (error) {
      throw this.#failure('reading the current revisions failed', error)
    }

    // Validate every expectation before building anything: a conflict writes nothing.
    plan.forEach((mutation, i) => {
      const stored = current[i]
      const found = stored === undefined ? null : readRevision(mutation.key, stored)
      if (found !== mutation.expectedRevision) {
        throw new KmsError(
          'Conflict',
          `'${mutation.key}' is at revision ${found ?? 'absent'}, the commit expected ${mutation.expectedRevision ?? 'absent'}`,
        )
      }
    })

    let sequence = decodeSequence(current[plan.length])
    const operations: Array<AbstractBatchOperation<AnyAbstractLevel, Uint8Array, Uint8Array>> = []
    const changes: StorageChange[] = []
    const revisions = new Map<string, number>()
    for (const mutation of plan) {
      if (mutation.type === 'put') {
        sequence += 1
        setRevision(mutation.storedValue, sequence)
        operations.push({ type: 'put', key: mutation.storedKey, value: mutation.storedValue })
        changes.push(Object.freeze({ key: mutation.key, revision: sequence }))
        revisions.set(mutation.key, sequence)
      } else if (mutation.type === 'delete') {
        operations.push({ type: 'del', key: mutation.storedKey })
        changes.push(Object.freeze({ key: mutation.key, revision: null }))
      }
    }
    // Not reachable in practice (2^53 writes), but a reused revision would be silent corruption.
    if (!Number.isSafeInteger(sequence)) throw new KmsError('StorageFailure', 'the revision sequence is exhausted')
    if (revisions.size > 0) operations.push({ type: 'put', key: SEQUENCE_KEY, value: encodeSequence(sequence) })

    if (operations.length > 0) {
      // `sync` is a classic-level option (fsync before acknowledging); others ignore it.
      const options: AbstractBatchOptions<Uint8Array, Uint8Array> & { sync: boolean } = { ...BYTES, sync: this.#sync }
      try {
        await this.#db.batch<Uint8Array, Uint8Array>(operations, options)
      } catch (error) {
        throw this.#failure('writing the commit failed', error)
      }
    }
    if (changes.length > 0) this.#store.listeners.announce(Object.freeze(changes))
    return { revisions }
  }

  /** Opens the database once, on first use (`db.open()` is idempotent and waits for a pending open). */
  #open(): Promise<void> {
    this.#opening ??= this.#db.open().then(
      () => {
        this.#opened = true
      },
      (error: unknown) => {
        this.#opening = undefined // let a later call retry
        throw this.#failure('opening the database failed', error)
      },
    )
    return this.#opening
  }

  async #shutdown(): Promise<void> {
    this.#store.listeners.dropOwner(this)
    // Commits already started finish (or fail) before the database goes away.
    await Promise.allSettled([...this.#pending])
    if (!this.#closeDatabase) return
    try {
      await this.#db.close()
    } catch (error) {
      throw new KmsError('StorageFailure', 'closing the database failed', { cause: error })
    }
  }

  #assertNotClosed(): void {
    if (this.#closing !== undefined) throw new KmsError('Closed', `storage '${this.manifest.name}' is closed`)
  }

  /** Backend errors become StorageFailure, or Closed when the adapter was closed meanwhile. */
  #failure(message: string, cause: unknown): KmsError {
    if (KmsError.is(cause)) return cause
    if (this.#closing !== undefined) return new KmsError('Closed', `storage '${this.manifest.name}' is closed`, { cause })
    if (causeHasCode(cause, 'LEVEL_LOCKED')) {
      return new KmsError('KeystoreInUse', `${this.manifest.name}: the database is in use by another process (${message})`, { cause })
    }
    return new KmsError('StorageFailure', `${this.manifest.name}: ${message}`, { cause })
  }
}

/** True when some error in the cause chain has this `code` (abstract-level wraps LEVEL_LOCKED in LEVEL_DATABASE_NOT_OPEN). */
function causeHasCode(error: unknown, code: string): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === code) return true
  }
  return false
}

/** Precondition: keys are non-empty strings that UTF-8 can represent (no lone surrogates). */
function assertKey(key: unknown, what: string): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) throw new KmsError('InvalidParameter', `${what} must be a non-empty string`)
  assertWellFormed(key, what)
}

/**
 * UTF-8 cannot encode a lone surrogate; TextEncoder would turn it into U+FFFD and two
 * different keys would collide, so they are refused instead.
 */
function assertWellFormed(text: string, what: string): void {
  if (LONE_SURROGATE.test(text)) throw new KmsError('InvalidParameter', `${what} contains a lone surrogate`)
}
// With the `u` flag a well-formed pair is one code point, so only lone surrogates match.
const LONE_SURROGATE = /\p{Surrogate}/u

function validateScan(options: ScanOptions): { prefix: string; after: string | undefined; limit: number } {
  if (typeof options !== 'object' || options === null) throw new KmsError('InvalidParameter', 'scan options must be an object')
  const { prefix, after, limit = DEFAULT_SCAN_LIMIT } = options
  if (typeof prefix !== 'string') throw new KmsError('InvalidParameter', 'prefix must be a string')
  assertWellFormed(prefix, 'prefix')
  if (after !== undefined) {
    if (typeof after !== 'string') throw new KmsError('InvalidParameter', 'after must be a string')
    assertWellFormed(after, 'after')
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SCAN_LIMIT) {
    throw new KmsError('InvalidParameter', `limit must be an integer from 1 to ${MAX_SCAN_LIMIT}`)
  }
  return { prefix, after, limit }
}

/** Validates the whole commit before anything is read, and copies put values (see encodeRecord). */
function planMutations(mutations: readonly Mutation[]): PlannedMutation[] {
  if (!Array.isArray(mutations)) throw new KmsError('InvalidParameter', 'mutations must be an array')
  const seen = new Set<string>()
  return mutations.map((mutation: Mutation): PlannedMutation => {
    if (typeof mutation !== 'object' || mutation === null) throw new KmsError('InvalidParameter', 'a mutation must be an object')
    const { type, key, expectedRevision } = mutation
    assertKey(key, 'mutation key')
    if (seen.has(key)) throw new KmsError('InvalidParameter', `two mutations on '${key}' in one commit`)
    seen.add(key)
    const revisionOk =
      Number.isSafeInteger(expectedRevision) && (expectedRevision as number) > 0 ||
      (expectedRevision === null && type !== 'delete')
    if (!revisionOk) throw new KmsError('InvalidParameter', `invalid expectedRevision for '${key}'`)
    switch (type) {
      case 'put':
        if (!(mutation.value instanceof Uint8Array)) throw new KmsError('InvalidParameter', `value of '${key}' must be a Uint8Array`)
        return { type, key, storedKey: encodeKey(key), storedValue: encodeRecord(mutation.value), expectedRevision }
      case 'delete':
      case 'check':
        return { type, key, storedKey: encodeKey(key), expectedRevision }
      default:
        throw new KmsError('InvalidParameter', `unknown mutation type for '${key}'`)
    }
  })
}
