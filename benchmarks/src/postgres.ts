/**
 * The engine on PostgreSQL, each case against its raw primitive in the same run: the
 * cached encrypt path (against AES-256-GCM; it should cost what it costs on memory storage,
 * the database is not on it), and the operations that do reach the database — createKey,
 * rotation, a cold key — against the raw database round trips they stand for (a one-row
 * write transaction, a one-row indexed read) on the same pool. Last, a fleet on one hot
 * key: the total encrypt throughput of 4 processes (each its own engine, pool and audit
 * chain) against 1 process, over the same time window (postgres-hot-key-worker.ts).
 *
 * Run: `npx -y pnpm@12.21.0 --filter @strongroom/benchmarks run bench:postgres` with a server
 * at `STRONGROOM_BENCH_POSTGRES` (default `postgres://root@127.0.0.1:5432/test`); a fresh
 * schema is created and dropped. `--quick` for fewer rounds. Runs through tsx, like the
 * envelope benchmark: the database-bound cases are far above its per-call overhead, and
 * the two encrypt rows share it.
 */
import { spawn } from 'node:child_process'
import { createCipheriv, randomFillSync } from 'node:crypto'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { Kms, rawRootKey, type StorageAdapter } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { postgresStorage } from '@strongroom/storage-postgres'
import { compare, formatTable, type Comparison } from './harness.js'

const url = process.env.STRONGROOM_BENCH_POSTGRES ?? 'postgres://root@127.0.0.1:5432/test'
const quick = process.argv.includes('--quick')
const rounds = quick ? 3 : 9
const cryptoBatch = quick ? 500 : 2000
const dbBatch = quick ? 10 : 30

const key = randomFillSync(new Uint8Array(32))
const nonce = randomFillSync(new Uint8Array(12))
const aad = randomFillSync(new Uint8Array(62 + 16))
const kib = randomFillSync(new Uint8Array(1024))

function rawEncrypt(): Uint8Array {
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  cipher.setAAD(aad)
  const out = cipher.update(kib)
  cipher.final()
  cipher.getAuthTag()
  return out
}

/** Starts postgres-hot-key-worker.ts in a process of its own; `ready` resolves once it is warm, `go()` opens its window. */
function hotKeyWorker(config: object): { ready: Promise<void>; go: () => void; done: Promise<{ calls: number; seconds: number }> } {
  const script = fileURLToPath(new URL('./postgres-hot-key-worker.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', script], {
    env: { ...process.env, STRONGROOM_HOT_KEY: JSON.stringify(config) }, stdio: ['pipe', 'pipe', 'inherit'],
  })
  let out = ''
  let markReady: () => void = () => undefined
  const ready = new Promise<void>((resolve) => (markReady = resolve))
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString()
    if (out.startsWith('ready\n')) markReady()
  })
  const done = new Promise<{ calls: number; seconds: number }>((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.slice('ready\n'.length)) as { calls: number; seconds: number }) : reject(new Error(`hot-key worker exited with ${code}`))))
  })
  return { ready, go: () => child.stdin.end('go\n'), done }
}

const pool = new pg.Pool({ connectionString: url, max: 4 })
pool.on('error', () => {})
try {
  await pool.query('SELECT 1')
} catch (error) {
  console.log(`SKIPPED: no PostgreSQL server at ${url} (${String(error)})`)
  await pool.end()
  process.exit(0)
}
const schema = `bench_${process.pid}`
const rows: (Comparison & { target: number })[] = []
const run = async (name: string, baseline: () => unknown, candidate: () => unknown, target: number, batch: number) => {
  rows.push({ ...(await compare({ name, baseline, candidate, batch, rounds })), target })
}

