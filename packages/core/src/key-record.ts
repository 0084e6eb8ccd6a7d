/**
 * The key record: one stored record per customer master key (CMK), holding its metadata
 * and a list of versions whose material is wrapped under the root key. Version pointers
 * and state fields are checked together by one invariant function, and every change is
 * checked by one transition function (Vault's keysutil/policy.go model): versions are
 * only appended, the primary pointer only moves forward, and protection switches only as
 * the rules allow.
 *
 * ```ts
 * const record = decodeKeyRecord(bytes)   // upgrades older schema shapes on read
 * assertKeyRecord(record)                 // throws CorruptRecord when inconsistent
 * ```
 */
import { utf8Decode, utf8Encode } from './bytes.js'
import { DAY_MS } from './clock.js'
import { KmsError } from './errors.js'
import type { PolicyDocument } from './policy.js'

export const KEY_RECORD_SCHEMA = 1

export type KeyState = 'Enabled' | 'Disabled' | 'PendingDeletion' | 'PendingImport'
export const KEY_STATES: readonly KeyState[] = ['Enabled', 'Disabled', 'PendingDeletion', 'PendingImport']

/**
 * Key specs, named as in the reference model: symmetric AES keys for encrypt/decrypt and
 * data keys, asymmetric key pairs (RSA for encryption or signing; P-256, P-384, P-521,
 * secp256k1 and Ed25519 for signing), and HMAC keys for MACs. The reference model has no
 * name for P-384, P-521 or HMAC-SHA-224 keys (AWS KMS has them: ECC_NIST_P384/P521,
 * HMAC_224); EC_P384, EC_P521 and HMAC_SHA_224 follow its naming. Specs added later are
 * appended, so the lists keep the order stored keystores and seeded tests have seen.
 */
export type SymmetricKeySpec = 'Aliyun_AES_256' | 'Aliyun_AES_128'
export type AsymmetricKeySpec = 'EC_P256' | 'EC_P256K' | 'ED25519' | 'RSA_2048' | 'RSA_3072' | 'RSA_4096' | 'EC_P384' | 'EC_P521'
export type HmacKeySpec = 'HMAC_SHA_256' | 'HMAC_SHA_384' | 'HMAC_SHA_512' | 'HMAC_SHA_224'
export type KeySpec = SymmetricKeySpec | AsymmetricKeySpec | HmacKeySpec
export const SYMMETRIC_KEY_SPECS: readonly SymmetricKeySpec[] = ['Aliyun_AES_256', 'Aliyun_AES_128']
export const ASYMMETRIC_KEY_SPECS: readonly AsymmetricKeySpec[] = [
  'EC_P256', 'EC_P256K', 'ED25519', 'RSA_2048', 'RSA_3072', 'RSA_4096', 'EC_P384', 'EC_P521',
]
export const HMAC_KEY_SPECS: readonly HmacKeySpec[] = ['HMAC_SHA_256', 'HMAC_SHA_384', 'HMAC_SHA_512', 'HMAC_SHA_224']
export const KEY_SPECS: readonly KeySpec[] = [...SYMMETRIC_KEY_SPECS, ...ASYMMETRIC_KEY_SPECS, ...HMAC_KEY_SPECS]

/**
 * Imported HMAC material: from the hash output length to the hash's block size, AWS's
 * rule for importing HMAC key material (HMAC_224 and HMAC_256: 28 or 32 to 64 bytes;
 * HMAC_384 and HMAC_512: 48 or 64 to 128). AES material is exactly KEY_SPEC_MATERIAL_BYTES.
 */
export const HMAC_IMPORT_MAX_BYTES: Readonly<Record<HmacKeySpec, number>> = {
  HMAC_SHA_224: 64, HMAC_SHA_256: 64, HMAC_SHA_384: 128, HMAC_SHA_512: 128,
}

/** Bytes of generated material for symmetric and HMAC specs (HMAC keys as long as the hash output). */
export const KEY_SPEC_MATERIAL_BYTES: Readonly<Record<SymmetricKeySpec | HmacKeySpec, number>> = {
  Aliyun_AES_256: 32, Aliyun_AES_128: 16, HMAC_SHA_224: 28, HMAC_SHA_256: 32, HMAC_SHA_384: 48, HMAC_SHA_512: 64,
}

