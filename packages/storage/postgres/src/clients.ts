/**
 * The two clients the adapter runs on, behind one small interface so every SQL statement
 * takes the same code path: a node-postgres `Pool` (a server, many processes) and a PGlite
 * instance (PostgreSQL in-process: tests, a fresh machine, a browser).
 *
 * ```ts
 * const client = poolClient(new pg.Pool({ connectionString }))   // or pgliteClient(new PGlite())
 * await client.transaction(async (session) => session.query('SELECT 1'))
 * const stop = await client.listen('channel', onPayload, onLost)
 * ```
 *
 * Only the shapes below are used, so any driver with the same shape works (the types are
 * structural; neither `pg` nor PGlite is imported at run time).
 */

/** A row as the drivers return it: column name → value. */
export type Row = Record<string, unknown>

/** The part of a node-postgres `PoolClient` the adapter uses. */
export interface PgPoolClient {
  query(text: string, values?: unknown[]): Promise<{ rows: Row[] }>
  /** `release(true)` destroys the connection instead of returning it to the pool. */
  release(destroy?: boolean | Error): void
  on(event: 'notification', listener: (message: { channel: string; payload?: string | undefined }) => void): unknown
  on(event: 'error', listener: (error: Error) => void): unknown
  on(event: 'end', listener: () => void): unknown
  // `any[]`: node-postgres declares its listeners so; a narrower type would not accept its Pool.
  removeListener(event: string, listener: (...args: any[]) => void): unknown
}

/** The part of a node-postgres `Pool` the adapter uses: the pool you created and configured. */
export interface PgPool {
  connect(): Promise<PgPoolClient>
  query(text: string, values?: unknown[]): Promise<{ rows: Row[] }>
}

/** The part of a PGlite instance the adapter uses. */
export interface PGliteDatabase {
  readonly dataDir?: string | undefined
  query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }>
  transaction<T>(callback: (tx: { query(text: string, params?: unknown[]): Promise<{ rows: unknown[] }> }) => Promise<T>): Promise<T>
  listen(channel: string, callback: (payload: string) => void): Promise<() => Promise<void>>
}

/** Statements inside one transaction. */
export interface SqlSession {
  query(text: string, params?: readonly unknown[]): Promise<readonly Row[]>
}

export interface SqlClient extends SqlSession {
  /** The object the user handed in: adapters over the same one (and table) share a hub. */
  readonly identity: object
  /** `manifest.name`. */
  readonly kind: 'postgres' | 'pglite'
  /** BEGIN, `work`, COMMIT; ROLLBACK if `work` throws. */
  transaction<T>(work: (session: SqlSession) => Promise<T>): Promise<T>
  /**
   * LISTEN on `channel`. `onLost` is called at most once, when the connection carrying the
   * subscription fails (notifications may have been missed); the subscription is then gone.
   * The returned function unsubscribes.
   */
  listen(channel: string, onPayload: (payload: string) => void, onLost: (error: unknown) => void): Promise<() => Promise<void>>
}

export function poolClient(pool: PgPool): SqlClient {
  return {
    identity: pool,
    kind: 'postgres',
    query: async (text, params) => (await pool.query(text, params === undefined ? undefined : [...params])).rows,

    async transaction(work) {
      const { client, ignore } = await begin(pool)
      let broken = false
      try {
        const result = await work({ query: async (text, params) => (await client.query(text, params === undefined ? undefined : [...params])).rows })
        await client.query('COMMIT')
        return result
      } catch (error) {
        try {
          await client.query('ROLLBACK')
        } catch {
          broken = true // the connection is gone or unusable: do not return it to the pool
        }
        throw error
      } finally {
        client.removeListener('error', ignore)
        client.release(broken)
      }
    },

    async listen(channel, onPayload, onLost) {
      const client = await pool.connect()
      // Until LISTEN succeeds a failure is the caller's to handle (it rejects), not a loss.
      const ignore = (): void => {}
      client.on('error', ignore)
      // A connection can hang after a network cut instead of failing; give up on it in time
      // (destroying it fails the query) so the caller can try another.
      let released = false
      const timer = setTimeout(() => {
        released = true
        client.release(true)
      }, LISTEN_TIMEOUT_MS)
      try {
        await client.query(`LISTEN "${channel}"`)
      } catch (error) {
        if (!released) client.release(true)
        throw error
      } finally {
        clearTimeout(timer)
      }
      if (released) throw new Error('LISTEN did not complete in time')
      let active = true
      const onNotification = (message: { channel: string; payload?: string | undefined }): void => {
        if (active && message.channel === channel) onPayload(message.payload ?? '')
      }
      const lose = (error: unknown): void => {
        if (!active) return
        active = false
        client.release(true)
        onLost(error)
      }
      const onError = (error: Error): void => lose(error)
      const onEnd = (): void => lose(new Error('the notification connection ended'))
      client.on('notification', onNotification)
      client.on('error', onError)
      client.on('end', onEnd)
      return async () => {
        if (!active) return
        active = false
        client.removeListener('notification', onNotification)
        client.removeListener('end', onEnd)
        // Errors from here on are expected (the connection is being destroyed); `ignore` stays.
        client.removeListener('error', onError)
        // Destroyed rather than returned: a pooled connection must not stay subscribed.
        client.release(true)
      }
    },
  }
}

/** How long subscribing may take before the connection is given up (and another tried). */
const LISTEN_TIMEOUT_MS = 3_000

/** Attempts at getting a pooled connection that accepts BEGIN: one the server closed while idle is replaced. */
const BEGIN_ATTEMPTS = 3

/**
 * A pooled connection inside BEGIN. Until BEGIN succeeds nothing of the transaction has been
 * sent, so a connection that turns out dead is destroyed and another one tried.
 */
async function begin(pool: PgPool): Promise<{ client: PgPoolClient; ignore: () => void }> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect()
    // A connection that fails while checked out emits 'error'; the query in flight rejects
    // with it anyway, so this listener only keeps the event from being unhandled.
    const ignore = (): void => {}
    client.on('error', ignore)
    try {
      await client.query('BEGIN')
      return { client, ignore }
    } catch (error) {
      client.removeListener('error', ignore)
      client.release(true)
      if (attempt >= BEGIN_ATTEMPTS) throw error
    }
  }
}

export function pgliteClient(db: PGliteDatabase): SqlClient {
  const rows = (result: { rows: unknown[] }): readonly Row[] => result.rows as Row[]
  return {
    identity: db,
    kind: 'pglite',
    query: async (text, params) => rows(await db.query(text, params === undefined ? undefined : [...params])),
    transaction: (work) => db.transaction((tx) => work({ query: async (text, params) => rows(await tx.query(text, params === undefined ? undefined : [...params])) })),
    // In-process: the subscription cannot be lost, so `onLost` is never called.
    listen: (channel, onPayload) => db.listen(channel, onPayload),
  }
}
