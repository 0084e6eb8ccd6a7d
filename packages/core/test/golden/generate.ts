/**
 * Golden vectors: a small keystore made today by a fully deterministic engine, committed
 * as data so every future release proves it still opens today's stores and blobs
 * (golden.test.ts). Known-answer data is never regenerated casually: this script refuses
 * to overwrite `keystore-v3.json` unless given `--force`, and a changed file in a diff
 * means a format change that needs a new version, not a new fixture. Earlier files are
 * kept, and every release must open them: `keystore-v1.json` is the first release's store
 * (plain records); `keystore-v2.json` the sealed store before key versions recorded what
 * made them (a rotation's `rotation: 'manual' | 'automatic'`), which v3 adds.
 *
 * ```sh
 * npx tsx --conditions=source packages/core/test/golden/generate.ts           # writes keystore-v3.json if absent
 * npx tsx --conditions=source packages/core/test/golden/generate.ts --force   # overwrites (think twice)
 * ```
 *
 * The recipe: `seededRandom(GOLDEN_SEED)`, `new ManualClock(GOLDEN_START)`, a raw root key
 * of the bytes 0x00‥0x1f, memory storage. An AES-256 key rotated once (2 versions, tags,
 * an alias), an AES-128 key (deletion protection on), blobs under each version with and
 * without an encryption context, and data keys. Then every storage record is dumped.
 *
 * The file also holds "format vectors" made without the engine, from the blob format
 * documented in blob.ts and the context encoding in context.ts, with node:crypto only:
 * known material, ids, epoch, nonce, context and plaintext → the expected blob bytes.
 */
import { createCipheriv, hkdfSync } from 'node:crypto'
import { existsSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import {
  DAY_MS, Kms, ManualClock, rawRootKey, seededRandom,
  type Alias, type EncryptionContext, type KeyMetadata, type KeyVersion, type StorageAdapter,
} from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'

/** The current format (schema-2 header, every record sealed, listing indexes, versions record their rotation): what this recipe writes. */
export const GOLDEN_FILE = fileURLToPath(new URL('./keystore-v3.json', import.meta.url))
/** The second release's store (sealed records, no listing indexes), kept forever: opening it builds the indexes. */
export const GOLDEN_V2_FILE = fileURLToPath(new URL('./keystore-v2.json', import.meta.url))
/** The first release's store (plain records), kept forever: every release must open and upgrade it. */
export const GOLDEN_V1_FILE = fileURLToPath(new URL('./keystore-v1.json', import.meta.url))
export const GOLDEN_SEED = 'strongroom golden v1'
export const GOLDEN_START = '2026-01-01T00:00:00Z'

/** The golden root key: the 32 bytes 0x00, 0x01, …, 0x1f. */
export function goldenRootKeyBytes(): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => i)
}

export interface StorageRecordDump {
  readonly key: string
  readonly valueBase64: string
}

/** A blob the engine made, and what decrypting it must give. */
export interface GoldenVector {
  readonly description: string
  readonly keyId: string
  readonly keyVersionId: string
  readonly blobBase64: string
  readonly encryptionContext?: Record<string, string>
  readonly plaintextBase64: string
}

/** A blob built by hand from the format documentation (blob.ts, context.ts), not by the engine. */
export interface FormatVector {
  readonly description: string
  /** 1 = AES-256-GCM, 2 = AES-128-GCM (blob byte 1). */
  readonly algorithm: 1 | 2
  readonly materialHex: string
  readonly keyId: string
  readonly keyVersionId: string
  readonly epochHex: string
  readonly nonceHex: string
  readonly encryptionContext?: Record<string, string>
  /** The canonical context encoding (context.ts); empty for no context. */
  readonly encodedContextHex: string
  readonly plaintextBase64: string
  readonly blobBase64: string
}

