/**
 * The engine's view of storage: key and alias records, a cache of loaded keys so a hot
 * key is neither re-read nor re-unwrapped on every call, and transactions that commit
 * several records atomically with optimistic concurrency and retry on conflict.
 *
 * ```ts
 * await keys.transact(async (tx) => {
 *   const entry = await tx.key(keyId)
 *   tx.putKey(entry, disableKey(entry.record))
 * })
 * ```
 *
 * Cache correctness: every change made through this engine updates the cache when it
 * commits; changes made by another engine on the same store arrive through the
 * adapter's `watch` and evict the stale entry at once. With an adapter that cannot watch,
 * every use re-reads the record's revision (unwrapped material is still reused).
 */
import { Lru } from '@strongroom/crypto'
import type { AuditCommit, AuditEntry } from './audit.js'
import { utf8Decode, utf8Encode } from './bytes.js'
import { KmsError } from './errors.js'
import type { PendingEvent } from './events.js'
import { KeyEntry } from './key-entry.js'
import { COUNT_PREFIX, POLICY_COUNT_KEY, indexMutations, type IndexedChange } from './key-index.js'
import { POLICY_PREFIX } from './policy-store.js'
import { assertKeyTransition, assertKeyRecord, decodeKeyRecord, encodeKeyRecord, type KeyRecord } from './key-record.js'
import {
  EVERYTHING_CHANGED, type Mutation, type ScanOptions, type ScanPage, type StorageAdapter, type StorageChange, type StoredRecord,
} from './storage.js'
import { assertValidMutations } from './storage-validate.js'

export const KEY_RECORD_PREFIX = 'key/'
/** Alias records are stored under their own name, which starts with `alias/`. */
export const ALIAS_RECORD_PREFIX = 'alias/'

export interface AliasRecord {
  readonly schema: 1
  readonly aliasName: string
  readonly keyId: string
  readonly creationDate: number
  readonly updateDate: number
}

export interface AliasEntry {
  readonly record: AliasRecord
  readonly revision: number
}

/** Something that adds its own records to every commit: the audit trail. */
export interface CommitParticipant {
  /** `own`: entries of the transaction being committed; `fresh`: a previous attempt conflicted. */
  prepare(own: readonly AuditEntry[], fresh: boolean): Promise<AuditCommit | undefined>
}

/**
 * A transaction that lost to another writer is re-run against fresh records, with jittered
 * exponential backoff ("full jitter": a random wait up to a cap that doubles per attempt), for
 * at least MIN_ATTEMPTS attempts and until RETRY_BUDGET_MS of wall time has passed. A fixed,
 * small number of attempts surfaced Conflict for 2-4 % of concurrent writes to one key from two
 * engines; writers that back off by the same amount collide again, random waits spread them.
 * Wall time, not the engine's clock: a test's ManualClock never moves by itself.
 */
const MIN_ATTEMPTS = 8
const RETRY_BUDGET_MS = 5000
const BACKOFF_BASE_MS = 1
const BACKOFF_CAP_MS = 100

function backoffMs(attempt: number): number {
  return Math.random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt)
}
const SCAN_PAGE = 500
/** Aliases kept resolved in memory, least recently used dropped first. */
const ALIAS_CACHE_SIZE = 10_000
/**
 * Other records kept in memory once read, for those read on every request (a secret's
 * metadata and values, still encrypted under their data keys): least recently used dropped first.
 */
const RECORD_CACHE_SIZE = 10_000
const CACHED_RECORD_PREFIXES = ['secret/', 'secret-value/']
const isCachedRecord = (key: string): boolean => CACHED_RECORD_PREFIXES.some((p) => key.startsWith(p))

/** A backend error as the engine reports it: KmsErrors pass through, anything else is StorageFailure. */
export function storageFailure(error: unknown): KmsError {
  return KmsError.is(error) ? error : new KmsError('StorageFailure', 'the storage backend failed', { cause: error })
}

function decodeAlias(stored: StoredRecord): AliasEntry {
  let record: AliasRecord
  try {
    record = JSON.parse(utf8Decode(stored.value)) as AliasRecord
  } catch (cause) {
    throw new KmsError('CorruptRecord', `alias record ${stored.key} is unreadable`, { cause })
  }
  if (record?.schema !== 1 || record.aliasName !== stored.key || typeof record.keyId !== 'string') {
    throw new KmsError('CorruptRecord', `alias record ${stored.key} is inconsistent`)
  }
  return { record, revision: stored.revision }
}

