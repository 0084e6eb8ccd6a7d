/**
 * The storage contract on PostgreSQL: one table, real transactions, revisions from a
 * sequence, `watch` through LISTEN/NOTIFY. `postgresStorage(pool)` and
 * `pgliteStorage(db)` are this class over the two clients (clients.ts).
 *
 * ```ts
 * const storage = new PostgresStorage(poolClient(pool), tableNames({ schema: 'strongroom', table: 'records' }), manifest)
 * ```
 *
 * Commit, in one READ COMMITTED transaction: lock the rows of every mutated key in key
 * order (`SELECT … ORDER BY key FOR UPDATE`, so two commits never deadlock on them), check
 * every expectation, then INSERT the creates (a row another transaction created meanwhile
 * is a unique violation: Conflict), UPDATE the replaces (rows locked: nobody else can
 * change them), DELETE the deletes, and queue the NOTIFY payloads, which PostgreSQL
 * delivers on COMMIT, all or none. After COMMIT the listeners in this process are called
 * synchronously, then `commit` resolves. Deadlocks and serialization failures (SQLSTATE
 * 40P01, 40001) roll everything back and are retried here with jittered backoff; a failed
 * expectation is `KmsError('Conflict')`; anything else is `StorageFailure` — including a
 * connection lost during COMMIT, whose outcome the adapter cannot know (the engine then
 * re-reads; it never assumes either outcome).
 *
 * Keys travel as hex text and are decoded to `bytea` in SQL, so both drivers send the same
 * statements whatever their parameter conversions.
 */