export interface GoldenKeystore {
  readonly about: string
  /** 1: the first release (plain records); 2: sealed records; 3: sealed records, listing indexes, versions record their rotation. */
  readonly formatVersion: 1 | 2 | 3
  readonly seed: string
  readonly start: string
  readonly rootKeyHex: string
  /** Every record of the store, in key order. */
  readonly records: readonly StorageRecordDump[]
  readonly vectors: readonly GoldenVector[]
  /** What the engine reported about the keystore when it was made. */
  readonly metadata: {
    readonly keys: readonly KeyMetadata[]
    readonly keyVersions: Readonly<Record<string, readonly KeyVersion[]>>
    readonly aliases: readonly Alias[]
    readonly tags: Readonly<Record<string, readonly { keyId: string; tagKey: string; tagValue: string }[]>>
  }
  readonly formatVectors: readonly FormatVector[]
}

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64')
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const text = (s: string): Uint8Array => new TextEncoder().encode(s)

/** Every record under `prefix`, following the scan cursor page by page (storage.ts contract). */
export async function dumpStorage(storage: StorageAdapter, prefix = ''): Promise<StorageRecordDump[]> {
  const out: StorageRecordDump[] = []
  let after: string | undefined
  for (;;) {
    const page = await storage.scan({ prefix, limit: 2, ...(after === undefined ? {} : { after }) })
    for (const record of page.records) out.push({ key: record.key, valueBase64: b64(record.value) })
    if (page.cursor === undefined || page.records.length === 0) return out
    after = page.cursor
  }
}

// ---------------------------------------------------------------- the format, by hand

function uuidBytes(uuid: string): Buffer {
  return Buffer.from(uuid.replaceAll('-', ''), 'hex')
}

/**
 * context.ts, written again from its doc: u16 pairCount ‖ per pair sorted by the key's
 * UTF-8 bytes: u16 keyLength ‖ key ‖ u16 valueLength ‖ value. Empty or absent → no bytes.
 */
export function encodeContextBySpec(context: EncryptionContext | undefined): Buffer {
  const pairs = Object.entries(context ?? {}).map(([k, v]) => [Buffer.from(k, 'utf8'), Buffer.from(v, 'utf8')] as const)
  if (pairs.length === 0) return Buffer.alloc(0)
  pairs.sort(([a], [b]) => Buffer.compare(a, b))
  const u16 = (n: number): Buffer => {
    const b = Buffer.alloc(2)
    b.writeUInt16BE(n)
    return b
  }
  return Buffer.concat([u16(pairs.length), ...pairs.flatMap(([k, v]) => [u16(k.length), k, u16(v.length), v])])
}

/**
 * blob.ts, written again from its doc: header = 0x01 ‖ algorithm ‖ keyId(16) ‖ versionId(16)
 * ‖ epoch(16) ‖ nonce(12); subkey = HKDF-SHA-256(material, salt = epoch, info =
 * "strongroom/blob/v1" ‖ keyId ‖ versionId); blob = header ‖ AES-GCM(subkey, nonce,
 * plaintext, AAD = header ‖ context) ‖ tag.
 */
export function sealBySpec(input: {
  material: Uint8Array; keyId: string; keyVersionId: string; epoch: Uint8Array; nonce: Uint8Array
  encodedContext: Uint8Array; plaintext: Uint8Array
}): Buffer {
  const algorithm = input.material.length === 16 ? 2 : 1
  const keyId = uuidBytes(input.keyId)
  const versionId = uuidBytes(input.keyVersionId)
  const header = Buffer.concat([Buffer.from([1, algorithm]), keyId, versionId, input.epoch, input.nonce])
  const info = Buffer.concat([Buffer.from('strongroom/blob/v1', 'utf8'), keyId, versionId])
  const subkey = Buffer.from(hkdfSync('sha256', input.material, input.epoch, info, input.material.length))
  const cipher = createCipheriv(algorithm === 1 ? 'aes-256-gcm' : 'aes-128-gcm', subkey, input.nonce)
  cipher.setAAD(Buffer.concat([header, input.encodedContext]))
  return Buffer.concat([header, cipher.update(input.plaintext), cipher.final(), cipher.getAuthTag()])
}