/**
 * What a loaded key costs in memory, roughly, for the cache's byte bound: the record's
 * wrapped material and public keys (base64 text) count twice (the text and the unwrapped
 * bytes, subkeys and key objects made from it), plus a fixed overhead per entry and version.
 * An AES key with one version weighs about 1 KiB; an RSA-4096 key about 8 KiB per version.
 */
export function estimatedEntryBytes(entry: KeyEntry): number {
  let bytes = 512
  for (const v of entry.record.versions) bytes += 256 + 2 * (v.wrappedMaterial.length + (v.publicKey?.length ?? 0))
  return bytes
}

/** The key cache's default bounds: keys kept loaded, and their estimated bytes. */
export const DEFAULT_KEY_CACHE_SIZE = 1000
export const DEFAULT_KEY_CACHE_BYTES = 64 * 1024 * 1024

export class KeyStore {
  readonly #storage: StorageAdapter
  /** Loaded keys, least recently used evicted first; an evicted entry is wiped once the current turn is over. */
  readonly #keys: Lru<string, KeyEntry>
  readonly #aliases = new Lru<string, AliasEntry>(ALIAS_CACHE_SIZE)
  readonly #records = new Lru<string, StoredRecord>(RECORD_CACHE_SIZE)
  /**
   * Unwrapped data keys of secret values this engine has opened (operations/secret-access.ts):
   * a hot secret is read on every request, and this saves unwrapping its data key each time,
   * as the key cache does for master key material. An evicted one is wiped once the turn is over.
   */
  readonly secretDataKeys = new Lru<string, Uint8Array>(1000, (key) => setTimeout(() => key.fill(0), 0))
  readonly #unwatch: (() => void) | undefined
  /** Storage keys of the commit this engine has in flight: their notifications are its own. */
  readonly #committing = new Set<string>()
  #writeQueue: Promise<unknown> = Promise.resolve()
  #participant: CommitParticipant | undefined
  /**
   * Moves whenever another writer's change to a key or alias is announced. A load whose
   * read was in flight meanwhile may hold the record from before that change (the
   * notification found nothing cached to evict yet), so it is used but not kept cached:
   * otherwise a key disabled by another engine could stay usable here indefinitely.
   */
  #foreignChanges = 0

  /** Index counters this engine wrote last (key-index.ts), dropped when another writer changes them. */
  readonly #counters = new Map<string, StoredRecord>()
  /** The engine's region: the aliases it writes are indexed under it (their keys are all in it). */
  readonly #region: string

  /** Evicted entries waiting for the end of the current turn to be wiped (one timer for all of them). */
  #toWipe: KeyEntry[] = []

  constructor(storage: StorageAdapter, options: { readonly cacheSize: number; readonly cacheBytes: number; readonly region: string }) {
    this.#storage = storage
    this.#region = options.region
    // A call may still hold an evicted entry between awaits; wipe it once the current turn is over.
    this.#keys = new Lru(options.cacheSize, (entry) => this.#wipeLater(entry), { maxWeight: options.cacheBytes, weigh: estimatedEntryBytes })
    this.#unwatch = storage.watch?.((changes) => this.#onChanges(changes))
  }

  #wipeLater(entry: KeyEntry): void {
    // A working set larger than the cache evicts on every miss: one timer per turn, not per entry.
    if (this.#toWipe.push(entry) > 1) return
    setTimeout(() => {
      const entries = this.#toWipe
      this.#toWipe = []
      for (const e of entries) e.wipe()
    }, 0)
  }

  /** The audit trail joins every commit from now on, so state changes and their records land together. */
  setParticipant(participant: CommitParticipant): void {
    this.#participant = participant
  }

  /** True when the adapter announces changes, so cached entries are trusted until told otherwise. */
  get watching(): boolean {
    return this.#unwatch !== undefined
  }