export type KeyUsage = 'ENCRYPT/DECRYPT' | 'SIGN/VERIFY' | 'GENERATE/VERIFY_MAC'
export const KEY_USAGES: readonly KeyUsage[] = ['ENCRYPT/DECRYPT', 'SIGN/VERIFY', 'GENERATE/VERIFY_MAC']

/** The usages each spec allows; the first is the default when createKey names none. */
export const KEY_SPEC_USAGES: Readonly<Record<KeySpec, readonly KeyUsage[]>> = {
  Aliyun_AES_256: ['ENCRYPT/DECRYPT'], Aliyun_AES_128: ['ENCRYPT/DECRYPT'],
  RSA_2048: ['ENCRYPT/DECRYPT', 'SIGN/VERIFY'], RSA_3072: ['ENCRYPT/DECRYPT', 'SIGN/VERIFY'], RSA_4096: ['ENCRYPT/DECRYPT', 'SIGN/VERIFY'],
  EC_P256: ['SIGN/VERIFY'], EC_P256K: ['SIGN/VERIFY'], ED25519: ['SIGN/VERIFY'], EC_P384: ['SIGN/VERIFY'], EC_P521: ['SIGN/VERIFY'],
  HMAC_SHA_224: ['GENERATE/VERIFY_MAC'], HMAC_SHA_256: ['GENERATE/VERIFY_MAC'], HMAC_SHA_384: ['GENERATE/VERIFY_MAC'], HMAC_SHA_512: ['GENERATE/VERIFY_MAC'],
}

export function isSymmetricSpec(spec: KeySpec): spec is SymmetricKeySpec {
  return (SYMMETRIC_KEY_SPECS as readonly string[]).includes(spec)
}

export function isAsymmetricSpec(spec: KeySpec): spec is AsymmetricKeySpec {
  return (ASYMMETRIC_KEY_SPECS as readonly string[]).includes(spec)
}

export function isHmacSpec(spec: KeySpec): spec is HmacKeySpec {
  return (HMAC_KEY_SPECS as readonly string[]).includes(spec)
}

/** `Aliyun_KMS`: material generated here. `EXTERNAL`: material imported by the owner (BYOK). */
export type KeyOrigin = 'Aliyun_KMS' | 'EXTERNAL'
export const KEY_ORIGINS: readonly KeyOrigin[] = ['Aliyun_KMS', 'EXTERNAL']

export const MIN_ROTATION_INTERVAL_MS = 7 * DAY_MS
export const MAX_ROTATION_INTERVAL_MS = 365 * DAY_MS
export const MIN_PENDING_WINDOW_DAYS = 7
export const MAX_PENDING_WINDOW_DAYS = 366
/**
 * Tags per key: AWS's limit (50). The reference model documents at most 20 tags per
 * TagResources request and no lower per-key limit, so the larger AWS limit contradicts
 * nothing it documents; the Alibaba protocol keeps its 20-per-request cap. Tag keys are
 * 1–128 characters and values 0–256 (operations/params.ts), as both document.
 */
export const MAX_TAGS_PER_KEY = 50
export const MAX_ALIASES_PER_KEY = 50
export const MAX_VERSIONS_PER_KEY = 1000

export interface KeyVersionRecord {
  readonly keyVersionId: string
  /** Epoch ms. */
  readonly creationDate: number
  /**
   * Root-key-wrapped material, base64 (see root-key.ts for the wrapping format): the key
   * bytes for symmetric and HMAC specs, the PKCS#8 private key for asymmetric specs.
   */
  readonly wrappedMaterial: string
  /** Asymmetric specs: the SubjectPublicKeyInfo (DER, base64), public by nature. */
  readonly publicKey?: string
  /**
   * What made the version when a rotation did: `manual` (createKeyVersion, AWS's on-demand
   * rotation) or `automatic` (the rotation schedule). Absent on a key's first version, on
   * imported material, and on versions stored before the engine recorded it (unknown).
   */
  readonly rotation?: VersionRotation
}

export type VersionRotation = 'manual' | 'automatic'