const byteRange = (start: number, length: number): Uint8Array => Uint8Array.from({ length }, (_, i) => (start + i) & 0xff)

export function buildFormatVectors(): FormatVector[] {
  const specs: Omit<FormatVector, 'encodedContextHex' | 'blobBase64' | 'algorithm'>[] = [
    {
      description: 'AES-256-GCM, context whose UTF-8 order differs from UTF-16 and locale order',
      materialHex: hex(byteRange(0x40, 32)),
      keyId: '0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0ff',
      keyVersionId: '11111111-2222-4333-8444-555555555555',
      epochHex: hex(byteRange(0xa0, 16)),
      nonceHex: hex(byteRange(0xc0, 12)),
      encryptionContext: { tenant: 'acme', '\u{1F600}': 'emoji', '\uFF61': 'halfwidth', B: '', a: 'ünïcödé ✓' },
      plaintextBase64: b64(text('Strongroom golden format vector v1')),
    },
    {
      description: 'AES-128-GCM, no encryption context',
      materialHex: hex(byteRange(0x60, 16)),
      keyId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
      keyVersionId: '99999999-8888-4777-a666-555555555555',
      epochHex: hex(byteRange(0x10, 16)),
      nonceHex: hex(byteRange(0xf0, 12)),
      plaintextBase64: b64(byteRange(0, 48)),
    },
  ]
  return specs.map((spec) => {
    const material = Buffer.from(spec.materialHex, 'hex')
    const encodedContext = encodeContextBySpec(spec.encryptionContext)
    const blob = sealBySpec({
      material, keyId: spec.keyId, keyVersionId: spec.keyVersionId, epoch: Buffer.from(spec.epochHex, 'hex'),
      nonce: Buffer.from(spec.nonceHex, 'hex'), encodedContext, plaintext: Buffer.from(spec.plaintextBase64, 'base64'),
    })
    return { ...spec, algorithm: material.length === 16 ? 2 : 1, encodedContextHex: hex(encodedContext), blobBase64: b64(blob) }
  })
}

// ---------------------------------------------------------------- the engine recipe