  #onChanges(changes: readonly StorageChange[]): void {
    for (const { key, revision } of changes) {
      if (key === EVERYTHING_CHANGED.key) {
        this.#foreignChanges++
        for (const id of [...this.#keys.keys()]) this.#evictKey(id)
        this.#aliases.clear()
        this.#counters.clear()
        this.#records.clear()
        continue
      }
      if (this.#committing.has(key)) continue
      this.#counters.delete(key)
      if (key.startsWith(KEY_RECORD_PREFIX) || key.startsWith(ALIAS_RECORD_PREFIX) || isCachedRecord(key)) this.#foreignChanges++
      if (isCachedRecord(key) && this.#records.peek(key)?.revision !== revision) this.#records.delete(key)
      if (key.startsWith(KEY_RECORD_PREFIX)) {
        const id = key.slice(KEY_RECORD_PREFIX.length)
        const entry = this.#keys.peek(id)
        if (entry !== undefined && entry.revision !== revision) this.#evictKey(id)
      } else if (key.startsWith(ALIAS_RECORD_PREFIX)) {
        if (this.#aliases.peek(key)?.revision !== revision) this.#aliases.delete(key)
      }
    }
  }

  /** Drops every cached key and alias (their records were all rewritten, e.g. by a root-key change). */
  forgetAll(): void {
    this.#onChanges([EVERYTHING_CHANGED])
  }

  /** Drops a cached key; the cache wipes it once the current turn is over. */
  #evictKey(keyId: string): void {
    this.#keys.delete(keyId)
  }

  /** Caches an entry; one it replaces is wiped by the cache once the current turn is over. */
  #cacheKey(entry: KeyEntry): void {
    this.#keys.set(entry.record.keyId, entry)
  }

  async #get(key: string): Promise<StoredRecord | undefined> {
    try {
      return await this.#storage.get(key)
    } catch (error) {
      throw storageFailure(error)
    }
  }

  /** A cached entry that can be trusted without reading storage, or `undefined`. */
  cachedKey(keyId: string): KeyEntry | undefined {
    return this.watching ? this.#keys.get(keyId) : undefined
  }

  /** The key's entry, from cache unless `fresh`; `undefined` when no such key exists. */
  async loadKey(keyId: string, fresh = false): Promise<KeyEntry | undefined> {
    const cached = this.#keys.get(keyId)
    if (cached !== undefined && !fresh && this.watching) return cached
    const generation = this.#foreignChanges
    const stored = await this.#get(KEY_RECORD_PREFIX + keyId)
    if (stored === undefined) {
      if (cached !== undefined) this.#evictKey(keyId)
      return undefined
    }
    const current = this.#keys.peek(keyId)
    let entry = current
    if (current === undefined || current.revision !== stored.revision) {
      entry = new KeyEntry(decodeKeyRecord(stored.value, keyId), stored.revision, current)
      this.#cacheKey(entry)
    }
    // Possibly read before another writer's change: serve this call, re-read on the next.
    if (generation !== this.#foreignChanges) this.#evictKey(keyId)
    return entry
  }

  async loadAlias(aliasName: string, fresh = false): Promise<AliasEntry | undefined> {
    const cached = this.#aliases.get(aliasName)
    if (cached !== undefined && !fresh && this.watching) return cached
    const generation = this.#foreignChanges
    const stored = await this.#get(aliasName)
    if (stored === undefined) {
      this.#aliases.delete(aliasName)
      return undefined
    }
    const entry = decodeAlias(stored)
    // As in loadKey: a read that may predate another writer's change is not kept.
    if (generation === this.#foreignChanges) this.#aliases.set(aliasName, entry)
    else this.#aliases.delete(aliasName)
    return entry
  }

  async #scanAll(prefix: string): Promise<StoredRecord[]> {
    const out: StoredRecord[] = []
    let after: string | undefined
    try {
      for (;;) {
        const page = await this.#storage.scan({ prefix, limit: SCAN_PAGE, ...(after === undefined ? {} : { after }) })
        out.push(...page.records)
        if (page.cursor === undefined || page.records.length === 0) return out
        after = page.cursor
      }
    } catch (error) {
      throw storageFailure(error)
    }
  }

  /**
   * A record read on every request (secrets), from memory when this engine can trust its
   * copy (the adapter announces changes), as loadKey does for keys.
   */
  async readCachedRecord(key: string): Promise<StoredRecord | undefined> {
    const cached = this.#records.get(key)
    if (cached !== undefined && this.watching) return cached
    const generation = this.#foreignChanges
    const stored = await this.#get(key)
    // As in loadKey: a read that may predate another writer's change is not kept.
    if (stored !== undefined && generation === this.#foreignChanges && isCachedRecord(key)) this.#records.set(key, stored)
    else this.#records.delete(key)
    return stored
  }

  /** A record outside the key and alias caches (policies, attachments, audit), straight from storage. */
  readRecord(key: string): Promise<StoredRecord | undefined> {
    return this.#get(key)
  }

  /** Every record under a prefix, in key order (for prefixes that stay small: import tokens, policies). */
  scanRecords(prefix: string): Promise<StoredRecord[]> {
    return this.#scanAll(prefix)
  }

  /** Up to `limit` records under `prefix` after `after`, opened (the adapter may return fewer; `cursor` says more may follow). */
  async scanPage(prefix: string, after: string | undefined, limit: number): Promise<ScanPage> {
    try {
      return await this.#storage.scan({ prefix, limit, ...(after === undefined ? {} : { after }) })
    } catch (error) {
      throw storageFailure(error)
    }
  }

  /**
   * Up to `limit` storage keys under `prefix` after `after`, without opening the records
   * (skipping a listing's earlier pages costs reads but no decryption) when the storage
   * can (the sealing barrier can); otherwise through `scan`.
   */
  async scanNames(prefix: string, after: string | undefined, limit: number): Promise<{ keys: string[]; cursor?: string }> {
    const storage = this.#storage as StorageAdapter & { scanNames?: (options: ScanOptions) => Promise<{ keys: string[]; cursor?: string }> }
    const options = { prefix, limit, ...(after === undefined ? {} : { after }) }
    try {
      if (storage.scanNames !== undefined) return await storage.scanNames(options)
      const page = await storage.scan(options)
      return { keys: page.records.map((r) => r.key), ...(page.cursor === undefined ? {} : { cursor: page.cursor }) }
    } catch (error) {
      throw storageFailure(error)
    }
  }

  /** A key record read for a maintenance pass, not cached (a pass over many keys must not flush hot ones). */
  async peekKey(keyId: string): Promise<KeyRecord | undefined> {
    const cached = this.#keys.peek(keyId)
    if (cached !== undefined && this.watching) return cached.record
    const stored = await this.#get(KEY_RECORD_PREFIX + keyId)
    return stored === undefined ? undefined : decodeKeyRecord(stored.value, keyId)
  }

  /**
   * Runs `work` and commits what it staged, atomically. Transactions of one engine run
   * one at a time; a conflict with another writer re-runs `work` on fresh records, with
   * jittered backoff, until the retry budget is spent (then Conflict). Returns `work`'s result and the events
   * it staged, to emit once committed.
   */
  transact<T>(work: (tx: Transaction) => Promise<T>): Promise<{ result: T; events: readonly PendingEvent[]; audited: boolean }> {
    const run = this.#writeQueue.then(() => this.#runTransaction(work))
    this.#writeQueue = run.catch(() => undefined)
    return run
  }

  /** Runs `fn` in turn with transactions (nothing else writes meanwhile through this engine). */
  exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#writeQueue.then(fn)
    this.#writeQueue = run.catch(() => undefined)
    return run
  }

  /** Commits mutations as they are, without a participant: only inside `exclusive`. */
  async commitDirect(mutations: readonly Mutation[]): Promise<void> {
    try {
      assertValidMutations(mutations)
      await this.#storage.commit(mutations)
    } catch (error) {
      throw storageFailure(error)
    }
  }

  /** Commits what the participant has waiting (the audit trail's group commit), in turn with transactions. */
  flushParticipant(): Promise<void> {
    const run = this.#writeQueue.then(() => this.#runTransaction(async () => undefined))
    this.#writeQueue = run.catch(() => undefined)
    return run.then(() => undefined)
  }

  async #runTransaction<T>(work: (tx: Transaction) => Promise<T>): Promise<{ result: T; events: readonly PendingEvent[]; audited: boolean }> {
    const started = performance.now()
    for (let attempt = 0; ; attempt++) {
      const tx = new Transaction(this, attempt > 0)
      const result = await work(tx)
      const indexes = tx.staged.size === 0 ? [] : await indexMutations(this.#indexedChanges(tx), (key) => this.#readIndexRecord(key))
      const extra = await this.#participant?.prepare(tx.audit, attempt > 0)
      if (tx.staged.size === 0 && extra === undefined) return { result, events: tx.events, audited: false }
      const mutations = [...[...tx.staged.values()].map((s) => s.mutation), ...indexes, ...(extra?.mutations ?? [])]
      for (const m of mutations) this.#committing.add(m.key)
      try {
        assertValidMutations(mutations)
        const { revisions } = await this.#storage.commit(mutations)
        this.#applyCommitted(tx, revisions)
        this.#keepCounters(indexes, revisions)
        extra?.committed(revisions)
        return { result, events: tx.events, audited: tx.audit.length > 0 }
      } catch (error) {
        extra?.aborted()
        // Whatever the failure, drop the cached records this commit touched: while it was in
        // flight #onChanges ignored their notifications (taking them for this commit's own),
        // and a commit whose acknowledgement was lost may even have been applied.
        for (const m of mutations) this.#forget(m.key)
        if (!KmsError.is(error, 'Conflict')) throw storageFailure(error)
        const wait = backoffMs(attempt)
        if (attempt + 1 >= MIN_ATTEMPTS && performance.now() - started + wait > RETRY_BUDGET_MS) {
          throw new KmsError('Conflict', 'another writer kept changing the same records; the change was not made', { cause: error })
        }
        // Let the other writer finish before reading again.
        await new Promise((resolve) => setTimeout(resolve, wait))
      } finally {
        for (const m of mutations) this.#committing.delete(m.key)
      }
    }
  }

  /** What the transaction changes in key and alias records, for the indexes (key-index.ts). */
  *#indexedChanges(tx: Transaction): Generator<IndexedChange> {
    for (const staged of tx.staged.values()) {
      if (staged.kind === 'key') yield { kind: 'key', before: staged.before?.record, after: staged.record }
      else if (staged.kind === 'other') {
        const { mutation } = staged
        if (!mutation.key.startsWith(POLICY_PREFIX)) continue
        if (mutation.type === 'put' && mutation.expectedRevision === null) yield { kind: 'counted', counter: POLICY_COUNT_KEY, by: 1 }
        else if (mutation.type === 'delete') yield { kind: 'counted', counter: POLICY_COUNT_KEY, by: -1 }
      }
      else if (staged.kind === 'alias') {
        yield {
          kind: 'alias', region: this.#region, aliasName: staged.mutation.key,
          before: staged.before?.record.keyId, after: staged.record?.keyId ?? null,
        }
      }
    }
  }

  /** An index record to replace or delete; counters come from memory while the adapter announces changes. */
  async #readIndexRecord(key: string): Promise<StoredRecord | undefined> {
    const cached = this.watching ? this.#counters.get(key) : undefined
    return cached ?? this.#get(key)
  }