export interface KeyRecord {
  readonly schema: typeof KEY_RECORD_SCHEMA
  readonly keyId: string
  readonly region: string
  readonly account: string
  readonly description: string
  readonly keySpec: KeySpec
  readonly keyUsage: KeyUsage
  readonly origin: KeyOrigin
  readonly keyState: KeyState
  readonly creationDate: number
  /** Set exactly when keyState is PendingDeletion: the moment the key is purged. */
  readonly deleteDate?: number
  readonly deletionProtection: boolean
  readonly deletionProtectionDescription?: string
  /** Automatic rotation interval in ms, when automatic rotation is enabled. */
  readonly rotationIntervalMs?: number
  /** Creation time of the newest version made by rotation (manual or automatic). */
  readonly lastRotationDate?: number
  readonly tags: Readonly<Record<string, string>>
  /** Alias names pointing at this key, sorted. The alias records are the source of truth for lookups. */
  readonly aliases: readonly string[]
  /** Oldest first; the last one is the primary version. Empty only in PendingImport. */
  readonly versions: readonly KeyVersionRecord[]
  /** The key policy (validated when set), evaluated with the caller's identity policies. */
  readonly keyPolicy?: PolicyDocument
  /** The key policy exactly as it was given, when given as JSON text (what AWS's GetKeyPolicy answers). */
  readonly keyPolicyText?: string
  /**
   * EXTERNAL keys: the one version id their material is always imported as (fixed at the
   * first import, so ciphertexts stay decryptable after material is deleted and re-imported),
   * and a keyed fingerprint of that material, so different material is refused.
   */
  readonly importedVersionId?: string
  readonly importedMaterialFingerprint?: string
  /** EXTERNAL keys: when the imported material expires (epoch ms) and the key returns to PendingImport. */
  readonly materialExpireTime?: number
}

export function primaryVersion(record: KeyRecord): KeyVersionRecord | undefined {
  return record.versions[record.versions.length - 1]
}

/** When automatic rotation next falls due, if it is enabled. */
export function nextRotationDate(record: KeyRecord): number | undefined {
  if (record.rotationIntervalMs === undefined) return undefined
  const last = primaryVersion(record)
  if (last === undefined) return undefined
  return last.creationDate + record.rotationIntervalMs
}

function corrupt(keyId: string, why: string): KmsError {
  return new KmsError('CorruptRecord', `key record ${keyId} is inconsistent: ${why}`)
}

/** The invariant every stored key record satisfies; throws CorruptRecord naming the broken rule. */
export function assertKeyRecord(r: KeyRecord): void {
  const id = r.keyId
  if (r.schema !== KEY_RECORD_SCHEMA) throw corrupt(id, 'unknown schema')
  if (!KEY_STATES.includes(r.keyState)) throw corrupt(id, 'unknown key state')
  if (!KEY_SPECS.includes(r.keySpec)) throw corrupt(id, 'unknown key spec')
  if (!KEY_SPEC_USAGES[r.keySpec].includes(r.keyUsage)) throw corrupt(id, 'key usage does not fit the key spec')
  for (const v of r.versions) {
    if (isAsymmetricSpec(r.keySpec) !== (v.publicKey !== undefined)) throw corrupt(id, 'asymmetric versions carry a public key, others none')
    if (v.rotation !== undefined && v.rotation !== 'manual' && v.rotation !== 'automatic') throw corrupt(id, 'unknown version rotation')
  }
  if (r.origin === 'EXTERNAL' && r.versions.length > 1) throw corrupt(id, 'an imported key has one version')
  if (r.origin === 'EXTERNAL' && r.versions.length === 1 && r.versions[0]!.keyVersionId !== r.importedVersionId) {
    throw corrupt(id, 'an imported key keeps its imported version id')
  }
  if (r.materialExpireTime !== undefined && r.versions.length === 0) throw corrupt(id, 'material expiry without material')
  if ((r.keyState === 'PendingDeletion') !== (r.deleteDate !== undefined)) {
    throw corrupt(id, 'deleteDate is set exactly in PendingDeletion')
  }
  if ((r.keyState === 'Enabled' || r.keyState === 'Disabled') && r.versions.length === 0) {
    throw corrupt(id, 'an Enabled or Disabled key has key material')
  }
  if (r.keyState === 'PendingImport' && r.versions.length !== 0) throw corrupt(id, 'a PendingImport key has no material')
  if (r.origin === 'Aliyun_KMS' && r.versions.length === 0) throw corrupt(id, 'a generated key has a version')
  if (r.deletionProtection && r.keyState === 'PendingDeletion') throw corrupt(id, 'a protected key cannot be pending deletion')
  if (r.rotationIntervalMs !== undefined) {
    if (r.origin === 'EXTERNAL') throw corrupt(id, 'imported keys do not rotate automatically')
    if (r.rotationIntervalMs < MIN_ROTATION_INTERVAL_MS || r.rotationIntervalMs > MAX_ROTATION_INTERVAL_MS) {
      throw corrupt(id, 'rotation interval out of range')
    }
  }
  const seen = new Set<string>()
  let previous = -Infinity
  for (const v of r.versions) {
    if (seen.has(v.keyVersionId)) throw corrupt(id, 'duplicate version id')
    seen.add(v.keyVersionId)
    if (v.creationDate < previous) throw corrupt(id, 'versions out of creation order')
    previous = v.creationDate
  }
  if (r.versions.length > MAX_VERSIONS_PER_KEY) throw corrupt(id, 'too many versions')
  if (Object.keys(r.tags).length > MAX_TAGS_PER_KEY) throw corrupt(id, 'too many tags')
  for (let i = 1; i < r.aliases.length; i++) {
    if (!(r.aliases[i - 1]! < r.aliases[i]!)) throw corrupt(id, 'aliases not sorted and unique')
  }
}