/** Builds the golden keystore from scratch. Same inputs, same bytes: every run, every release. */
export async function buildGoldenKeystore(): Promise<GoldenKeystore> {
  const clock = new ManualClock(GOLDEN_START)
  const storage = memoryStorage()
  const kms = await Kms.open({
    storage, rootKey: rawRootKey(goldenRootKeyBytes()), random: seededRandom(GOLDEN_SEED), clock, closeStorage: false,
    // The keystore predates the audit trail, whose records (and the randomness they draw)
    // would change every byte after them; the audit trail has its own tests.
    audit: false,
  })
  const vectors: GoldenVector[] = []
  const seal = async (description: string, keyId: string, plaintext: Uint8Array, encryptionContext?: Record<string, string>): Promise<void> => {
    const r = await kms.encrypt({ keyId, plaintext, ...(encryptionContext ? { encryptionContext } : {}) })
    vectors.push({
      description, keyId: r.keyId, keyVersionId: r.keyVersionId, blobBase64: b64(r.ciphertextBlob),
      ...(encryptionContext ? { encryptionContext } : {}), plaintextBase64: b64(plaintext),
    })
  }
  const context = { tenant: 'acme', 'ünïcödé': '✓', '\u{1F600}': '' }

  const aes256 = (await kms.createKey({
    description: 'golden AES-256, rotated once',
    tags: [{ tagKey: 'env', tagValue: 'golden' }, { tagKey: 'owner', tagValue: 'strongroom ✓' }],
  })).keyMetadata.keyId
  clock.advance(60_000)
  const aes128 = (await kms.createKey({ keySpec: 'Aliyun_AES_128', description: 'golden AES-128' })).keyMetadata.keyId
  await kms.createAlias({ aliasName: 'alias/golden', keyId: aes256 })
  await kms.createAlias({ aliasName: 'alias/golden-128', keyId: aes128 })
  await kms.setDeletionProtection({ keyId: aes128, enableDeletionProtection: true, deletionProtectionDescription: 'golden data' })

  await seal('AES-256 version 1, no context', aes256, text('version one, no context'))
  await seal('AES-256 version 1, with context', aes256, text('version one, with context'), context)
  clock.advance(DAY_MS)
  await kms.createKeyVersion({ keyId: aes256 })
  await seal('AES-256 version 2, no context', aes256, text('version two, no context'))
  await seal('AES-256 version 2, with context', aes256, text('version two, with context'), context)
  await seal('AES-256 version 2, 6144-byte plaintext', aes256, byteRange(7, 6144))
  await seal('AES-128, no context', aes128, text('aes-128, no context'))
  await seal('AES-128, with context', aes128, text('aes-128, with context'), { purpose: 'golden' })

  const dataKeyContext = { purpose: 'data key' }
  const dataKey = await kms.generateDataKey({ keyId: 'alias/golden', encryptionContext: dataKeyContext })
  vectors.push({
    description: 'data key (AES_256) under AES-256 version 2, with context', keyId: dataKey.keyId, keyVersionId: dataKey.keyVersionId,
    blobBase64: b64(dataKey.ciphertextBlob), encryptionContext: dataKeyContext, plaintextBase64: b64(dataKey.plaintext),
  })
  const dataKey128 = await kms.generateDataKey({ keyId: aes128, keySpec: 'AES_128' })
  vectors.push({
    description: 'data key (AES_128) under AES-128, no context', keyId: dataKey128.keyId, keyVersionId: dataKey128.keyVersionId,
    blobBase64: b64(dataKey128.ciphertextBlob), plaintextBase64: b64(dataKey128.plaintext),
  })

  const keyIds = [aes256, aes128]
  const metadata: GoldenKeystore['metadata'] = {
    keys: await Promise.all(keyIds.map(async (keyId) => (await kms.describeKey({ keyId })).keyMetadata)),
    keyVersions: Object.fromEntries(await Promise.all(keyIds.map(async (keyId) =>
      [keyId, (await kms.listKeyVersions({ keyId, pageSize: 100 })).keyVersions] as const))),
    aliases: (await kms.listAliases({ pageSize: 100 })).aliases,
    tags: Object.fromEntries(await Promise.all(keyIds.map(async (keyId) => [keyId, (await kms.listResourceTags({ keyId })).tags] as const))),
  }
  await kms.close()
  const records = await dumpStorage(storage)
  await storage.close()
  return {
    about: 'Strongroom golden keystore v1: made by packages/core/test/golden/generate.ts, read by golden.test.ts. Never edit by hand.',
    formatVersion: 3,
    seed: GOLDEN_SEED,
    start: GOLDEN_START,
    rootKeyHex: hex(goldenRootKeyBytes()),
    records,
    vectors,
    metadata,
    formatVectors: buildFormatVectors(),
  }
}

async function main(): Promise<void> {
  const force = process.argv.includes('--force')
  if (existsSync(GOLDEN_FILE) && !force) {
    console.error(`${GOLDEN_FILE} exists. Golden vectors pin the data format of every release and are not regenerated ` +
      'casually; pass --force only for a deliberate format change.')
    process.exitCode = 1
    return
  }
  const golden = await buildGoldenKeystore()
  writeFileSync(GOLDEN_FILE, JSON.stringify(golden, null, 2) + '\n')
  console.log(`wrote ${GOLDEN_FILE}: ${golden.records.length} records, ${golden.vectors.length} vectors, ${golden.formatVectors.length} format vectors`)
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
}