  /** Counters this engine just wrote: the next create need not read them back. */
  #keepCounters(mutations: readonly Mutation[], revisions: ReadonlyMap<string, number>): void {
    for (const m of mutations) {
      const revision = revisions.get(m.key)
      if (m.type === 'put' && m.key.startsWith(COUNT_PREFIX) && revision !== undefined) {
        this.#counters.set(m.key, { key: m.key, value: m.value, revision })
      }
    }
  }

  #forget(storageKey: string): void {
    this.#counters.delete(storageKey)
    if (storageKey.startsWith(KEY_RECORD_PREFIX)) this.#evictKey(storageKey.slice(KEY_RECORD_PREFIX.length))
    else if (storageKey.startsWith(ALIAS_RECORD_PREFIX)) this.#aliases.delete(storageKey)
    else this.#records.delete(storageKey)
  }

  #applyCommitted(tx: Transaction, revisions: ReadonlyMap<string, number>): void {
    for (const [storageKey, staged] of tx.staged) {
      const revision = revisions.get(storageKey)
      if (staged.kind === 'key') {
        if (staged.record === null || revision === undefined) this.#evictKey(staged.record?.keyId ?? storageKey.slice(KEY_RECORD_PREFIX.length))
        else this.#cacheKey(new KeyEntry(staged.record, revision, staged.before))
      } else if (staged.kind === 'alias') {
        if (staged.record === null || revision === undefined) this.#aliases.delete(storageKey)
        else this.#aliases.set(storageKey, { record: staged.record, revision })
      } else if (isCachedRecord(storageKey)) {
        const { mutation } = staged
        if (mutation.type === 'put' && revision !== undefined) this.#records.set(storageKey, { key: storageKey, value: mutation.value, revision })
        else this.#records.delete(storageKey)
      }
    }
  }

  /** Waits for every transaction queued so far to finish. */
  async drain(): Promise<void> {
    await this.#writeQueue
  }

  /** Stops watching and wipes every cached secret. */
  close(): void {
    this.#unwatch?.()
    for (const entry of this.#toWipe) entry.wipe()
    this.#toWipe = []
    for (const entry of this.#keys.values()) entry.wipe()
    this.#keys.clear()
    this.#aliases.clear()
    this.#records.clear()
    this.secretDataKeys.clear()
  }
}

type Staged =
  | { readonly kind: 'key'; readonly mutation: Mutation; readonly record: KeyRecord | null; readonly before: KeyEntry | undefined }
  | { readonly kind: 'alias'; readonly mutation: Mutation; readonly record: AliasRecord | null; readonly before: AliasEntry | undefined }
  | { readonly kind: 'other'; readonly mutation: Mutation }

/** What one attempt of a transaction reads and stages. */
export class Transaction {
  readonly #store: KeyStore
  readonly #fresh: boolean
  readonly staged = new Map<string, Staged>()
  readonly events: PendingEvent[] = []
  /** Audit entries that must commit together with what is staged. */
  readonly audit: AuditEntry[] = []

  constructor(store: KeyStore, fresh: boolean) {
    this.#store = store
    this.#fresh = fresh
  }

  key(keyId: string): Promise<KeyEntry | undefined> {
    return this.#store.loadKey(keyId, this.#fresh)
  }

  alias(aliasName: string): Promise<AliasEntry | undefined> {
    return this.#store.loadAlias(aliasName, this.#fresh)
  }

  /** Stages a new record (`before` undefined) or a change checked by the transition rules. */
  putKey(before: KeyEntry | undefined, next: KeyRecord): void {
    const storageKey = KEY_RECORD_PREFIX + next.keyId
    const prior = this.staged.get(storageKey)
    const base = prior?.kind === 'key' ? prior.before : before
    if (base === undefined) assertKeyRecord(next)
    else assertKeyTransition(base.record, next)
    this.staged.set(storageKey, {
      kind: 'key', record: next, before: base,
      mutation: { type: 'put', key: storageKey, value: encodeKeyRecord(next), expectedRevision: base?.revision ?? null },
    })
  }

  deleteKey(before: KeyEntry): void {
    const storageKey = KEY_RECORD_PREFIX + before.record.keyId
    this.staged.set(storageKey, {
      kind: 'key', record: null, before,
      mutation: { type: 'delete', key: storageKey, expectedRevision: before.revision },
    })
  }

  putAlias(before: AliasEntry | undefined, record: AliasRecord): void {
    const prior = this.staged.get(record.aliasName)
    this.staged.set(record.aliasName, {
      kind: 'alias', record, before: prior?.kind === 'alias' ? prior.before : before,
      mutation: { type: 'put', key: record.aliasName, value: utf8Encode(JSON.stringify(record)), expectedRevision: before?.revision ?? null },
    })
  }

  deleteAlias(before: AliasEntry): void {
    const prior = this.staged.get(before.record.aliasName)
    this.staged.set(before.record.aliasName, {
      kind: 'alias', record: null, before: prior?.kind === 'alias' ? prior.before : before,
      mutation: { type: 'delete', key: before.record.aliasName, expectedRevision: before.revision },
    })
  }

  /** Any other record (policies, attachments), read from storage every time. */
  record(key: string): Promise<StoredRecord | undefined> {
    return this.#store.readRecord(key)
  }

  putRecord(key: string, value: Uint8Array, expectedRevision: number | null): void {
    this.staged.set(key, { kind: 'other', mutation: { type: 'put', key, value, expectedRevision } })
  }

  deleteRecord(key: string, expectedRevision: number): void {
    this.staged.set(key, { kind: 'other', mutation: { type: 'delete', key, expectedRevision } })
  }

  emit(event: PendingEvent): void {
    this.events.push(event)
  }
}
