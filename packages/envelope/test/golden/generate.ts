/**
 * Golden envelopes: made once by a fully deterministic engine and envelope, committed,
 * and opened by every later release (golden.test.ts) — the proof that today's files stay
 * readable. Known-answer data is never regenerated casually: this script refuses to
 * overwrite existing files unless given `--force`, and a changed golden file in a diff
 * means a format change that needs a new format version, not a new fixture.
 *
 * ```sh
 * npx tsx --conditions=source packages/envelope/test/golden/generate.ts           # writes the files if absent
 * npx tsx --conditions=source packages/envelope/test/golden/generate.ts --force   # overwrites (think twice)
 * ```
 *
 * The recipe: `seededRandom(GOLDEN_SEED)` for the engine and `seededRandom(GOLDEN_SEED +
 * ' envelope')` for message ids, `new ManualClock(GOLDEN_START)`, a raw root key of the
 * bytes 0x00‥0x1f, memory storage (audit off, so the store holds only keys and aliases).
 * Two keys with aliases; `plaintext.txt` sealed in 256-byte frames to both of them with
 * an encryption context, and an empty plaintext sealed to one. Then the keystore's
 * storage records are dumped (StorageAdapter.scan) to `keystore.json`.
 */
import { existsSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Kms, ManualClock, rawRootKey, seededRandom, type StorageAdapter } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { Envelope } from '@strongroom/envelope'

export const GOLDEN_SEED = 'strongroom envelope golden v1'
export const GOLDEN_START = '2026-01-01T00:00:00Z'
export const GOLDEN_FRAME_SIZE = 256
export const GOLDEN_CONTEXT = { purpose: 'golden', owner: 'strongroom ✓' }

export const files = {
  keystore: fileURLToPath(new URL('./keystore.json', import.meta.url)),
  plaintext: fileURLToPath(new URL('./plaintext.txt', import.meta.url)),
  sealed: fileURLToPath(new URL('./plaintext.txt.sre', import.meta.url)),
  empty: fileURLToPath(new URL('./empty.sre', import.meta.url)),
}

/** The golden root key: the 32 bytes 0x00, 0x01, …, 0x1f. */
export function goldenRootKeyBytes(): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => i)
}

/** Six full 256-byte frames of text and a partial final one, with some non-ASCII so UTF-8 is exercised. */
export const GOLDEN_PLAINTEXT = Array.from({ length: 21 }, (_, i) =>
  `${String(i + 1).padStart(2, '0')}: Strongroom envelope golden file, format version 1 — ünïcödé ✓\n`).join('')

export interface GoldenKeystore {
  readonly about: string
  readonly seed: string
  readonly start: string
  readonly rootKeyHex: string
  readonly keys: readonly { readonly keyId: string; readonly alias: string }[]
  /** Every record of the store, in key order. */
  readonly records: readonly { readonly key: string; readonly valueBase64: string }[]
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')

async function dumpStorage(storage: StorageAdapter): Promise<GoldenKeystore['records']> {
  const out: { key: string; valueBase64: string }[] = []
  let after: string | undefined
  for (;;) {
    const page = await storage.scan({ prefix: '', limit: 100, ...(after === undefined ? {} : { after }) })
    for (const record of page.records) out.push({ key: record.key, valueBase64: b64(record.value) })
    if (page.cursor === undefined || page.records.length === 0) return out
    after = page.cursor
  }
}

/** Writes the records of a dump into an empty store (expectedRevision null: each must be new). */
export async function restoreStorage(storage: StorageAdapter, records: GoldenKeystore['records']): Promise<void> {
  await storage.commit(records.map((r) => ({
    type: 'put' as const, key: r.key, value: new Uint8Array(Buffer.from(r.valueBase64, 'base64')), expectedRevision: null,
  })))
}

export async function buildGolden(): Promise<{ keystore: GoldenKeystore; sealed: Uint8Array; empty: Uint8Array }> {
  const storage = memoryStorage()
  const kms = await Kms.open({
    storage, rootKey: rawRootKey(goldenRootKeyBytes()), random: seededRandom(GOLDEN_SEED), clock: new ManualClock(GOLDEN_START),
    closeStorage: false, audit: false,
  })
  const keys: { keyId: string; alias: string }[] = []
  for (const alias of ['alias/golden-a', 'alias/golden-b']) {
    const { keyMetadata } = await kms.createKey({ description: `envelope golden ${alias}` })
    await kms.createAlias({ aliasName: alias, keyId: keyMetadata.keyId })
    keys.push({ keyId: keyMetadata.keyId, alias })
  }
  const envelope = new Envelope({ kms, random: seededRandom(`${GOLDEN_SEED} envelope`), frameSize: GOLDEN_FRAME_SIZE })
  const sealed = await envelope.seal(new TextEncoder().encode(GOLDEN_PLAINTEXT), {
    keyIds: ['alias/golden-a', 'alias/golden-b'], encryptionContext: GOLDEN_CONTEXT,
  })
  const empty = await envelope.seal(new Uint8Array(0), { keyIds: ['alias/golden-b'] })
  await kms.close()
  const records = await dumpStorage(storage)
  await storage.close()
  const keystore: GoldenKeystore = {
    about: 'Strongroom envelope golden keystore: made by packages/envelope/test/golden/generate.ts, read by golden.test.ts. Never edit by hand.',
    seed: GOLDEN_SEED,
    start: GOLDEN_START,
    rootKeyHex: Buffer.from(goldenRootKeyBytes()).toString('hex'),
    keys,
    records,
  }
  return { keystore, sealed, empty }
}

async function main(): Promise<void> {
  if (Object.values(files).some((f) => existsSync(f)) && !process.argv.includes('--force')) {
    console.error('golden files exist. They pin the envelope format of every release and are not regenerated ' +
      'casually; pass --force only for a deliberate format change.')
    process.exitCode = 1
    return
  }
  const { keystore, sealed, empty } = await buildGolden()
  writeFileSync(files.keystore, JSON.stringify(keystore, null, 2) + '\n')
  writeFileSync(files.plaintext, GOLDEN_PLAINTEXT)
  writeFileSync(files.sealed, sealed)
  writeFileSync(files.empty, empty)
  console.log(`wrote ${Object.values(files).join(', ')}`)
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