try {
  const encryptOn = async (label: string, storage: StorageAdapter, audit: boolean, target: number) => {
    const kms = await Kms.open({ storage, rootKey: rawRootKey(randomFillSync(new Uint8Array(32))), ...(audit ? {} : { audit: false }) })
    const { keyId } = (await kms.createKey()).keyMetadata
    await run(`encrypt 1 KiB, cached key${audit ? ', audit on' : ''} (${label})`, rawEncrypt, () => kms.encrypt({ keyId, plaintext: kib, encryptionContext: { tenant: 'acme' } }), target, cryptoBatch)
    await kms.close()
  }
  await encryptOn('warm-up', memoryStorage(), false, 2)
  rows.length = 0
  await encryptOn('memory', memoryStorage(), false, 2)
  await encryptOn('PostgreSQL', postgresStorage(pool, { schema, table: 'audit_off' }), false, 2)
  await encryptOn('PostgreSQL', postgresStorage(pool, { schema, table: 'audit_on' }), true, 4)

  // The raw primitives of the database cases, on the same pool.
  await pool.query(`CREATE TABLE "${schema}".raw (key bytea PRIMARY KEY, value bytea NOT NULL)`)
  let n = 0
  const rawWrite = async () => {
    const client = await pool.connect()
    try {
      await client.query('BEGIN')
      await client.query(`INSERT INTO "${schema}".raw VALUES ($1, $2)`, [Buffer.from(`k${n++}`), Buffer.alloc(600)])
      await client.query('COMMIT')
    } finally {
      client.release()
    }
  }
  await rawWrite()
  const rawRead = () => pool.query(`SELECT value FROM "${schema}".raw WHERE key = $1`, [Buffer.from('k0')])

  const kms = await Kms.open({ storage: postgresStorage(pool, { schema }), rootKey: rawRootKey(randomFillSync(new Uint8Array(32))), keyCacheSize: 1 })
  await run('createKey (PostgreSQL) vs a one-row write transaction', rawWrite, () => kms.createKey(), 6, dbBatch)
  const { keyId } = (await kms.createKey()).keyMetadata
  await run('createKeyVersion (PostgreSQL) vs a one-row write transaction', rawWrite, () => kms.createKeyVersion({ keyId }), 6, dbBatch)
  // A cache of one key and two keys used in turn: every call loads its key from the database.
  const other = (await kms.createKey()).keyMetadata.keyId
  let turn = 0
  await run('encrypt, cold key (PostgreSQL) vs a one-row read', rawRead, () => kms.encrypt({ keyId: turn++ % 2 === 0 ? keyId : other, plaintext: kib }), 4, dbBatch)
  await kms.close()

  console.log(`Strongroom on PostgreSQL vs raw primitives (Node ${process.version}, ${rounds} rounds, median ratio)\n`)
  console.log(formatTable(rows))

  // A fleet on one hot key: total encrypt throughput of 4 processes vs 1, each its own engine and pool.
  const rootKeyHex = randomFillSync(new Uint8Array(32)).reduce((hex, b) => hex + b.toString(16).padStart(2, '0'), '')
  const setup = await Kms.open({ storage: postgresStorage(pool, { schema, table: 'hot' }), rootKey: rawRootKey(Uint8Array.from(Buffer.from(rootKeyHex, 'hex'))) })
  const hotKey = (await setup.createKey()).keyMetadata.keyId
  await setup.close()
  const windowMs = quick ? 1000 : 3000
  const fleetRate = async (processes: number, audit: boolean): Promise<number> => {
    const workers = Array.from({ length: processes }, () => hotKeyWorker({ url, schema, table: 'hot', rootKeyHex, keyId: hotKey, windowMs, audit }))
    // Every process is started and warm (tsx, pool, engine, key, audit chain) before the common window opens.
    await Promise.all(workers.map((w) => w.ready))
    for (const w of workers) w.go()
    const outputs = await Promise.all(workers.map((w) => w.done))
    return outputs.reduce((sum, o) => sum + o.calls / o.seconds, 0)
  }
  console.log('')
  // Audit off takes the database out of the window: what is left is each process's CPU.
  for (const audit of [true, false]) {
    const one = await fleetRate(1, audit)
    const four = await fleetRate(4, audit)
    console.log(`One hot key, encrypt 1 KiB, audit ${audit ? 'on' : 'off'}: 1 process ${Math.round(one)}/s; 4 processes ${Math.round(four)}/s in total (${(four / one).toFixed(2)}x; ${os.availableParallelism()} cores)`)
  }
} finally {
  await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
  await pool.end()
}