import {
  KmsError,
  assertValidMutations,
  isValidStorageKey,
  validScanOptions,
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
import type { Row, SqlClient, SqlSession } from './clients.js'
import { acquireHub, type Hub } from './hub.js'
import { encodeChanges } from './notify.js'
import type { TableNames } from './schema.js'

/** Transient failures PostgreSQL asks the client to retry: serialization failure, deadlock. */
const RETRYABLE = new Set(['40001', '40P01'])
const MAX_ATTEMPTS = 6
const UNIQUE_VIOLATION = '23505'

const encoder = new TextEncoder()
/** `fatal`: a stored key that is not UTF-8 is corrupt, never silently replaced by U+FFFD. */
const decoder = new TextDecoder('utf-8', { fatal: true })

export class PostgresStorage implements StorageAdapter {
  readonly manifest: StorageManifest
  readonly #client: SqlClient
  readonly #names: TableNames
  readonly #hub: Hub
  readonly #sql: ReturnType<typeof statements>
  #closing: Promise<void> | undefined
  readonly #pending = new Set<Promise<unknown>>()

  constructor(client: SqlClient, names: TableNames, manifest: StorageManifest) {
    this.#client = client
    this.#names = names
    this.#hub = acquireHub(client, names)
    this.#sql = statements(names)
    this.manifest = Object.freeze({ ...manifest })
  }

  async get(key: string): Promise<StoredRecord | undefined> {
    this.#assertOpen()
    if (!isValidStorageKey(key)) throw new KmsError('InvalidParameter', 'key must be a non-empty, well-formed string')
    const rows = await this.#run(`get '${key}'`, () => this.#client.query(this.#sql.get, [hex(encoder.encode(key))]))
    const row = rows[0]
    return row === undefined ? undefined : { key, value: bytesOf(row.value, key), revision: revisionOf(row.revision, key) }
  }

  async scan(options: ScanOptions): Promise<ScanPage> {
    this.#assertOpen()
    const { prefix, after, limit } = validScanOptions(options)
    const low = encoder.encode(prefix)
    const conditions: string[] = []
    const params: unknown[] = []
    if (low.length > 0) {
      // Every key with this prefix sorts before the prefix with its last byte incremented;
      // UTF-8 never contains 0xFF, so the increment cannot overflow.
      const high = low.slice()
      high[high.length - 1]! += 1
      params.push(hex(low), hex(high))
      conditions.push(`key >= decode($${params.length - 1}, 'hex')`, `key < decode($${params.length}, 'hex')`)
    }
    if (after !== undefined) {
      params.push(hex(encoder.encode(after)))
      conditions.push(`key > decode($${params.length}, 'hex')`)
    }
    params.push(limit + 1) // one more than the page tells whether more follow
    const where = conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`
    const text = `SELECT key, value, revision FROM ${this.#names.records} ${where} ORDER BY key LIMIT $${params.length}`
    const rows = await this.#run(`scan of '${prefix}'`, () => this.#client.query(text, params))
    const records = rows.slice(0, limit).map((row) => {
      const key = keyOf(row.key)
      return { key, value: bytesOf(row.value, key), revision: revisionOf(row.revision, key) }
    })
    const last = records[records.length - 1]
    return rows.length > limit && last !== undefined ? { records, cursor: last.key } : { records }
  }

  async commit(mutations: readonly Mutation[]): Promise<CommitResult> {
    this.#assertOpen()
    assertValidMutations(mutations, 'InvalidParameter')
    if (mutations.length === 0) return { revisions: new Map() }
    // Copied now: the caller may reuse its arrays as soon as commit is called.
    const plan = mutations.map((m) => ({ ...m, id: hex(encoder.encode(m.key)), data: m.type === 'put' ? hex(m.value) : undefined }))
    const run = this.#commitWithRetries(plan)
    this.#pending.add(run)
    try {
      return await run
    } finally {
      this.#pending.delete(run)
    }
  }

  watch(listener: StorageChangeListener): () => void {
    this.#assertOpen()
    return this.#hub.listeners.subscribe(listener, this)
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#hub.listeners.dropOwner(this)
      await Promise.allSettled([...this.#pending])
      await this.#hub.release()
    })()
    return this.#closing
  }

  async #commitWithRetries(plan: readonly PlannedMutation[]): Promise<CommitResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { revisions, changes } = await this.#run('commit', () => this.#client.transaction((session) => this.#apply(session, plan)))
        if (changes.length > 0) this.#hub.listeners.announce(changes)
        return { revisions }
      } catch (error) {
        const retry = attempt < MAX_ATTEMPTS && RETRYABLE.has(sqlState((error as { cause?: unknown }).cause ?? error))
        if (!retry) throw error
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * 2 ** attempt))
      }
    }
  }

  /** One attempt, inside the transaction: lock, check, write, queue notifications. */
  async #apply(session: SqlSession, plan: readonly PlannedMutation[]): Promise<{ revisions: Map<string, number>; changes: StorageChange[] }> {
    const sql = this.#sql
    const locked = await session.query(sql.lock, [plan.map((m) => m.id)])
    const current = new Map(locked.map((row) => [String(row.id), revisionOf(row.revision, String(row.id))]))
    for (const m of plan) {
      const found = current.get(m.id) ?? null
      if (found !== m.expectedRevision) {
        throw new KmsError('Conflict', `'${m.key}' is at revision ${found ?? 'absent'}, the commit expected ${m.expectedRevision ?? 'absent'}`)
      }
    }
    const byId = new Map(plan.map((m) => [m.id, m.key]))
    const revisions = new Map<string, number>()
    const creates = plan.filter((m) => m.type === 'put' && m.expectedRevision === null)
    const replaces = plan.filter((m) => m.type === 'put' && m.expectedRevision !== null)
    const deletes = plan.filter((m) => m.type === 'delete')
    const written: Row[] = []
    if (creates.length > 0) written.push(...(await session.query(sql.insert, [creates.map((m) => m.id), creates.map((m) => m.data)])))
    if (replaces.length > 0) written.push(...(await session.query(sql.update, [replaces.map((m) => m.id), replaces.map((m) => m.data)])))
    if (deletes.length > 0) await session.query(sql.delete, [deletes.map((m) => m.id)])
    for (const row of written) {
      const key = byId.get(String(row.id))!
      revisions.set(key, revisionOf(row.revision, key))
    }
    const changes: StorageChange[] = []
    for (const m of plan) {
      if (m.type === 'put') changes.push(Object.freeze({ key: m.key, revision: revisions.get(m.key)! }))
      else if (m.type === 'delete') changes.push(Object.freeze({ key: m.key, revision: null }))
    }
    for (const payload of encodeChanges(this.#hub.origin, changes)) {
      await session.query('SELECT pg_notify($1, $2)', [this.#hub.channel, payload])
    }
    return { revisions, changes }
  }

  /** Waits for the table and the subscription, runs `action`, and maps backend errors. */
  async #run<T>(what: string, action: () => Promise<T>): Promise<T> {
    try {
      await this.#hub.ready()
      return await action()
    } catch (error) {
      throw this.#failure(what, error)
    }
  }

  #failure(what: string, error: unknown): KmsError {
    if (KmsError.is(error)) return error
    if (sqlState(error) === UNIQUE_VIOLATION) return new KmsError('Conflict', `${what}: a record was created by another writer first`, { cause: error })
    if (this.#closing !== undefined) return new KmsError('Closed', `storage '${this.manifest.name}' is closed`, { cause: error })
    return new KmsError('StorageFailure', `${this.manifest.name} ${this.#names.qualified}: ${what} failed`, { cause: error })
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw new KmsError('Closed', `storage '${this.manifest.name}' is closed`)
  }
}