/**
 * The allowed directions of change between two records of one key. Identity and
 * creation facts never change; versions are only appended (never removed, reordered or
 * rewritten), so the primary pointer only moves forward.
 */
export function assertKeyTransition(before: KeyRecord, after: KeyRecord): void {
  const id = before.keyId
  if (after.keyId !== id || after.keySpec !== before.keySpec || after.origin !== before.origin ||
      after.keyUsage !== before.keyUsage || after.creationDate !== before.creationDate ||
      after.region !== before.region || after.account !== before.account) {
    throw new KmsError('InternalFailure', `refused to change immutable fields of key ${id}`)
  }
  // Imported material is the one exception: it may be deleted (or expire) and be imported
  // again, always as the same version id, which the invariant above pins.
  if (before.origin === 'EXTERNAL' && (after.versions.length === 0 || before.versions.length === 0)) {
    assertKeyRecord(after)
    return
  }
  if (after.versions.length < before.versions.length) throw new KmsError('InternalFailure', `refused to drop versions of key ${id}`)
  for (let i = 0; i < before.versions.length; i++) {
    const a = before.versions[i]!
    const b = after.versions[i]!
    if (a.keyVersionId !== b.keyVersionId || a.creationDate !== b.creationDate || a.wrappedMaterial !== b.wrappedMaterial ||
        a.publicKey !== b.publicKey || a.rotation !== b.rotation) {
      throw new KmsError('InternalFailure', `refused to rewrite a version of key ${id}`)
    }
  }
  assertKeyRecord(after)
}

/** Serialises a record for storage (JSON, UTF-8). */
export function encodeKeyRecord(record: KeyRecord): Uint8Array {
  return utf8Encode(JSON.stringify(record))
}

/**
 * Reads a stored record, upgrading older shapes. Schema 1 is the first; an upgrade step
 * per schema goes here when the shape changes, so records written by any release load.
 */
export function decodeKeyRecord(bytes: Uint8Array, keyId: string): KeyRecord {
  let parsed: unknown
  try {
    parsed = JSON.parse(utf8Decode(bytes))
  } catch (cause) {
    throw new KmsError('CorruptRecord', `key record ${keyId} is not valid JSON`, { cause })
  }
  if (parsed === null || typeof parsed !== 'object') throw corrupt(keyId, 'not an object')
  const schema = (parsed as { schema?: unknown }).schema
  if (schema !== KEY_RECORD_SCHEMA) throw corrupt(keyId, `schema ${String(schema)} is newer than this release understands`)
  const record = parsed as KeyRecord
  if (record.keyId !== keyId) throw corrupt(keyId, 'stored under another id')
  assertKeyRecord(record)
  return record
}

/**
 * A new version record from freshly generated material (engine/key-access.ts) and its
 * creation date. Fix: the fields keep release 1's order (keyVersionId, creationDate, wrappedMaterial, then
 * publicKey) — spreading the material first moved creationDate last, and stored key
 * records stopped being byte-identical to golden/keystore-v1.json's seeded recipe.
 */
export function stampVersion(material: Omit<KeyVersionRecord, 'creationDate'>, creationDate: number): KeyVersionRecord {
  const { keyVersionId, ...rest } = material
  return { keyVersionId, creationDate, ...rest }
}
