/**
 * One process of the hot-key throughput case of postgres.ts: an engine with its own pool on
 * the benchmark's PostgreSQL schema encrypts 1 KiB under one shared key (audit on, as
 * deployed, or off to take the database out of the window entirely) for `windowMs` once the parent writes a line to its stdin (to every process at
 * once, after all said `ready`), then prints how many calls it completed.
 *
 *   STRONGROOM_HOT_KEY='{"url":…,"schema":…,"table":…,"rootKeyHex":…,"keyId":…,"windowMs":…,"audit":true}' tsx --conditions=source postgres-hot-key-worker.ts
 */
import pg from 'pg'
import { Kms, rawRootKey } from '@strongroom/core'
import { postgresStorage } from '@strongroom/storage-postgres'

interface Config { url: string; schema: string; table: string; rootKeyHex: string; keyId: string; windowMs: number; audit: boolean }

const config = JSON.parse(process.env['STRONGROOM_HOT_KEY'] ?? '') as Config
const pool = new pg.Pool({ connectionString: config.url, max: 4 })
pool.on('error', () => {})
const kms = await Kms.open({ storage: postgresStorage(pool, { schema: config.schema, table: config.table }), rootKey: rawRootKey(Uint8Array.from(Buffer.from(config.rootKeyHex, 'hex'))), ...(config.audit ? {} : { audit: false }) })
const plaintext = new Uint8Array(1024).fill(7)
const context = { tenant: 'acme' }
// Warm: the key loaded and unwrapped, the audit chain started.
for (let i = 0; i < 200; i++) await kms.encrypt({ keyId: config.keyId, plaintext, encryptionContext: context })
// Ready; the window opens when the parent says so on stdin, for every process at once.
process.stdout.write('ready\n')
await new Promise((resolve) => process.stdin.once('data', resolve))
const startAt = Date.now()
const endAt = startAt + config.windowMs
let calls = 0
// Batches of 64 between clock reads: Date.now() is not free at this rate.
while (Date.now() < endAt) {
  for (let i = 0; i < 64; i++) await kms.encrypt({ keyId: config.keyId, plaintext, encryptionContext: context })
  calls += 64
}
const seconds = (Date.now() - startAt) / 1000
process.stdin.pause()
await kms.close()
await pool.end()
process.stdout.write(`${JSON.stringify({ calls, seconds })}\n`)