type PlannedMutation = Mutation & { readonly id: string; readonly data: string | undefined }

function statements(n: TableNames) {
  const ids = `ARRAY(SELECT decode(h, 'hex') FROM unnest($1::text[]) AS h)`
  return {
    get: `SELECT value, revision FROM ${n.records} WHERE key = decode($1, 'hex')`,
    lock: `SELECT encode(key, 'hex') AS id, revision FROM ${n.records} WHERE key = ANY(${ids}) ORDER BY key FOR UPDATE`,
    insert:
      `INSERT INTO ${n.records} (key, value, revision) ` +
      `SELECT decode(u.k, 'hex'), decode(u.v, 'hex'), nextval('${n.sequence}') FROM unnest($1::text[], $2::text[]) AS u(k, v) ORDER BY u.k ` +
      `RETURNING encode(key, 'hex') AS id, revision`,
    update:
      `UPDATE ${n.records} AS r SET value = decode(u.v, 'hex'), revision = nextval('${n.sequence}') ` +
      `FROM unnest($1::text[], $2::text[]) AS u(k, v) WHERE r.key = decode(u.k, 'hex') ` +
      `RETURNING encode(r.key, 'hex') AS id, r.revision`,
    delete: `DELETE FROM ${n.records} WHERE key = ANY(${ids})`,
  }
}

function sqlState(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : ''
}

function hex(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!]
  return out
}
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** A bytea column as a fresh Uint8Array the caller owns (drivers return a Buffer or a Uint8Array). */
function bytesOf(value: unknown, key: string): Uint8Array {
  if (value instanceof Uint8Array) return new Uint8Array(value)
  // A driver configured to return bytea as text gives PostgreSQL's hex format, '\x…'.
  if (typeof value === 'string' && /^\\x([0-9a-f]{2})*$/i.test(value)) {
    const out = new Uint8Array((value.length - 2) / 2)
    for (let i = 0; i < out.length; i++) out[i] = parseInt(value.slice(2 + 2 * i, 4 + 2 * i), 16)
    return out
  }
  throw new KmsError('CorruptRecord', `the value of '${key}' is not bytea`)
}

function keyOf(value: unknown): string {
  try {
    return decoder.decode(bytesOf(value, '(a scanned key)'))
  } catch (cause) {
    throw KmsError.is(cause) ? cause : new KmsError('CorruptRecord', 'a stored key is not valid UTF-8', { cause })
  }
}

/** int8 arrives as a string (pg), a number or a bigint (PGlite); revisions must be safe integers. */
function revisionOf(value: unknown, key: string): number {
  const revision = typeof value === 'bigint' ? Number(value) : typeof value === 'string' ? Number(value) : value
  if (typeof revision !== 'number' || !Number.isSafeInteger(revision) || revision <= 0) {
    throw new KmsError('CorruptRecord', `the revision of '${key}' is not a positive safe integer`)
  }
  return revision
}
