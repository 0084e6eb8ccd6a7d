/**
 * The engine. `Kms.open` unlocks (or initialises) a keystore on the given storage and
 * returns an object with the reference model's operations.
 *
 * ```ts
 * const kms = await Kms.open({ storage: memoryStorage() })
 * const { keyMetadata } = await kms.createKey({ description: 'orders' })
 * const { ciphertextBlob } = await kms.encrypt({ keyId: keyMetadata.keyId, plaintext, encryptionContext: { tenant: 'acme' } })
 * const { plaintext: back } = await kms.decrypt({ ciphertextBlob, encryptionContext: { tenant: 'acme' } })
 * await kms.close()
 * ```
 *
 * Every method validates its request before touching storage, runs pure transitions
 * (transitions.ts) inside a transaction (key-store.ts), emits lifecycle events after the
 * commit, and fails with a KmsError whose code is in errors.ts.
 */
import type {
  AsymmetricEncryptionAlgorithm, CryptoProvider, HmacAlgorithm, RandomSource, SigningAlgorithm,
} from '@strongroom/crypto'
import {
  HMAC_ALGORITHMS, SIGNING_DIGEST_LENGTH, UnsupportedAlgorithmError, defaultCryptoProvider, encryptionAlgorithms, pooledRandom, publicKeyPem,
  rsaOaepMaxPlaintextLength, signingAlgorithms,
} from '@strongroom/crypto'
import type * as api from './api.js'
import { AuditTrail, type AuditOptions, type AuditPage, type AuditQuery, type AuditVerification } from './audit.js'
import { BLOB_VERSION_ID_OFFSET, blobKeyId } from './blob.js'
import { Call, OPERATIONS, type OperationName } from './call.js'
import { concatBytes, fromBase64, isUuid, toBase64, utf8Decode, utf8Encode, uuidFromBytesAt, uuidV4FromRandom, wipe } from './bytes.js'
import { DAY_MS, SECOND_MS, formatDate, systemClock, type Clock } from './clock.js'
import { encodeEncryptionContext } from './context.js'
import { KmsError } from './errors.js'
import { createEventEmitter, emitCommitted, emitSafely, type KmsEventEmitter, type PendingEvent } from './events.js'
import { SealScratch, type KeyEntry, type MaterialContext } from './key-entry.js'
import {
  KEY_ORIGINS, KEY_RECORD_SCHEMA, KEY_SPECS, KEY_SPEC_MATERIAL_BYTES, KEY_SPEC_USAGES, KEY_USAGES, isAsymmetricSpec, isSymmetricSpec,
  type AsymmetricKeySpec, type KeySpec, type SymmetricKeySpec, MAX_PENDING_WINDOW_DAYS,
  MAX_ROTATION_INTERVAL_MS, MAX_TAGS_PER_KEY, MIN_PENDING_WINDOW_DAYS, MIN_ROTATION_INTERVAL_MS, nextRotationDate,
  primaryVersion, type KeyRecord, type KeyVersionRecord,
} from './key-record.js'
import { KeyStore, storageFailure, type Transaction } from './key-store.js'
import { aliasArn, assertAliasName, isValidAccount, isValidRegion, keyArn, parseKeyReference } from './names.js'
import { encryptionContextConditions, evaluate, type PolicyAttachment } from './policy.js'
import {
  MAX_POLICIES_PER_PRINCIPAL, POLICY_PREFIX, PRINCIPAL_PREFIX, PolicyStore, ROOT_PRINCIPAL, SYSTEM_PRINCIPAL, assertPolicyName,
  assertPrincipalName, encodeRecord, type PolicyRecord,
} from './policy-store.js'
import {
  KEYSTORE_HEADER_KEY, RootKeyring, decodeKeystoreHeader, encodeKeystoreHeader, ephemeralRootKey, type RootKeyContext,
  type RootKeyProvider,
} from './root-key.js'
import { RECORD_SEAL_LABEL, RecordSealer, SealedStorage, rebuildSealHead, sealPlainRecords, type StoreVerification } from './sealed-storage.js'
import { RECORD_DIGEST_LABEL, StoreDigest } from './store-digest.js'
import type { StorageAdapter } from './storage.js'
import * as transitions from './transitions.js'
import type { KeyOperation } from './transitions.js'
import {
  booleanParam, bytesParam, integerParam, oneOf, optionalString, pageOf, pageParams, requestObject, stringParam,
} from './validate.js'

import { randomPassword } from './password.js'

/** Largest message asymmetricSign/Verify and generateMac/verifyMac take; sign longer ones by digest. */
const MAX_SIGNING_MESSAGE_BYTES = 4096
/** Import tokens live under this prefix until used or, unused, forever (they are useless after expiry). */
const IMPORT_TOKEN_PREFIX = 'import-token/'
const IMPORT_TOKEN_LIFETIME_MS = DAY_MS

/** An opened ciphertext blob: its key, version and plaintext. */
interface Opened {
  readonly entry: KeyEntry
  readonly keyVersionId: string
  readonly plaintext: Uint8Array
}

/** A caller's RSA public key to export a data key to. */
interface WrappingKey {
  readonly spki: Uint8Array
  readonly spec: AsymmetricKeySpec
  readonly algorithm: AsymmetricEncryptionAlgorithm
}

interface ImportTokenRecord {
  readonly schema: 1
  readonly keyId: string
  readonly wrappingAlgorithm: AsymmetricEncryptionAlgorithm
  readonly expiresAt: number
  /** The RSA private key, wrapped under the root key bound to the key id and the token. */
  readonly wrappedPrivateKey: string
}

/** The store's registry of regions that have keys (describeRegions); sealed like every record. */
const REGIONS_RECORD_KEY = 'meta/regions'

function decodeRegions(value: Uint8Array): string[] {
  try {
    const parsed = JSON.parse(utf8Decode(value)) as { schema?: unknown; regions?: unknown }
    if (parsed.schema === 1 && Array.isArray(parsed.regions) && parsed.regions.every((r) => typeof r === 'string' && isValidRegion(r))) return parsed.regions as string[]
  } catch {
    // reported below
  }
  throw new KmsError('CorruptRecord', 'the region registry (meta/regions) is unreadable')
}

/** The largest plaintext `encrypt` takes, as in the reference model; larger data belongs in envelope encryption. */
export const MAX_ENCRYPT_PLAINTEXT_BYTES = 6144
const MAX_DESCRIPTION_LENGTH = 8192
const MAX_DATA_KEY_BYTES = 1024

export interface KmsOptions {
  /** Where records live. The engine closes it on `close()` unless `closeStorage` is false. */
  readonly storage: StorageAdapter
  /** Wraps all key material at rest. Required for durable storage; memory storage defaults to an ephemeral key. */
  readonly rootKey?: RootKeyProvider
  /** Default: `node:crypto` on Node, the pure-JS provider elsewhere. */
  readonly crypto?: CryptoProvider
  /** Randomness for ids, material, nonces. Default: a pooled CSPRNG. Tests may pass `seededRandom(seed)`. */
  readonly random?: RandomSource
  /** Default: the system clock. Tests may pass a `ManualClock`. */
  readonly clock?: Clock
  /** The engine's region: in resource names, and the only region whose keys it sees on a shared store. Default `local`. */
  readonly region?: string
  /** Account id used in resource names. Default `000000000000`. */
  readonly accountId?: string
  /** Keys kept loaded and unwrapped (LRU). Default 1000. */
  readonly keyCacheSize?: number
  /** When set, runs `maintenance()` on this interval with a timer that never keeps the process alive. */
  readonly maintenanceIntervalMs?: number
  /** Called when a background maintenance run fails (there is no caller to throw to). */
  readonly onMaintenanceError?: (error: unknown) => void
  /** Default true: `close()` also closes the storage. */
  readonly closeStorage?: boolean
  /**
   * The audit trail (on by default): how encryption contexts are recorded, group-commit
   * limits, durability. `false` turns auditing off entirely (no records, no last-used dates).
   */
  readonly audit?: AuditOptions | false
}

/** A handler may answer synchronously (the cached hot path) or with a promise. */
type Handlers = { readonly [N in OperationName]: (call: Call, request: never) => unknown }

/** The same operations as `Kms`, bound to one principal: what `kms.as(principal)` returns. */
export type KmsClient = Pick<Kms, OperationName> & { readonly principal: string }

/** A position in the audit chain, kept outside the store to detect a later rollback. */
export interface AuditAnchor {
  readonly seq: number
  readonly hash: string
}

/** What `kms.verify()` found: the sealed records (and their freshness) and the audit trail. */
export interface KmsVerification {
  readonly ok: boolean
  readonly records: StoreVerification
  /** Absent when auditing is off. */
  readonly audit?: AuditVerification
}

/** The trail's administration, for the engine owner only. */
export interface KmsAudit {
  /** Records matching the filter, oldest first, a page at a time. */
  query(query?: AuditQuery): Promise<AuditPage>
  /** Every matching record as JSON lines (each ending in a newline), oldest first. */
  export(query?: Omit<AuditQuery, 'limit' | 'cursor'>): AsyncIterable<string>
  /**
   * Recomputes the chain against its MAC'd head and reports the first problem and where.
   * A rollback (newer records deleted and an older head put back) is caught against the
   * newest position this engine committed or verified, or against an `anchor` you kept.
   */
  verify(options?: { readonly anchor?: AuditAnchor }): Promise<AuditVerification>
  /** The chain's current end (sequence number and hash), to keep outside the store for `verify({ anchor })`. */
  anchor(): Promise<AuditAnchor>
  /** Deletes records older than `before` (whole commits at a time); the rest still verifies. */
  prune(options: { readonly before: number | string | Date }): Promise<{ readonly removed: number }>
  /**
   * The explicit operator action after the engine refused to extend a head that failed its
   * check (forged, edited, deleted, rolled back): writes a new MAC'd head over the chain as
   * stored, if the chain itself is intact, and records the act (`ResealAuditTrail`). Calls
   * are accepted again afterwards. Run `verify()` first and keep its report.
   */
  reseal(): Promise<{ readonly lastSeq: number }>
  /** Commits every pending record now. */
  flush(): Promise<void>
}

function keyNotFound(keyId: string): KmsError {
  return new KmsError('Forbidden.KeyNotFound', `key ${keyId} does not exist`)
}

function invalidCiphertext(): KmsError {
  return new KmsError('InvalidCiphertext')
}

/** `7d`, `168h`, `10080m`, `604800s` or a number of seconds, within 7-365 days. */
function rotationIntervalParam(value: unknown): number {
  let ms: number
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new KmsError('InvalidParameter', 'rotationInterval must be a whole number of seconds')
    ms = value * SECOND_MS
  } else if (typeof value === 'string') {
    const match = /^([1-9][0-9]{0,9})([dhms])$/.exec(value)
    if (match === null) throw new KmsError('InvalidParameter', 'rotationInterval must look like 7d, 168h, 10080m or 604800s')
    const unit = { d: DAY_MS, h: 3_600_000, m: 60_000, s: SECOND_MS }[match[2] as 'd' | 'h' | 'm' | 's']
    ms = Number(match[1]) * unit
  } else if (value === undefined) {
    throw new KmsError('InvalidParameter', 'rotationInterval is required when automatic rotation is enabled')
  } else {
    throw new TypeError('rotationInterval must be a string or a number of seconds')
  }
  if (ms < MIN_ROTATION_INTERVAL_MS || ms > MAX_ROTATION_INTERVAL_MS) {
    throw new KmsError('InvalidParameter', 'rotationInterval must be from 7 to 365 days')
  }
  return ms
}

const RESERVED_TAG_PREFIXES = ['acs:', 'aliyun']

function tagsParam(value: unknown): Record<string, string> {
  if (!Array.isArray(value)) throw new TypeError('tags must be an array of { tagKey, tagValue }')
  if (value.length === 0 || value.length > MAX_TAGS_PER_KEY) {
    throw new KmsError('InvalidParameter', `tags must hold 1-${MAX_TAGS_PER_KEY} entries`)
  }
  const tags: Record<string, string> = {}
  for (const tag of value as unknown[]) {
    if (tag === null || typeof tag !== 'object') throw new TypeError('each tag must be { tagKey, tagValue }')
    const { tagKey, tagValue } = tag as { tagKey?: unknown; tagValue?: unknown }
    const k = stringParam(tagKey, 'tagKey', 1, 128)
    const v = stringParam(tagValue, 'tagValue', 0, 256)
    if (RESERVED_TAG_PREFIXES.some((p) => k.toLowerCase().startsWith(p))) {
      throw new KmsError('InvalidParameter', 'tag keys starting with acs: or aliyun are reserved')
    }
    if (Object.hasOwn(tags, k)) throw new KmsError('InvalidParameter', `tag key "${k}" appears twice`)
    tags[k] = v
  }
  return tags
}

/**
 * A new version record from #generateMaterial's output and its creation date. Fix: the
 * fields keep release 1's order (keyVersionId, creationDate, wrappedMaterial, then
 * publicKey) — spreading the material first moved creationDate last, and stored key
 * records stopped being byte-identical to golden/keystore-v1.json's seeded recipe.
 */
function stampVersion(material: Omit<KeyVersionRecord, 'creationDate'>, creationDate: number): KeyVersionRecord {
  const { keyVersionId, ...rest } = material
  return { keyVersionId, creationDate, ...rest }
}

/**
 * The version id imported material always has: derived from the key id (the first 16 bytes
 * of SHA-256 over a label and the id, shaped as a UUIDv4), never drawn at random. Fix: with
 * a random id, the same material imported into the same chosen key id in another engine
 * became another version, and ciphertexts (which name key and version) did not open there,
 * which is the point of BYOK into a fixed id for deterministic tests. Not a secret: a
 * version id is public, and this one says nothing about the material.
 */
function importedVersionId(crypto: CryptoProvider, keyId: string): string {
  return uuidV4FromRandom(crypto.sha256(utf8Encode(`strongroom/imported-version/v1\u0000${keyId}`)).slice(0, 16))
}

export class Kms {
  /** Lifecycle events; see events.ts. */
  readonly events: KmsEventEmitter
  readonly region: string
  readonly accountId: string
  readonly #storage: SealedStorage
  readonly #keys: KeyStore
  readonly #material: MaterialContext
  readonly #random: RandomSource
  readonly #clock: Clock
  readonly #closeStorage: boolean
  readonly #requestIdPrefix: string
  #requestCounter = 0
  /** This engine's region is known to be in the store's region registry. */
  #regionRegistered = false
  #timer: ReturnType<typeof setInterval> | undefined
  #closed = false
  readonly #policies: PolicyStore
  readonly #handlers: Handlers
  readonly #audit: AuditTrail | undefined
  readonly #auditSync: boolean
  readonly #auditMaxPending: number
  readonly #auditIntervalMs: number
  #auditTimer: ReturnType<typeof setTimeout> | undefined
  #auditFlushing: Promise<void> | undefined
  /** Set when a flush failed: the engine refuses calls until a flush succeeds (fail closed). */
  #auditFailure: unknown
  /** Calls under way in #run; close() waits for them so that their records make the last flush. */
  #running = 0
  #idle: (() => void) | undefined
  /** The trail's administration (query, export, verify, prune, flush); owner only. */
  readonly audit: KmsAudit

  private constructor(
    options: KmsOptions, storage: SealedStorage, keyring: RootKeyring, crypto: CryptoProvider, random: RandomSource, clock: Clock,
    region: string, accountId: string,
  ) {
    this.events = createEventEmitter()
    this.region = region
    this.accountId = accountId
    this.#storage = storage
    this.#keys = new KeyStore(storage, { cacheSize: options.keyCacheSize ?? 1000 })
    this.#material = { crypto, random, keyring, scratch: new SealScratch() }
    this.#requestIdPrefix = uuidV4FromRandom(random.fill(new Uint8Array(16))).slice(0, 24)
    this.#random = random
    this.#clock = clock
    this.#closeStorage = options.closeStorage ?? true
    this.#policies = new PolicyStore(storage, this.#keys)
    this.#handlers = this.#operationHandlers()
    const auditOptions = options.audit === false ? undefined : options.audit ?? {}
    this.#auditSync = auditOptions?.durability === 'sync'
    this.#auditMaxPending = auditOptions?.maxPendingRecords ?? 1024
    this.#auditIntervalMs = auditOptions?.flushIntervalMs ?? 100
    if (auditOptions !== undefined) {
      const eventIdPrefix = uuidV4FromRandom(random.fill(new Uint8Array(16))).slice(0, 24)
      let eventCounter = 0
      const audit = new AuditTrail({
        storage, crypto,
        macKey: keyring.deriveKey('audit/mac/v1'), contextKey: keyring.deriveKey('audit/context/v1'),
        region, accountId, settings: auditOptions,
        newEventId: () => eventIdPrefix + (eventCounter = (eventCounter + 1) % 2 ** 48).toString(16).padStart(12, '0'),
        emit: (record) => emitSafely(this.events, 'audit', record),
        listening: () => this.events.listenerCount('audit') > 0,
      })
      this.#audit = audit
      this.#keys.setParticipant(audit)
    }
    this.audit = {
      // Async, so that a refusal (audit: false, engine closed) is a rejected promise, not a synchronous throw.
      query: async (query = {}) => this.#auditAdmin().query(query, () => this.#flushAudit()),
      export: (query = {}) => this.#exportAudit(query),
      verify: async (options = {}) => this.#auditAdmin().verify(() => this.#flushAudit(), options.anchor),
      anchor: async () => this.#auditAdmin().anchor(() => this.#flushAudit()),
      prune: (options) => this.#pruneAudit(options),
      reseal: () => this.#resealAudit(),
      flush: () => this.#flushAudit(),
    }
    if (options.maintenanceIntervalMs !== undefined) {
      const onError = options.onMaintenanceError
      let running = false
      this.#timer = setInterval(() => {
        // One run at a time: with slow storage, runs would otherwise pile up (each scanning every key).
        if (running) return
        running = true
        this.maintenance().catch((error: unknown) => onError?.(error)).finally(() => {
          running = false
        })
      }, options.maintenanceIntervalMs)
      // An embedded engine must never be the reason a process stays alive.
      ;(this.#timer as { unref?: () => void }).unref?.()
    }
  }

  /**
   * Opens an engine on `storage`: unlocks the keystore with `rootKey`, or initialises the
   * store on first use. A wrong root key fails with RootKeyMismatch and writes nothing.
   */
  static async open(options: KmsOptions): Promise<Kms> {
    requestObject(options, 'Kms.open')
    const { storage } = options
    if (storage === null || typeof storage !== 'object' || typeof storage.commit !== 'function') {
      throw new TypeError('Kms.open needs a storage adapter (e.g. memoryStorage())')
    }
    try {
      return await Kms.#openOn(storage, options)
    } catch (error) {
      // The engine was handed the storage: a failed open must not leave it (and a LevelDB
      // lock) held. The open error is the one the caller needs; a close error would hide it.
      if (options.closeStorage ?? true) await storage.close().catch(() => undefined)
      throw error
    }
  }

  static async #openOn(storage: StorageAdapter, options: KmsOptions): Promise<Kms> {
    const region = options.region ?? 'local'
    const accountId = options.accountId ?? '000000000000'
    if (!isValidRegion(region)) throw new KmsError('InvalidParameter', 'region must be lower-case letters, digits and dashes')
    if (!isValidAccount(accountId)) throw new KmsError('InvalidParameter', 'accountId must be 1-64 letters, digits, _ or -')
    if (options.keyCacheSize !== undefined) integerParam(options.keyCacheSize, 'keyCacheSize', 1, 10_000_000)
    if (options.maintenanceIntervalMs !== undefined) integerParam(options.maintenanceIntervalMs, 'maintenanceIntervalMs', 1, 2 ** 31 - 1)
    if (options.audit !== undefined && options.audit !== false) {
      const a = requestObject(options.audit, 'audit options')
      if (a.encryptionContext !== undefined) oneOf(a.encryptionContext, 'audit.encryptionContext', ['plain', 'hmac', 'omit'])
      if (a.durability !== undefined) oneOf(a.durability, 'audit.durability', ['group', 'sync'])
      if (a.flushIntervalMs !== undefined) integerParam(a.flushIntervalMs, 'audit.flushIntervalMs', 1, 60_000)
      if (a.maxPendingRecords !== undefined) integerParam(a.maxPendingRecords, 'audit.maxPendingRecords', 1, 1_000_000)
    }
    const crypto = options.crypto ?? defaultCryptoProvider()
    const random = options.random ?? pooledRandom(crypto)
    const clock = options.clock ?? systemClock
    const rootKey = options.rootKey ?? (storage.manifest.durable ? undefined : ephemeralRootKey())
    if (rootKey === undefined) {
      throw new KmsError('InvalidParameter', `${storage.manifest.name} storage is durable: pass a rootKey (e.g. passphraseRootKey) so key material can be wrapped and recovered`)
    }
    if (!rootKey.persistent && storage.manifest.durable) {
      throw new KmsError('InvalidParameter', 'an ephemeral root key on durable storage would make every key unrecoverable after close')
    }
    const keyring = await Kms.#unlock(storage, rootKey, { crypto, random }, clock)
    // Everything the engine reads and writes from here on goes through the barrier.
    const sealed = new SealedStorage(storage, Kms.#sealer(keyring, crypto, random), new StoreDigest(crypto, keyring.deriveKey(RECORD_DIGEST_LABEL)))
    return new Kms(options, sealed, keyring, crypto, random, clock, region, accountId)
  }

  static #sealer(keyring: RootKeyring, crypto: CryptoProvider, random: RandomSource): RecordSealer {
    return new RecordSealer(crypto, random, keyring.deriveKey(RECORD_SEAL_LABEL))
  }

  /**
   * Reads the keystore header and unlocks it, or initialises a new keystore. A store that
   * holds records but no header is never initialised afresh (that would let anyone "open"
   * it with a root key of their own). A first-release store (schema-1 header, plain
   * records) is upgraded in place before the engine uses it.
   */
  static async #unlock(storage: StorageAdapter, rootKey: RootKeyProvider, context: RootKeyContext, clock: Clock): Promise<RootKeyring> {
    const read = <T>(work: Promise<T>): Promise<T> => work.catch((error: unknown) => {
      throw storageFailure(error)
    })
    for (let attempt = 0; attempt < 3; attempt++) {
      const stored = await read(storage.get(KEYSTORE_HEADER_KEY))
      const header = stored === undefined ? undefined : decodeKeystoreHeader(stored.value)
      if (header === undefined && (await read(storage.scan({ prefix: '', limit: 1 }))).records.length > 0) {
        // Another engine may have initialised the store between the two reads: look again before refusing.
        if ((await read(storage.get(KEYSTORE_HEADER_KEY))) !== undefined) continue
        throw new KmsError('CorruptRecord', 'the store holds records but no keystore header: it was removed or the store is not a keystore; refusing to initialise it afresh')
      }
      const { keyring, newHeader } = await RootKeyring.open(rootKey, header, context, clock.now())
      try {
        if (newHeader !== undefined) {
          await storage.commit([{ type: 'put', key: KEYSTORE_HEADER_KEY, value: encodeKeystoreHeader(newHeader), expectedRevision: null }])
        } else if (header!.schema === 1) {
          const sealer = Kms.#sealer(keyring, context.crypto, context.random)
          const digest = new StoreDigest(context.crypto, keyring.deriveKey(RECORD_DIGEST_LABEL))
          try {
            await sealPlainRecords(storage, sealer)
            await rebuildSealHead(storage, sealer, digest)
          } finally {
            sealer.wipe()
            digest.wipe()
          }
          const upgraded = keyring.upgradedHeader(header!)
          await storage.commit([{ type: 'put', key: KEYSTORE_HEADER_KEY, value: encodeKeystoreHeader(upgraded), expectedRevision: stored!.revision }])
        }
      } catch (error) {
        keyring.wipe()
        // Another engine initialised or upgraded the store at the same moment: unlock its header instead.
        if (KmsError.is(error, 'Conflict')) continue
        throw storageFailure(error)
      }
      return keyring
    }
    throw new KmsError('Conflict', 'the keystore header kept changing while opening')
  }

  // ---------------------------------------------------------------- the API (as the owner, root)

  /** Creates a customer master key (CMK); `origin: 'EXTERNAL'` makes one awaiting imported material. */
  createKey(request: api.CreateKeyRequest = {}): Promise<api.KeyMetadataResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'createKey', request)
  }

  /** The key's metadata, with `lastUsedDate` from the audit trail. */
  describeKey(request: api.KeyRequest): Promise<api.KeyMetadataResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'describeKey', request)
  }

  /** Keys in id order; keys whose pending window has ended are purged, not listed. */
  listKeys(request: api.Paging = {}): Promise<api.ListKeysResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'listKeys', request)
  }

  updateKeyDescription(request: api.UpdateKeyDescriptionRequest): Promise<api.KmsResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'updateKeyDescription', request)
  }

  enableKey(request: api.KeyRequest): Promise<api.KmsResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'enableKey', request)
  }

  /** Disabled keys refuse every cryptographic operation until enabled again. */
  disableKey(request: api.KeyRequest): Promise<api.KmsResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'disableKey', request)
  }

  /** Purges the key after `pendingWindowInDays` (7-366) unless cancelled; until then it cannot be used. */
  scheduleKeyDeletion(request: api.ScheduleKeyDeletionRequest): Promise<api.KmsResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'scheduleKeyDeletion', request)
  }

  cancelKeyDeletion(request: api.KeyRequest): Promise<api.KmsResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'cancelKeyDeletion', request)
  }

  setDeletionProtection(request: api.SetDeletionProtectionRequest): Promise<api.KmsResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'setDeletionProtection', request)
  }

  /** Needs no permission, as in the reference model. */
  describeRegions(): Promise<api.DescribeRegionsResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'describeRegions', undefined)
  }

  /** Encrypts up to 6 KiB under the key's primary version, bound to the encryption context. */
  encrypt(request: api.EncryptRequest): Promise<api.EncryptResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'encrypt', request)
  }

  /** Needs only the blob and the same encryption context; any mismatch is InvalidCiphertext. */
  decrypt(request: api.DecryptRequest): Promise<api.DecryptResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'decrypt', request)
  }

  /** Moves a ciphertext to another key (or context) without the plaintext leaving the engine. */
  reEncrypt(request: api.ReEncryptRequest): Promise<api.ReEncryptResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'reEncrypt', request)
  }

  /** A data key in the clear and wrapped under the key, for envelope encryption. */
  generateDataKey(request: api.GenerateDataKeyRequest): Promise<api.GenerateDataKeyResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'generateDataKey', request)
  }

  generateDataKeyWithoutPlaintext(request: api.GenerateDataKeyRequest): Promise<api.EncryptResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'generateDataKeyWithoutPlaintext', request)
  }

  /** Rotates now: a new primary version; older versions still decrypt. */
  createKeyVersion(request: api.KeyRequest): Promise<api.KeyVersionResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'createKeyVersion', request)
  }

  listKeyVersions(request: api.ListKeyVersionsRequest): Promise<api.ListKeyVersionsResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'listKeyVersions', request)
  }

  describeKeyVersion(request: api.DescribeKeyVersionRequest): Promise<api.KeyVersionResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'describeKeyVersion', request)
  }

  updateRotationPolicy(request: api.UpdateRotationPolicyRequest): Promise<api.KmsResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'updateRotationPolicy', request)
  }

  createAlias(request: api.AliasTargetRequest): Promise<api.KmsResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'createAlias', request)
  }

  updateAlias(request: api.AliasTargetRequest): Promise<api.KmsResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'updateAlias', request)
  }

  deleteAlias(request: api.AliasRequest): Promise<api.KmsResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'deleteAlias', request)
  }

  listAliases(request: api.Paging = {}): Promise<api.ListAliasesResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'listAliases', request)
  }

  listAliasesByKeyId(request: api.ListAliasesByKeyIdRequest): Promise<api.ListAliasesResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'listAliasesByKeyId', request)
  }

  tagResource(request: api.TagResourceRequest): Promise<api.KmsResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'tagResource', request)
  }

  untagResource(request: api.UntagResourceRequest): Promise<api.KmsResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'untagResource', request)
  }

  listResourceTags(request: api.KeyRequest): Promise<api.ListResourceTagsResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'listResourceTags', request)
  }

  /** Sets the key policy, evaluated together with the caller's identity policies. */
  setKeyPolicy(request: api.SetKeyPolicyRequest): Promise<api.KmsResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'setKeyPolicy', request)
  }

  getKeyPolicy(request: api.KeyRequest): Promise<api.GetKeyPolicyResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'getKeyPolicy', request)
  }

  /** Stores an identity policy (validated; a malformed one is refused and nothing is stored). */
  createPolicy(request: api.PutPolicyRequest): Promise<api.PolicyResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'createPolicy', request)
  }

  updatePolicy(request: api.PutPolicyRequest): Promise<api.PolicyResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'updatePolicy', request)
  }

  getPolicy(request: api.PolicyNameRequest): Promise<api.PolicyResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'getPolicy', request)
  }

  deletePolicy(request: api.PolicyNameRequest): Promise<api.KmsResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'deletePolicy', request)
  }

  listPolicies(request: api.Paging = {}): Promise<api.ListPoliciesResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'listPolicies', request)
  }

  /** Grants a principal what the policy allows (and denies what it denies). */
  attachPolicy(request: api.PolicyAttachmentRequest): Promise<api.KmsResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'attachPolicy', request)
  }

  detachPolicy(request: api.PolicyAttachmentRequest): Promise<api.KmsResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'detachPolicy', request)
  }

  listPoliciesForPrincipal(request: api.PrincipalRequest): Promise<api.ListPoliciesResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'listPoliciesForPrincipal', request)
  }

  /** Signs a digest (SHA-256, the reference model's input) or a message with an asymmetric SIGN/VERIFY key. */
  asymmetricSign(request: api.AsymmetricSignRequest): Promise<api.AsymmetricSignResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'asymmetricSign', request)
  }

  asymmetricVerify(request: api.AsymmetricVerifyRequest): Promise<api.AsymmetricVerifyResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'asymmetricVerify', request)
  }

  /** RSA-OAEP under an RSA ENCRYPT/DECRYPT key; standard ciphertext any RSA tool can produce from the public key. */
  asymmetricEncrypt(request: api.AsymmetricEncryptRequest): Promise<api.AsymmetricEncryptResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'asymmetricEncrypt', request)
  }

  asymmetricDecrypt(request: api.AsymmetricDecryptRequest): Promise<api.AsymmetricDecryptResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'asymmetricDecrypt', request)
  }

  /** The public key of an asymmetric key version, as PEM and as SubjectPublicKeyInfo DER. */
  getPublicKey(request: api.GetPublicKeyRequest): Promise<api.GetPublicKeyResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'getPublicKey', request)
  }

  generateMac(request: api.GenerateMacRequest): Promise<api.GenerateMacResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'generateMac', request)
  }

  /** Constant-time check of a MAC, under any version of the key unless one is named. */
  verifyMac(request: api.VerifyMacRequest): Promise<api.VerifyMacResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'verifyMac', request)
  }

  /** Hands a data key to the holder of an RSA public key without exposing it to the caller. */
  exportDataKey(request: api.ExportDataKeyRequest): Promise<api.ExportDataKeyResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'exportDataKey', request)
  }

  generateAndExportDataKey(request: api.GenerateAndExportDataKeyRequest): Promise<api.GenerateAndExportDataKeyResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'generateAndExportDataKey', request)
  }

  /** 1-1024 random bytes from the engine's CSPRNG. */
  generateRandom(request: api.GenerateRandomRequest): Promise<api.GenerateRandomResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'generateRandom', request)
  }

  getRandomPassword(request: api.GetRandomPasswordRequest = {}): Promise<api.GetRandomPasswordResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'getRandomPassword', request)
  }

  /** BYOK: a wrapping public key and a 24-hour import token for an EXTERNAL key. */
  getParametersForImport(request: api.GetParametersForImportRequest): Promise<api.GetParametersForImportResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'getParametersForImport', request)
  }

  importKeyMaterial(request: api.ImportKeyMaterialRequest): Promise<api.KmsResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'importKeyMaterial', request)
  }

  deleteKeyMaterial(request: api.KeyRequest): Promise<api.KmsResponse> {
    return this.#invoke(ROOT_PRINCIPAL, 'deleteKeyMaterial', request)
  }

  /**
   * A client with this engine's API, bound to `principal`: every call is authorized against
   * the principal's identity policies and the key's policy (least privilege), and audited
   * under its name. The owner (calls on `kms` itself) is never restricted.
   */
  as(principal: string): KmsClient {
    this.#assertOpen()
    assertPrincipalName(principal)
    const client: Record<string, unknown> = { principal }
    for (const name of Object.keys(OPERATIONS) as OperationName[]) {
      client[name] = (request?: unknown) => this.#invoke(principal, name, request)
    }
    return Object.freeze(client) as KmsClient
  }

  // ---------------------------------------------------------------- calls, authorization, audit

  #assertOpen(): void {
    if (this.#closed) throw new KmsError('Closed', 'the engine is closed')
  }

  /**
   * Request ids only need to be unique, not secret: a random per-engine UUID prefix and a
   * counter in the last 48 bits, instead of 16 fresh random bytes per call.
   */
  #requestId(): string {
    const counter = (this.#requestCounter = (this.#requestCounter + 1) % 2 ** 48)
    return this.#requestIdPrefix + counter.toString(16).padStart(12, '0')
  }

  #newId(): string {
    return uuidV4FromRandom(this.#random.fill(new Uint8Array(16)))
  }

  /** Every operation's handler, by name; `Kms` methods and `as()` clients both dispatch through it. */
  #operationHandlers(): Handlers {
    return {
      createKey: (c, r) => this.#createKey(c, r), describeKey: (c, r) => this.#describeKey(c, r),
      listKeys: (c, r) => this.#listKeys(c, r), updateKeyDescription: (c, r) => this.#updateKeyDescription(c, r),
      enableKey: (c, r) => this.#enableKey(c, r), disableKey: (c, r) => this.#disableKey(c, r),
      scheduleKeyDeletion: (c, r) => this.#scheduleKeyDeletion(c, r), cancelKeyDeletion: (c, r) => this.#cancelKeyDeletion(c, r),
      setDeletionProtection: (c, r) => this.#setDeletionProtection(c, r), describeRegions: (c) => this.#describeRegions(c),
      encrypt: (c, r) => this.#encrypt(c, r), decrypt: (c, r) => this.#decrypt(c, r), reEncrypt: (c, r) => this.#reEncrypt(c, r),
      generateDataKey: (c, r) => this.#generateDataKey(c, r),
      generateDataKeyWithoutPlaintext: (c, r) => this.#generateDataKeyWithoutPlaintext(c, r),
      createKeyVersion: (c, r) => this.#createKeyVersion(c, r), listKeyVersions: (c, r) => this.#listKeyVersions(c, r),
      describeKeyVersion: (c, r) => this.#describeKeyVersion(c, r), updateRotationPolicy: (c, r) => this.#updateRotationPolicy(c, r),
      createAlias: (c, r) => this.#createAlias(c, r), updateAlias: (c, r) => this.#updateAlias(c, r),
      deleteAlias: (c, r) => this.#deleteAlias(c, r), listAliases: (c, r) => this.#listAliases(c, r),
      listAliasesByKeyId: (c, r) => this.#listAliasesByKeyId(c, r), tagResource: (c, r) => this.#tagResource(c, r),
      untagResource: (c, r) => this.#untagResource(c, r), listResourceTags: (c, r) => this.#listResourceTags(c, r),
      setKeyPolicy: (c, r) => this.#setKeyPolicy(c, r), getKeyPolicy: (c, r) => this.#getKeyPolicy(c, r),
      createPolicy: (c, r) => this.#createPolicy(c, r), updatePolicy: (c, r) => this.#updatePolicy(c, r),
      getPolicy: (c, r) => this.#getPolicy(c, r), deletePolicy: (c, r) => this.#deletePolicy(c, r),
      listPolicies: (c, r) => this.#listPolicies(c, r), attachPolicy: (c, r) => this.#attachPolicy(c, r),
      detachPolicy: (c, r) => this.#detachPolicy(c, r), listPoliciesForPrincipal: (c, r) => this.#listPoliciesForPrincipal(c, r),
      asymmetricSign: (c, r) => this.#asymmetricSign(c, r), asymmetricVerify: (c, r) => this.#asymmetricVerify(c, r),
      asymmetricEncrypt: (c, r) => this.#asymmetricEncrypt(c, r), asymmetricDecrypt: (c, r) => this.#asymmetricDecrypt(c, r),
      getPublicKey: (c, r) => this.#getPublicKey(c, r), generateMac: (c, r) => this.#generateMac(c, r), verifyMac: (c, r) => this.#verifyMac(c, r),
      exportDataKey: (c, r) => this.#exportDataKey(c, r), generateAndExportDataKey: (c, r) => this.#generateAndExportDataKey(c, r),
      generateRandom: (c, r) => this.#generateRandom(c, r), getRandomPassword: (c, r) => this.#getRandomPassword(c, r),
      getParametersForImport: (c, r) => this.#getParametersForImport(c, r), importKeyMaterial: (c, r) => this.#importKeyMaterial(c, r),
      deleteKeyMaterial: (c, r) => this.#deleteKeyMaterial(c, r),
    }
  }

  /** Runs one operation as `principal`: the single door every call goes through, so every call is audited. */
  #invoke<R>(principal: string, name: OperationName, request: unknown): Promise<R> {
    if (this.#closed) return Promise.reject(new KmsError('Closed', 'the engine is closed'))
    const call = new Call(OPERATIONS[name], principal, this.#requestId(), this.#clock.now())
    return this.#run(call, this.#handlers[name] as (call: Call, request: unknown) => R | Promise<R>, request)
  }

  /**
   * Runs a handler and records the call, whatever the outcome. Written without `async` so
   * that a handler answering synchronously (a cached key) costs one promise in all.
   */
  #run<R>(call: Call, handler: (call: Call, request: unknown) => R | Promise<R>, request: unknown): Promise<R> {
    if (this.#auditFailure !== undefined) {
      // Fail closed: try to commit what is pending; only then run the call.
      return this.#flushAudit().then(() => this.#run(call, handler, request))
    }
    this.#running++
    let result: R | Promise<R>
    try {
      result = handler(call, request)
    } catch (error) {
      return this.#failed(call, error)
    }
    if (result instanceof Promise) return result.then((value) => this.#succeeded(call, value), (error: unknown) => this.#failed(call, error))
    return this.#succeeded(call, result)
  }

  #succeeded<R>(call: Call, value: R): Promise<R> {
    this.#record(call)
    this.#callDone()
    return this.#auditSync ? this.#flushAudit().then(() => value) : Promise.resolve(value)
  }

  /** Never throws: a refused call is always recorded, answered with a rejected promise, and counted done (or close() would wait forever). */
  #failed(call: Call, error: unknown): Promise<never> {
    call.errorCode = KmsError.is(error) ? error.code : error instanceof Error ? error.name : 'InternalFailure'
    try {
      this.#record(call)
    } catch {
      // The request was malformed in a way that also defeats recording its details (e.g. a
      // context that is not an object): record the refusal without them.
      delete call.encryptionContext
      delete call.contextJson
      this.#record(call)
    }
    this.#callDone()
    // 'sync' durability covers refused and failed calls too (a denial is what an auditor
    // looks for). The call's own error is the one to report; a failed flush is kept in
    // #auditFailure and refuses later calls.
    if (this.#auditSync) return this.#flushAudit().catch(() => undefined).then(() => Promise.reject(error))
    return Promise.reject(error)
  }

  #callDone(): void {
    if (--this.#running === 0) this.#idle?.()
  }

  /** Queues the call's audit record (unless it was committed with the call's state change). */
  #record(call: Call): void {
    const audit = this.#audit
    if (audit === undefined || call.audited) return
    audit.append(call)
    this.#scheduleAuditFlush(audit)
  }

  /** Starts a group commit when enough records wait, or arms the timer that bounds their wait. */
  #scheduleAuditFlush(audit: AuditTrail): void {
    if (audit.pendingCount >= this.#auditMaxPending) {
      // One group commit at a time: calls arriving meanwhile join the next one.
      if (this.#auditFlushing === undefined) {
        this.#auditFlushing = this.#flushAudit()
          .catch(() => undefined) // a failure is kept in #auditFailure and refuses later calls
          .finally(() => {
            this.#auditFlushing = undefined
            // Records that arrived during this commit found it in flight and armed nothing:
            // without this they could wait for the next call, beyond the flushIntervalMs bound.
            // (After a failure the next call retries instead; re-flushing here would spin.)
            if (this.#auditFailure === undefined && !this.#closed && audit.pendingCount > 0) this.#scheduleAuditFlush(audit)
          })
      }
    } else if (this.#auditTimer === undefined && !this.#auditSync) {
      this.#auditTimer = setTimeout(() => {
        this.#auditTimer = undefined
        this.#flushAudit().catch(() => undefined)
      }, this.#auditIntervalMs)
      ;(this.#auditTimer as { unref?: () => void }).unref?.()
    }
  }

  /** Commits every pending audit record. A failure makes the engine fail closed until a flush succeeds. */
  async #flushAudit(): Promise<void> {
    if (this.#audit === undefined) return
    try {
      await this.#keys.flushParticipant()
      this.#auditFailure = undefined
    } catch (error) {
      this.#auditFailure = error
      throw new KmsError('AuditFailure', 'the audit trail could not be written; calls are refused until it can', { cause: error })
    }
  }

  async *#exportAudit(query: Omit<AuditQuery, 'limit' | 'cursor'>): AsyncGenerator<string> {
    yield* this.#auditAdmin().export(query, () => this.#flushAudit())
  }

  #auditAdmin(): AuditTrail {
    this.#assertOpen()
    if (this.#audit === undefined) throw new KmsError('Rejected.UnsupportedOperation', 'auditing is turned off for this engine (audit: false)')
    return this.#audit
  }

  async #pruneAudit(options: { readonly before: number | string | Date }): Promise<{ removed: number }> {
    const audit = this.#auditAdmin()
    requestObject(options, 'audit.prune')
    const before = options.before instanceof Date ? options.before.getTime() : typeof options.before === 'string' ? Date.parse(options.before) : options.before
    if (typeof before !== 'number' || !Number.isFinite(before)) throw new KmsError('InvalidParameter', 'before must be a time')
    await this.#flushAudit()
    const call = new Call('PruneAuditTrail', ROOT_PRINCIPAL, this.#requestId(), this.#clock.now())
    const removed = await this.#keys.exclusive(async () => {
      const retention = await audit.prepareRetention(before)
      if (retention === undefined) return 0
      await this.#keys.commitDirect(retention.mutations)
      return retention.removed
    })
    this.#record(call)
    await this.#flushAudit()
    return { removed }
  }

  async #resealAudit(): Promise<{ lastSeq: number }> {
    const audit = this.#auditAdmin()
    const call = new Call('ResealAuditTrail', ROOT_PRINCIPAL, this.#requestId(), this.#clock.now())
    const lastSeq = await this.#keys.exclusive(async () => {
      const reseal = await audit.prepareReseal()
      await this.#keys.commitDirect(reseal.mutations)
      return reseal.lastSeq
    })
    this.#record(call)
    await this.#flushAudit()
    return { lastSeq }
  }

  /** A change the engine makes by itself (purge, automatic rotation), audited as `system`. */
  #systemCall(action: string, keyId: string): Call {
    const call = new Call(action, SYSTEM_PRINCIPAL, this.#requestId(), this.#clock.now())
    call.keyId = keyId
    return call
  }

  /** Runs a transaction; its call's audit record commits atomically with whatever it changes. */
  async #transact<T>(call: Call, work: (tx: Transaction, now: number) => Promise<T>): Promise<T> {
    // A call that passed its open-check before close() began must not start writing after
    // close() drained the queue: it would commit (and emit) after close() resolved.
    this.#assertOpen()
    const audit = this.#audit
    const { result, events, audited } = await this.#keys.transact(async (tx) => {
      const value = await work(tx, this.#clock.now())
      if (audit !== undefined && tx.staged.size > 0) tx.audit.push(call)
      return value
    })
    if (audited) call.audited = true
    emitCommitted(this.events, events)
    return result
  }

  #policyArn(policyName: string): string {
    return `acs:kms:${this.region}:${this.accountId}:policy/${policyName}`
  }

  /** Condition keys a policy can test, from the call, the key and anything operation-specific. */
  #conditions(call: Call, record: KeyRecord | undefined, extra: Readonly<Record<string, string>> = {}): Record<string, string | readonly string[]> {
    const context: Record<string, string | readonly string[]> = {
      'acs:CurrentTime': new Date(call.time).toISOString(),
      'acs:PrincipalName': call.principal,
      ...extra,
    }
    if (call.aliasName !== undefined) context['kms:RequestAlias'] = call.aliasName
    if (call.encryptionContext !== undefined) Object.assign(context, encryptionContextConditions(call.encryptionContext))
    if (record !== undefined) {
      context['kms:KeySpec'] = record.keySpec
      context['kms:KeyUsage'] = record.keyUsage
      context['kms:KeyOrigin'] = record.origin
      context['kms:KeyState'] = record.keyState
      for (const [k, v] of Object.entries(record.tags)) context[`kms:tag/${k}`] = v
    }
    return context
  }

  /**
   * Least privilege: the owner (root) and the engine itself are never restricted; any other
   * principal needs an Allow from its identity policies or the key's policy, and no Deny.
   * The message names the action and the resource the caller referred to, nothing more.
   */
  async #authorize(call: Call, action: string, resource: string, reported: string, record?: KeyRecord, extra?: Readonly<Record<string, string>>): Promise<void> {
    if (call.principal === ROOT_PRINCIPAL || call.principal === SYSTEM_PRINCIPAL) return
    const policies: PolicyAttachment[] = await this.#policies.forPrincipal(call.principal)
    if (record?.keyPolicy !== undefined) policies.push({ name: `key-policy:${record.keyId}`, kind: 'key', document: record.keyPolicy })
    const decision = evaluate({ principal: call.principal, action: `kms:${action}`, resource, context: this.#conditions(call, record, extra) }, policies)
    if (!decision.allowed) {
      throw new KmsError('Forbidden.NoPermission', `${call.principal} is not allowed to perform kms:${action} on ${reported}`)
    }
  }

  /** Resolves any key reference (id, resource name, alias) to a key id; notes an alias on the call. */
  async #resolveKeyId(call: Call, ref: unknown, action = call.eventName): Promise<string> {
    const parsed = parseKeyReference(ref, this.region, this.accountId)
    if (parsed.kind === 'id') return parsed.keyId
    call.aliasName ??= parsed.aliasName
    const alias = await this.#keys.loadAlias(parsed.aliasName)
    if (alias === undefined) {
      const arn = aliasArn(this.region, this.accountId, parsed.aliasName)
      // Whether an alias exists is only told to those who may act on it.
      await this.#authorize(call, action, arn, parsed.aliasName)
      throw new KmsError('Forbidden.AliasNotFound', `alias ${parsed.aliasName} does not exist`)
    }
    return alias.record.keyId
  }

  /**
   * The hot path of #use: the owner's call on a cached key that needs no purge or rotation,
   * without any await (each await costs about as much as a tenth of a 1 KiB encryption).
   * `undefined` means "take the slow path", never "no such key".
   */
  #useCached(call: Call, ref: unknown, operation: KeyOperation, refIsKeyId = false): KeyEntry | undefined {
    if (call.principal !== ROOT_PRINCIPAL) return undefined
    if (!refIsKeyId && (typeof ref !== 'string' || !isUuid(ref))) return undefined
    const entry = this.#keys.cachedKey(ref as string)
    if (entry === undefined) return undefined
    const record = entry.record
    // Another region's key: the slow path answers that it does not exist here.
    if (record.region !== this.region) return undefined
    const now = this.#clock.now()
    if (transitions.isPurgeDue(record, now) || transitions.isRotationDue(record, now) || transitions.isMaterialExpiryDue(record, now)) return undefined
    call.keyId = record.keyId
    transitions.requireState(operation, record)
    return entry
  }

  /**
   * The loaded key for an operation: purged first if its pending window has ended,
   * authorized, rotated first if automatic rotation is due, then checked against the state
   * rules (authorization comes before state, so state is not revealed to the unauthorized).
   */
  async #use(call: Call, ref: unknown, operation: KeyOperation, action = call.eventName, extra?: Readonly<Record<string, string>>): Promise<KeyEntry> {
    const aliasBefore = call.aliasName
    const keyId = typeof ref === 'string' && isUuid(ref) ? ref : await this.#resolveKeyId(call, ref, action)
    const arn = keyArn(this.region, this.accountId, keyId)
    const reported = call.aliasName !== aliasBefore && call.aliasName !== undefined ? call.aliasName : arn
    call.keyId = keyId
    let entry = this.#inRegion(await this.#keys.loadKey(keyId))
    const now = this.#clock.now()
    if (entry !== undefined && transitions.isPurgeDue(entry.record, now)) {
      await this.#purge(keyId)
      entry = undefined
    }
    if (entry !== undefined && transitions.isMaterialExpiryDue(entry.record, now)) {
      await this.#expireMaterial(keyId)
      entry = await this.#keys.loadKey(keyId)
    }
    if (entry === undefined) {
      await this.#authorize(call, action, arn, reported, undefined, extra)
      throw keyNotFound(keyId)
    }
    await this.#authorize(call, action, arn, reported, entry.record, extra)
    if (transitions.isRotationDue(entry.record, now)) {
      entry = await this.#rotate(this.#systemCall('CreateKeyVersion', keyId), keyId, 'automatic', entry.record.keySpec)
    }
    transitions.requireState(operation, entry.record)
    return entry
  }

  /** Loads a key inside a transaction; a key whose window has ended, or of another region, counts as gone. */
  async #txKey(tx: Transaction, keyId: string, now: number): Promise<KeyEntry> {
    const entry = this.#inRegion(await tx.key(keyId))
    if (entry === undefined || transitions.isPurgeDue(entry.record, now)) throw keyNotFound(keyId)
    return entry
  }

  /**
   * A key belongs to the region it was created in: an engine opened for another region on
   * the same store does not see it (as two regions of the reference model do not).
   */
  #inRegion(entry: KeyEntry | undefined): KeyEntry | undefined {
    return entry !== undefined && entry.record.region === this.region ? entry : undefined
  }

  /** Applies one pure transition to one key; returns the key's record after the change. */
  async #changeKey(
    call: Call,
    ref: unknown,
    change: (record: KeyRecord, now: number) => KeyRecord,
    describe: (before: KeyRecord, after: KeyRecord, now: number) => PendingEvent | undefined,
  ): Promise<KeyRecord> {
    // Resolve, authorize and settle due purges/rotations; the transition checks the state rules.
    const keyId = (await this.#use(call, ref, 'describeKey')).record.keyId
    return this.#transact(call, async (tx, now) => {
      const entry = await this.#txKey(tx, keyId, now)
      const next = change(entry.record, now)
      if (next === entry.record) return next
      tx.putKey(entry, next)
      const event = describe(entry.record, next, now)
      if (event !== undefined) tx.emit(event)
      return next
    })
  }

  /** Purges the key if its window has ended; true when it is gone (or never existed). */
  async #purgeIfDue(keyId: string): Promise<boolean> {
    const entry = this.#inRegion(await this.#keys.loadKey(keyId))
    if (entry === undefined) return true
    if (!transitions.isPurgeDue(entry.record, this.#clock.now())) return false
    await this.#purge(keyId)
    return true
  }

  async #purge(keyId: string): Promise<boolean> {
    return this.#transact(this.#systemCall('PurgeKey', keyId), async (tx, now) => {
      const entry = await tx.key(keyId)
      if (entry === undefined || !transitions.isPurgeDue(entry.record, now)) return false
      for (const aliasName of entry.record.aliases) {
        const alias = await tx.alias(aliasName)
        if (alias !== undefined && alias.record.keyId === keyId) tx.deleteAlias(alias)
      }
      // Deleting the record erases the only copy of the wrapped material: the key's
      // ciphertexts can never be decrypted again.
      tx.deleteKey(entry)
      tx.emit({ name: 'keyPurged', payload: { keyId, time: now } })
      return true
    })
  }

  /**
   * A new version's material, wrapped under the root key (bound to key and version id):
   * random bytes for AES and HMAC keys, a key pair for asymmetric keys (the public key kept
   * beside it in the clear). The creation date is stamped by the transaction that adds it.
   */
  async #generateMaterial(keyId: string, keySpec: KeySpec): Promise<Omit<KeyVersionRecord, 'creationDate'>> {
    const keyVersionId = this.#newId()
    const { crypto, keyring } = this.#material
    if (isAsymmetricSpec(keySpec)) {
      if (!crypto.asymmetricSpecs.includes(keySpec)) {
        throw new KmsError('Rejected.UnsupportedOperation', `${keySpec} keys need node:crypto or WebCrypto; the ${crypto.name} crypto provider cannot make them`)
      }
      const pair = await crypto.generateKeyPair(keySpec, this.#random)
      try {
        return { keyVersionId, wrappedMaterial: keyring.wrapMaterial(keyId, keyVersionId, pair.privateKey), publicKey: toBase64(pair.publicKey) }
      } finally {
        wipe(pair.privateKey)
      }
    }
    const material = this.#random.fill(new Uint8Array(KEY_SPEC_MATERIAL_BYTES[keySpec]))
    try {
      return { keyVersionId, wrappedMaterial: keyring.wrapMaterial(keyId, keyVersionId, material) }
    } finally {
      wipe(material)
    }
  }


  async #rotate(call: Call, keyId: string, trigger: 'manual' | 'automatic', keySpec: KeySpec): Promise<KeyEntry> {
    const material = await this.#generateMaterial(keyId, keySpec)
    await this.#transact(call, async (tx, now) => {
      const entry = await this.#txKey(tx, keyId, now)
      // Automatic rotation re-checks under the lock: another call may have rotated already.
      if (trigger === 'automatic' && !transitions.isRotationDue(entry.record, now)) return
      // Never older than the version before it, whatever the clock did meanwhile.
      const latest = primaryVersion(entry.record)?.creationDate ?? now
      const version = stampVersion(material, Math.max(now, latest))
      tx.putKey(entry, transitions.addKeyVersion(entry.record, version, trigger === 'manual' ? 'createKeyVersion' : 'rotate'))
      call.keyVersionId = version.keyVersionId
      tx.emit({ name: 'keyVersionCreated', payload: { keyId, keyVersionId: version.keyVersionId, trigger, time: now } })
    })
    const entry = await this.#keys.loadKey(keyId)
    if (entry === undefined) throw keyNotFound(keyId)
    return entry
  }

  #metadata(r: KeyRecord): api.KeyMetadata {
    const primary = primaryVersion(r)
    const next = nextRotationDate(r)
    return {
      keyId: r.keyId,
      arn: keyArn(r.region, r.account, r.keyId),
      description: r.description,
      keyUsage: r.keyUsage,
      keySpec: r.keySpec,
      keyState: r.keyState,
      origin: r.origin,
      protectionLevel: 'SOFTWARE',
      creator: r.account,
      creationDate: formatDate(r.creationDate),
      ...(r.deleteDate === undefined ? {} : { deleteDate: formatDate(r.deleteDate) }),
      ...(primary === undefined ? {} : { primaryKeyVersion: primary.keyVersionId }),
      automaticRotation: r.rotationIntervalMs === undefined ? 'Disabled' : 'Enabled',
      ...(r.rotationIntervalMs === undefined ? {} : { rotationInterval: `${r.rotationIntervalMs / SECOND_MS}s` }),
      ...(r.lastRotationDate === undefined ? {} : { lastRotationDate: formatDate(r.lastRotationDate) }),
      ...(next === undefined ? {} : { nextRotationDate: formatDate(next) }),
      ...(r.materialExpireTime === undefined ? {} : { materialExpireTime: formatDate(r.materialExpireTime) }),
      deletionProtection: r.deletionProtection ? 'Enabled' : 'Disabled',
      ...(r.deletionProtectionDescription === undefined ? {} : { deletionProtectionDescription: r.deletionProtectionDescription }),
    }
  }

  #keyVersion(keyId: string, v: KeyVersionRecord): api.KeyVersion {
    return { keyId, keyVersionId: v.keyVersionId, creationDate: formatDate(v.creationDate) }
  }

  #alias(aliasName: string, keyId: string): api.Alias {
    return { aliasName, aliasArn: aliasArn(this.region, this.accountId, aliasName), keyId }
  }

  // ---------------------------------------------------------------- keys

  async #createKey(call: Call, request: api.CreateKeyRequest = {}): Promise<api.KeyMetadataResponse> {
    requestObject(request, 'createKey')
    const description = optionalString(request.description, 'description', 0, MAX_DESCRIPTION_LENGTH) ?? ''
    const keySpec = request.keySpec === undefined ? 'Aliyun_AES_256' : oneOf(request.keySpec, 'keySpec', KEY_SPECS)
    const keyUsage = request.keyUsage === undefined ? KEY_SPEC_USAGES[keySpec][0]! : oneOf(request.keyUsage, 'keyUsage', KEY_USAGES)
    if (!KEY_SPEC_USAGES[keySpec].includes(keyUsage)) {
      throw new KmsError('InvalidParameter', `a ${keySpec} key is for ${KEY_SPEC_USAGES[keySpec].join(' or ')}, not ${keyUsage}`)
    }
    const origin = request.origin === undefined ? 'Aliyun_KMS' : oneOf(request.origin, 'origin', KEY_ORIGINS)
    if (origin === 'EXTERNAL' && !isSymmetricSpec(keySpec)) {
      throw new KmsError('Rejected.UnsupportedOperation', 'imported material (origin EXTERNAL) is supported for Aliyun_AES_256 and Aliyun_AES_128 keys')
    }
    if (request.protectionLevel !== undefined) oneOf(request.protectionLevel, 'protectionLevel', ['SOFTWARE'])
    const rotate = request.enableAutomaticRotation === undefined ? false : booleanParam(request.enableAutomaticRotation, 'enableAutomaticRotation')
    if (!rotate && request.rotationInterval !== undefined) {
      throw new KmsError('InvalidParameter', 'rotationInterval needs enableAutomaticRotation: true')
    }
    const rotationIntervalMs = rotate ? rotationIntervalParam(request.rotationInterval ?? '365d') : undefined
    if (rotate && origin === 'EXTERNAL') {
      throw new KmsError('Rejected.UnsupportedOperation', 'keys with imported material do not rotate automatically')
    }
    if (rotate && !isSymmetricSpec(keySpec)) throw new KmsError('Rejected.UnsupportedOperation', `${keySpec} keys do not rotate automatically`)
    const tags = request.tags === undefined ? {} : tagsParam(request.tags)
    let chosenId: string | undefined
    if (request.keyId !== undefined) {
      chosenId = stringParam(request.keyId, 'keyId', 36, 36).toLowerCase()
      if (!isUuid(chosenId)) throw new KmsError('InvalidParameter', 'keyId must be a UUID')
    }
    const requestTags = Object.fromEntries(Object.entries(tags).map(([k, v]) => [`kms:RequestTag/${k}`, v]))
    await this.#authorize(call, 'CreateKey', '*', '*', undefined, { 'kms:KeySpec': keySpec, 'kms:KeyUsage': keyUsage, 'kms:KeyOrigin': origin, ...requestTags })
    // Material is made before the transaction: an RSA key pair can take a second to generate.
    const keyId = chosenId ?? this.#newId()
    const material = origin === 'EXTERNAL' ? undefined : await this.#generateMaterial(keyId, keySpec)
    const record = await this.#transact(call, async (tx, now) => {
      if (chosenId !== undefined && (await tx.key(keyId)) !== undefined) throw new KmsError('AlreadyExists', `key ${keyId} already exists`)
      const versions = material === undefined ? [] : [stampVersion(material, now)]
      const created: KeyRecord = {
        schema: KEY_RECORD_SCHEMA, keyId, region: this.region, account: this.accountId, description, keySpec, keyUsage, origin,
        keyState: origin === 'EXTERNAL' ? 'PendingImport' : 'Enabled', creationDate: now, deletionProtection: false,
        ...(rotationIntervalMs === undefined ? {} : { rotationIntervalMs }),
        tags, aliases: [], versions,
      }
      tx.putKey(undefined, created)
      await this.#registerRegion(tx)
      call.keyId = keyId
      tx.emit({
        name: 'keyCreated',
        payload: { keyId, keyState: created.keyState, time: now, ...(versions[0] ? { keyVersionId: versions[0].keyVersionId } : {}) },
      })
      return created
    })
    return { requestId: call.requestId, keyMetadata: this.#metadata(record) }
  }


  async #describeKey(call: Call, request: api.KeyRequest): Promise<api.KeyMetadataResponse> {
    requestObject(request, 'describeKey')
    const entry = await this.#use(call, request.keyId, 'describeKey')
    const lastUsed = await this.#audit?.lastUsed(entry.record.keyId)
    const keyMetadata = this.#metadata(entry.record)
    return { requestId: call.requestId, keyMetadata: lastUsed === undefined ? keyMetadata : { ...keyMetadata, lastUsedDate: formatDate(lastUsed) } }
  }

  /** Keys in id order; keys whose pending window has ended are purged, not listed. */
  async #listKeys(call: Call, request: api.Paging = {}): Promise<api.ListKeysResponse> {
    requestObject(request, 'listKeys')
    const page = pageParams(request)
    await this.#authorize(call, 'ListKeys', '*', '*')
    const now = this.#clock.now()
    const live: KeyRecord[] = []
    for (const record of await this.#keys.scanKeys()) {
      if (record.region !== this.region) continue
      if (transitions.isPurgeDue(record, now)) await this.#purge(record.keyId)
      else live.push(record)
    }
    return {
      requestId: call.requestId, totalCount: live.length, ...page,
      keys: pageOf(live, page).map((r) => ({ keyId: r.keyId, keyArn: keyArn(r.region, r.account, r.keyId) })),
    }
  }

  async #updateKeyDescription(call: Call, request: api.UpdateKeyDescriptionRequest): Promise<api.KmsResponse> {
    requestObject(request, 'updateKeyDescription')
    const description = stringParam(request.description, 'description', 0, MAX_DESCRIPTION_LENGTH)
    await this.#changeKey(call, request.keyId, (r) => transitions.updateKeyDescription(r, description),
      (r, _next, time) => ({ name: 'keyUpdated', payload: { keyId: r.keyId, change: 'description', time } }))
    return { requestId: call.requestId }
  }

  #stateEvent(before: KeyRecord, after: KeyRecord, time: number): PendingEvent | undefined {
    if (before.keyState === after.keyState) return undefined
    return {
      name: 'keyStateChanged',
      payload: {
        keyId: after.keyId, from: before.keyState, to: after.keyState, time,
        ...(after.deleteDate === undefined ? {} : { deleteDate: after.deleteDate }),
      },
    }
  }

  async #enableKey(call: Call, request: api.KeyRequest): Promise<api.KmsResponse> {
    requestObject(request, 'enableKey')
    await this.#changeKey(call, request.keyId, transitions.enableKey, (b, a, t) => this.#stateEvent(b, a, t))
    return { requestId: call.requestId }
  }

  async #disableKey(call: Call, request: api.KeyRequest): Promise<api.KmsResponse> {
    requestObject(request, 'disableKey')
    await this.#changeKey(call, request.keyId, transitions.disableKey, (b, a, t) => this.#stateEvent(b, a, t))
    return { requestId: call.requestId }
  }

  /** Purges the key after `pendingWindowInDays` (7-366) unless cancelled; until then it cannot be used. */
  async #scheduleKeyDeletion(call: Call, request: api.ScheduleKeyDeletionRequest): Promise<api.KmsResponse> {
    requestObject(request, 'scheduleKeyDeletion')
    const days = integerParam(request.pendingWindowInDays, 'pendingWindowInDays', MIN_PENDING_WINDOW_DAYS, MAX_PENDING_WINDOW_DAYS)
    await this.#changeKey(call, request.keyId, (r, now) => transitions.scheduleKeyDeletion(r, days, now),
      (b, a, t) => this.#stateEvent(b, a, t))
    return { requestId: call.requestId }
  }

  async #cancelKeyDeletion(call: Call, request: api.KeyRequest): Promise<api.KmsResponse> {
    requestObject(request, 'cancelKeyDeletion')
    await this.#changeKey(call, request.keyId, transitions.cancelKeyDeletion, (b, a, t) => this.#stateEvent(b, a, t))
    return { requestId: call.requestId }
  }

  async #setDeletionProtection(call: Call, request: api.SetDeletionProtectionRequest): Promise<api.KmsResponse> {
    requestObject(request, 'setDeletionProtection')
    const enabled = booleanParam(request.enableDeletionProtection, 'enableDeletionProtection')
    const description = optionalString(request.deletionProtectionDescription, 'deletionProtectionDescription', 0, 1024)
    await this.#changeKey(call, request.keyId, (r) => transitions.setDeletionProtection(r, enabled, description),
      (r, _a, time) => ({ name: 'keyUpdated', payload: { keyId: r.keyId, change: 'deletionProtection', time } }))
    return { requestId: call.requestId }
  }

  /** This engine's region first, then every other region that has keys on the store (from its small registry record). */
  async #describeRegions(call: Call): Promise<api.DescribeRegionsResponse> {
    const stored = await this.#keys.readRecord(REGIONS_RECORD_KEY)
    const others = stored === undefined ? [] : decodeRegions(stored.value).filter((r) => r !== this.region)
    return { requestId: call.requestId, regions: [this.region, ...others].map((regionId) => ({ regionId })) }
  }

  /** Adds this engine's region to the store's registry with its first key (once per engine: later keys find it there). */
  async #registerRegion(tx: Transaction): Promise<void> {
    if (this.#regionRegistered) return
    const stored = await tx.record(REGIONS_RECORD_KEY)
    const regions = stored === undefined ? [] : decodeRegions(stored.value)
    if (regions.includes(this.region)) {
      this.#regionRegistered = true
      return
    }
    tx.putRecord(REGIONS_RECORD_KEY, utf8Encode(JSON.stringify({ schema: 1, regions: [...regions, this.region].sort() })), stored?.revision ?? null)
  }

  // ---------------------------------------------------------------- cryptography

  /**
   * Synchronous when the key is cached (no promise of its own: each one costs about a tenth
   * of a 1 KiB encryption); otherwise a promise that loads the key first.
   */
  #encrypt(call: Call, request: api.EncryptRequest): api.EncryptResponse | Promise<api.EncryptResponse> {
    requestObject(request, 'encrypt')
    const plaintext = bytesParam(request.plaintext, 'plaintext', 1, MAX_ENCRYPT_PLAINTEXT_BYTES,
      '; for larger data use envelope encryption: generateDataKey, encrypt locally, keep only the wrapped data key')
    const context = encodeEncryptionContext(request.encryptionContext)
    if (request.encryptionContext !== undefined) call.encryptionContext = request.encryptionContext
    // No closure here: one per call would be garbage on the hottest path.
    const cached = this.#useCached(call, request.keyId, 'encrypt')
    if (cached !== undefined) return this.#sealed(call, cached, plaintext, context)
    return this.#use(call, request.keyId, 'encrypt').then((entry) => this.#sealed(call, entry, plaintext, context))
  }

  #sealed(call: Call, entry: KeyEntry, plaintext: Uint8Array, context: Uint8Array): api.EncryptResponse {
    const { blob, keyVersionId } = entry.seal(plaintext, context, this.#material)
    call.keyVersionId = keyVersionId
    call.keyUse = true
    return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId, ciphertextBlob: blob }
  }


  /** Opens a blob and returns the key it belongs to; every failure to authenticate is InvalidCiphertext. */
  async #open(call: Call, blob: Uint8Array, context: Uint8Array, operation: 'decrypt' | 'reEncrypt' | 'exportDataKey', action: string, expectedKeyId?: string): Promise<Opened> {
    const keyId = blobKeyId(blob)
    if (keyId === undefined) throw invalidCiphertext()
    if (expectedKeyId !== undefined && expectedKeyId !== keyId) {
      throw new KmsError('IncorrectKey', 'the ciphertext was not encrypted under sourceKeyId')
    }
    let entry: KeyEntry
    try {
      entry = this.#useCached(call, keyId, operation, true) ?? await this.#use(call, keyId, operation, action)
    } catch (error) {
      // A blob naming no key here (foreign, mangled, or purged) is simply not a valid ciphertext.
      if (KmsError.is(error, 'Forbidden.KeyNotFound')) throw invalidCiphertext()
      throw error
    }
    return this.#openWith(entry, blob, context)
  }

  #openWith(entry: KeyEntry, blob: Uint8Array, context: Uint8Array): Opened {
    const keyVersionId = uuidFromBytesAt(blob, BLOB_VERSION_ID_OFFSET)
    const plaintext = entry.openBlob(blob, keyVersionId, context, this.#material)
    if (plaintext === undefined) throw invalidCiphertext()
    return { entry, keyVersionId, plaintext }
  }

  /** Synchronous when the blob's key is cached, like #encrypt. */
  #decrypt(call: Call, request: api.DecryptRequest): api.DecryptResponse | Promise<api.DecryptResponse> {
    requestObject(request, 'decrypt')
    const blob = bytesParam(request.ciphertextBlob, 'ciphertextBlob', 0, Number.MAX_SAFE_INTEGER)
    const context = encodeEncryptionContext(request.encryptionContext)
    if (request.encryptionContext !== undefined) call.encryptionContext = request.encryptionContext
    const keyId = blobKeyId(blob)
    const cached = keyId === undefined ? undefined : this.#useCached(call, keyId, 'decrypt', true)
    if (cached !== undefined) return this.#decrypted(call, this.#openWith(cached, blob, context))
    return this.#open(call, blob, context, 'decrypt', 'Decrypt').then((opened) => this.#decrypted(call, opened))
  }

  #decrypted(call: Call, { entry, keyVersionId, plaintext }: Opened): api.DecryptResponse {
    call.keyVersionId = keyVersionId
    call.keyUse = true
    return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId, plaintext }
  }


  /**
   * Decrypts and re-encrypts under `destinationKeyId` inside the engine; the plaintext never
   * reaches the caller. Authorized as `kms:ReEncryptFrom` on the source key and
   * `kms:ReEncryptTo` on the destination, so each side can be granted on its own.
   */
  async #reEncrypt(call: Call, request: api.ReEncryptRequest): Promise<api.ReEncryptResponse> {
    requestObject(request, 'reEncrypt')
    const blob = bytesParam(request.ciphertextBlob, 'ciphertextBlob', 0, Number.MAX_SAFE_INTEGER)
    const sourceContext = encodeEncryptionContext(request.sourceEncryptionContext)
    const destinationContext = encodeEncryptionContext(request.destinationEncryptionContext)
    const destinationRef = request.destinationKeyId
    if (destinationRef === undefined) throw new KmsError('InvalidParameter', 'destinationKeyId is required')
    const sourceKeyId = request.sourceKeyId === undefined ? undefined : await this.#resolveKeyId(call, request.sourceKeyId, 'ReEncryptFrom')
    if (request.sourceEncryptionContext !== undefined) call.encryptionContext = request.sourceEncryptionContext
    const source = await this.#open(call, blob, sourceContext, 'reEncrypt', 'ReEncryptFrom', sourceKeyId)
    try {
      call.sourceKeyId = source.entry.record.keyId
      if (request.destinationEncryptionContext !== undefined) call.encryptionContext = request.destinationEncryptionContext
      else delete call.encryptionContext
      const destination = await this.#use(call, destinationRef, 'reEncrypt', 'ReEncryptTo')
      const sealed = destination.seal(source.plaintext, destinationContext, this.#material)
      call.keyVersionId = sealed.keyVersionId
      call.keyUse = true
      return {
        requestId: call.requestId, keyId: destination.record.keyId, keyVersionId: sealed.keyVersionId, ciphertextBlob: sealed.blob,
        sourceKeyId: source.entry.record.keyId, sourceKeyVersionId: source.keyVersionId,
      }
    } finally {
      wipe(source.plaintext)
    }
  }

  /** Data key length and the condition keys a policy can test about it (the context is validated first, then noted on the call). */
  #dataKeyRequest(call: Call, request: api.GenerateDataKeyRequest): { length: number; conditions: Record<string, string>; context: Uint8Array } {
    const context = encodeEncryptionContext(request.encryptionContext)
    if (request.encryptionContext !== undefined) call.encryptionContext = request.encryptionContext
    if (request.numberOfBytes !== undefined) {
      const length = integerParam(request.numberOfBytes, 'numberOfBytes', 1, MAX_DATA_KEY_BYTES)
      return { length, conditions: { 'kms:NumberOfBytes': String(length) }, context }
    }
    const spec = request.keySpec === undefined ? 'AES_256' : oneOf(request.keySpec, 'keySpec', ['AES_256', 'AES_128'])
    const length = spec === 'AES_128' ? 16 : 32
    return { length, conditions: { 'kms:DataKeySpec': spec, 'kms:NumberOfBytes': String(length) }, context }
  }

  /** A fresh data key, in the clear and wrapped under the CMK, for envelope encryption of large data. */
  #generateDataKey(call: Call, request: api.GenerateDataKeyRequest): api.GenerateDataKeyResponse | Promise<api.GenerateDataKeyResponse> {
    requestObject(request, 'generateDataKey')
    const { length, conditions, context } = this.#dataKeyRequest(call, request)
    const generate = (entry: KeyEntry): api.GenerateDataKeyResponse => {
      const plaintext = this.#random.fill(new Uint8Array(length))
      const { blob, keyVersionId } = entry.seal(plaintext, context, this.#material)
      call.keyVersionId = keyVersionId
      call.keyUse = true
      return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId, ciphertextBlob: blob, plaintext }
    }
    const cached = this.#useCached(call, request.keyId, 'generateDataKey')
    return cached !== undefined ? generate(cached) : this.#use(call, request.keyId, 'generateDataKey', call.eventName, conditions).then(generate)
  }

  /** Like generateDataKey, but only the wrapped data key is returned (decrypt it later, where it is used). */
  async #generateDataKeyWithoutPlaintext(call: Call, request: api.GenerateDataKeyRequest): Promise<api.EncryptResponse> {
    requestObject(request, 'generateDataKeyWithoutPlaintext')
    const { length, conditions, context } = this.#dataKeyRequest(call, request)
    const entry = this.#useCached(call, request.keyId, 'generateDataKeyWithoutPlaintext')
      ?? await this.#use(call, request.keyId, 'generateDataKeyWithoutPlaintext', call.eventName, conditions)
    const dataKey = this.#random.fill(new Uint8Array(length))
    try {
      const { blob, keyVersionId } = entry.seal(dataKey, context, this.#material)
      call.keyVersionId = keyVersionId
      call.keyUse = true
      return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId, ciphertextBlob: blob }
    } finally {
      wipe(dataKey)
    }
  }

  // ---------------------------------------------------------------- versions and rotation

  /** Rotates now: a new version becomes primary; older versions still decrypt. */
  async #createKeyVersion(call: Call, request: api.KeyRequest): Promise<api.KeyVersionResponse> {
    requestObject(request, 'createKeyVersion')
    const { record } = await this.#use(call, request.keyId, 'createKeyVersion')
    if (record.origin === 'EXTERNAL') throw new KmsError('Rejected.UnsupportedOperation', `key ${record.keyId} has imported material and cannot create versions`)
    const keyId = record.keyId
    const entry = await this.#rotate(call, keyId, 'manual', record.keySpec)
    return { requestId: call.requestId, keyVersion: this.#keyVersion(keyId, primaryVersion(entry.record)!) }
  }

  /** Versions oldest first; the last is the primary version. */
  async #listKeyVersions(call: Call, request: api.ListKeyVersionsRequest): Promise<api.ListKeyVersionsResponse> {
    requestObject(request, 'listKeyVersions')
    const page = pageParams(request)
    const { record } = await this.#use(call, request.keyId, 'listKeyVersions')
    return {
      requestId: call.requestId, totalCount: record.versions.length, ...page,
      keyVersions: pageOf(record.versions, page).map((v) => this.#keyVersion(record.keyId, v)),
    }
  }

  async #describeKeyVersion(call: Call, request: api.DescribeKeyVersionRequest): Promise<api.KeyVersionResponse> {
    requestObject(request, 'describeKeyVersion')
    const keyVersionId = stringParam(request.keyVersionId, 'keyVersionId', 1, 64)
    if (!isUuid(keyVersionId)) throw new KmsError('InvalidParameter', 'keyVersionId must be a version id (UUID)')
    const entry = await this.#use(call, request.keyId, 'describeKeyVersion')
    const version = entry.version(keyVersionId)
    if (version === undefined) throw new KmsError('Forbidden.ResourceNotFound', `key ${entry.record.keyId} has no version ${keyVersionId}`)
    return { requestId: call.requestId, keyVersion: this.#keyVersion(entry.record.keyId, version) }
  }

  /** Turns automatic rotation on (interval 7-365 days, due by the engine's clock) or off. */
  async #updateRotationPolicy(call: Call, request: api.UpdateRotationPolicyRequest): Promise<api.KmsResponse> {
    requestObject(request, 'updateRotationPolicy')
    const enable = booleanParam(request.enableAutomaticRotation, 'enableAutomaticRotation')
    if (!enable && request.rotationInterval !== undefined) {
      throw new KmsError('InvalidParameter', 'rotationInterval needs enableAutomaticRotation: true')
    }
    const intervalMs = enable ? rotationIntervalParam(request.rotationInterval) : undefined
    await this.#changeKey(call, request.keyId, (r) => transitions.updateRotationPolicy(r, intervalMs),
      (r, _a, time) => ({ name: 'keyUpdated', payload: { keyId: r.keyId, change: 'rotationPolicy', time } }))
    return { requestId: call.requestId }
  }

  // ---------------------------------------------------------------- aliases

  /** The alias resource itself must be granted for alias changes. */
  async #authorizeAlias(call: Call, aliasName: string): Promise<void> {
    call.aliasName = aliasName
    const arn = aliasArn(this.region, this.accountId, aliasName)
    await this.#authorize(call, call.eventName, arn, aliasName)
  }

  /** The key an alias may point at: a key id or resource name, never another alias. */
  #aliasTarget(ref: unknown): string {
    const parsed = parseKeyReference(ref, this.region, this.accountId)
    if (parsed.kind !== 'id') throw new KmsError('InvalidParameter', 'an alias must point at a key id or key resource name, not another alias')
    return parsed.keyId
  }

  async #createAlias(call: Call, request: api.AliasTargetRequest): Promise<api.KmsResponse> {
    requestObject(request, 'createAlias')
    assertAliasName(request.aliasName)
    const aliasName = request.aliasName
    const keyId = this.#aliasTarget(request.keyId)
    // Both the alias and the key it will name must be granted (as in AWS KMS).
    await this.#authorizeAlias(call, aliasName)
    await this.#use(call, keyId, 'createAlias')
    // An alias whose key's window has ended is freed by the purge that is due.
    const existing = await this.#keys.loadAlias(aliasName)
    if (existing !== undefined) await this.#purgeIfDue(existing.record.keyId)
    await this.#transact(call, async (tx, now) => {
      if ((await tx.alias(aliasName)) !== undefined) throw new KmsError('AlreadyExists', `alias ${aliasName} already exists`)
      const entry = await this.#txKey(tx, keyId, now)
      tx.putKey(entry, transitions.addAlias(entry.record, aliasName, 'createAlias'))
      tx.putAlias(undefined, { schema: 1, aliasName, keyId, creationDate: now, updateDate: now })
      tx.emit({ name: 'aliasChanged', payload: { aliasName, keyId, time: now } })
    })
    return { requestId: call.requestId }
  }

  /** Points an existing alias at another key. */
  async #updateAlias(call: Call, request: api.AliasTargetRequest): Promise<api.KmsResponse> {
    requestObject(request, 'updateAlias')
    assertAliasName(request.aliasName)
    const aliasName = request.aliasName
    const keyId = this.#aliasTarget(request.keyId)
    await this.#authorizeAlias(call, aliasName)
    const current = await this.#keys.loadAlias(aliasName)
    if (current !== undefined) {
      // Moving an alias away from a key is a change to that key too.
      const previous = await this.#keys.loadKey(current.record.keyId)
      const arn = keyArn(this.region, this.accountId, current.record.keyId)
      // Reported as the alias the caller named (as deleteAlias does): naming the key it points
      // at would tell a caller who may not see that key which one it is.
      await this.#authorize(call, 'UpdateAlias', arn, aliasName, previous?.record)
    }
    await this.#use(call, keyId, 'updateAlias')
    await this.#transact(call, async (tx, now) => {
      const alias = await tx.alias(aliasName)
      if (alias === undefined) throw new KmsError('Forbidden.AliasNotFound', `alias ${aliasName} does not exist`)
      const previousKeyId = alias.record.keyId
      if (previousKeyId === keyId) return
      const target = await this.#txKey(tx, keyId, now)
      tx.putKey(target, transitions.addAlias(target.record, aliasName, 'updateAlias'))
      const previous = await tx.key(previousKeyId)
      if (previous !== undefined) tx.putKey(previous, transitions.removeAlias(previous.record, aliasName))
      tx.putAlias(alias, { ...alias.record, keyId, updateDate: now })
      tx.emit({ name: 'aliasChanged', payload: { aliasName, keyId, previousKeyId, time: now } })
    })
    return { requestId: call.requestId }
  }

  async #deleteAlias(call: Call, request: api.AliasRequest): Promise<api.KmsResponse> {
    requestObject(request, 'deleteAlias')
    assertAliasName(request.aliasName)
    const aliasName = request.aliasName
    await this.#authorizeAlias(call, aliasName)
    const current = await this.#keys.loadAlias(aliasName)
    if (current !== undefined) {
      call.keyId = current.record.keyId
      const entry = await this.#keys.loadKey(current.record.keyId)
      const arn = keyArn(this.region, this.accountId, current.record.keyId)
      await this.#authorize(call, 'DeleteAlias', arn, aliasName, entry?.record)
    }
    await this.#transact(call, async (tx, now) => {
      const alias = await tx.alias(aliasName)
      if (alias === undefined) throw new KmsError('Forbidden.AliasNotFound', `alias ${aliasName} does not exist`)
      const entry = await tx.key(alias.record.keyId)
      if (entry !== undefined) tx.putKey(entry, transitions.removeAlias(entry.record, aliasName))
      tx.deleteAlias(alias)
      tx.emit({ name: 'aliasChanged', payload: { aliasName, previousKeyId: alias.record.keyId, time: now } })
    })
    return { requestId: call.requestId }
  }

  /** Aliases in name order. */
  async #listAliases(call: Call, request: api.Paging = {}): Promise<api.ListAliasesResponse> {
    requestObject(request, 'listAliases')
    const page = pageParams(request)
    await this.#authorize(call, 'ListAliases', '*', '*')
    // Aliases of keys whose window has ended go with the purge that is due; aliases of
    // another region's keys are not listed here.
    const gone = new Set<string>()
    for (const keyId of new Set((await this.#keys.scanAliases()).map((a) => a.keyId))) {
      if (await this.#purgeIfDue(keyId)) gone.add(keyId)
    }
    const aliases = (await this.#keys.scanAliases()).filter((a) => !gone.has(a.keyId))
    return {
      requestId: call.requestId, totalCount: aliases.length, ...page,
      aliases: pageOf(aliases, page).map((a) => this.#alias(a.aliasName, a.keyId)),
    }
  }

  async #listAliasesByKeyId(call: Call, request: api.ListAliasesByKeyIdRequest): Promise<api.ListAliasesResponse> {
    requestObject(request, 'listAliasesByKeyId')
    const page = pageParams(request)
    const { record } = await this.#use(call, request.keyId, 'listAliasesByKeyId')
    return {
      requestId: call.requestId, totalCount: record.aliases.length, ...page,
      aliases: pageOf(record.aliases, page).map((name) => this.#alias(name, record.keyId)),
    }
  }

  // ---------------------------------------------------------------- tags

  /** Adds or overwrites tags (at most 20 per key). */
  async #tagResource(call: Call, request: api.TagResourceRequest): Promise<api.KmsResponse> {
    requestObject(request, 'tagResource')
    const tags = tagsParam(request.tags)
    await this.#changeKey(call, request.keyId, (r) => transitions.tagKey(r, tags),
      (r, _a, time) => ({ name: 'keyUpdated', payload: { keyId: r.keyId, change: 'tags', time } }))
    return { requestId: call.requestId }
  }

  async #untagResource(call: Call, request: api.UntagResourceRequest): Promise<api.KmsResponse> {
    requestObject(request, 'untagResource')
    if (!Array.isArray(request.tagKeys)) throw new TypeError('tagKeys must be an array of strings')
    if (request.tagKeys.length === 0 || request.tagKeys.length > MAX_TAGS_PER_KEY) {
      throw new KmsError('InvalidParameter', `tagKeys must hold 1-${MAX_TAGS_PER_KEY} entries`)
    }
    const tagKeys = request.tagKeys.map((k) => stringParam(k, 'tagKey', 1, 128))
    await this.#changeKey(call, request.keyId, (r) => transitions.untagKey(r, tagKeys),
      (r, _a, time) => ({ name: 'keyUpdated', payload: { keyId: r.keyId, change: 'tags', time } }))
    return { requestId: call.requestId }
  }

  async #listResourceTags(call: Call, request: api.KeyRequest): Promise<api.ListResourceTagsResponse> {
    requestObject(request, 'listResourceTags')
    const { record } = await this.#use(call, request.keyId, 'listResourceTags')
    return {
      requestId: call.requestId,
      tags: Object.entries(record.tags).map(([tagKey, tagValue]) => ({ keyId: record.keyId, tagKey, tagValue })),
    }
  }

  // ---------------------------------------------------------------- authorization policies

  /** Sets the key's policy (validated first; a malformed policy is refused and nothing is stored). */
  async #setKeyPolicy(call: Call, request: api.SetKeyPolicyRequest): Promise<api.KmsResponse> {
    requestObject(request, 'setKeyPolicy')
    const policy = PolicyStore.parse(request.policy, 'key')
    await this.#changeKey(call, request.keyId, (r) => transitions.setKeyPolicy(r, policy),
      (r, _a, time) => ({ name: 'keyUpdated', payload: { keyId: r.keyId, change: 'keyPolicy', time } }))
    return { requestId: call.requestId }
  }

  async #getKeyPolicy(call: Call, request: api.KeyRequest): Promise<api.GetKeyPolicyResponse> {
    requestObject(request, 'getKeyPolicy')
    const { record } = await this.#use(call, request.keyId, 'getKeyPolicy')
    return { requestId: call.requestId, ...(record.keyPolicy === undefined ? {} : { policy: record.keyPolicy }) }
  }

  #policyInfo(p: PolicyRecord, withDocument: boolean): api.PolicyInfo {
    return {
      policyName: p.policyName, description: p.description, createDate: formatDate(p.createDate), updateDate: formatDate(p.updateDate),
      ...(withDocument ? { policyDocument: p.document } : {}),
    }
  }

  async #authorizePolicy(call: Call, policyName: string): Promise<void> {
    const arn = this.#policyArn(policyName)
    await this.#authorize(call, call.eventName, arn, arn)
  }

  async #createPolicy(call: Call, request: api.PutPolicyRequest): Promise<api.PolicyResponse> {
    requestObject(request, 'createPolicy')
    assertPolicyName(request.policyName)
    const { policyName } = request
    const description = optionalString(request.description, 'description', 0, 1024) ?? ''
    const document = PolicyStore.parse(request.policyDocument, 'identity')
    await this.#authorizePolicy(call, policyName)
    const record = await this.#transact(call, async (tx, now) => {
      if ((await this.#policies.policyInTx(tx, policyName)) !== undefined) throw new KmsError('AlreadyExists', `policy ${policyName} already exists`)
      const created: PolicyRecord = { schema: 1, policyName, description, document, createDate: now, updateDate: now }
      tx.putRecord(POLICY_PREFIX + policyName, encodeRecord(created), null)
      return created
    })
    this.#policies.forget(policyName)
    return { requestId: call.requestId, policy: this.#policyInfo(record, false) }
  }

  /** Replaces a policy's document (and description); attached principals are governed by it at once. */
  async #updatePolicy(call: Call, request: api.PutPolicyRequest): Promise<api.PolicyResponse> {
    requestObject(request, 'updatePolicy')
    assertPolicyName(request.policyName)
    const { policyName } = request
    const description = optionalString(request.description, 'description', 0, 1024)
    const document = PolicyStore.parse(request.policyDocument, 'identity')
    await this.#authorizePolicy(call, policyName)
    const record = await this.#transact(call, async (tx, now) => {
      const current = await this.#policies.policyInTx(tx, policyName)
      if (current === undefined) throw new KmsError('Forbidden.PolicyNotFound', `policy ${policyName} does not exist`)
      const updated: PolicyRecord = { ...current.record, document, updateDate: now, ...(description === undefined ? {} : { description }) }
      tx.putRecord(POLICY_PREFIX + policyName, encodeRecord(updated), current.revision)
      return updated
    })
    this.#policies.forget(policyName)
    return { requestId: call.requestId, policy: this.#policyInfo(record, false) }
  }

  async #getPolicy(call: Call, request: api.PolicyNameRequest): Promise<api.PolicyResponse> {
    requestObject(request, 'getPolicy')
    assertPolicyName(request.policyName)
    await this.#authorizePolicy(call, request.policyName)
    const stored = (await this.#policies.list()).find((p) => p.policyName === request.policyName)
    if (stored === undefined) throw new KmsError('Forbidden.PolicyNotFound', `policy ${request.policyName} does not exist`)
    return { requestId: call.requestId, policy: this.#policyInfo(stored, true) }
  }

  /** Deletes a policy that no principal has attached (detach it first: Rejected.PolicyInUse). */
  async #deletePolicy(call: Call, request: api.PolicyNameRequest): Promise<api.KmsResponse> {
    requestObject(request, 'deletePolicy')
    assertPolicyName(request.policyName)
    const { policyName } = request
    await this.#authorizePolicy(call, policyName)
    await this.#transact(call, async (tx) => {
      const current = await this.#policies.policyInTx(tx, policyName)
      if (current === undefined) throw new KmsError('Forbidden.PolicyNotFound', `policy ${policyName} does not exist`)
      const users = await this.#policies.principalsWith(policyName)
      if (users.length > 0) throw new KmsError('Rejected.PolicyInUse', `policy ${policyName} is attached to ${users.length} principal(s)`)
      tx.deleteRecord(POLICY_PREFIX + policyName, current.revision)
    })
    this.#policies.forget(policyName)
    return { requestId: call.requestId }
  }

  async #listPolicies(call: Call, request: api.Paging = {}): Promise<api.ListPoliciesResponse> {
    requestObject(request, 'listPolicies')
    const page = pageParams(request)
    await this.#authorize(call, 'ListPolicies', '*', '*')
    const policies = await this.#policies.list()
    return { requestId: call.requestId, totalCount: policies.length, ...page, policies: pageOf(policies, page).map((p) => this.#policyInfo(p, false)) }
  }

  async #attachPolicy(call: Call, request: api.PolicyAttachmentRequest): Promise<api.KmsResponse> {
    requestObject(request, 'attachPolicy')
    assertPolicyName(request.policyName)
    assertPrincipalName(request.principal)
    const { policyName, principal } = request
    await this.#authorizePolicy(call, policyName)
    await this.#transact(call, async (tx) => {
      if ((await this.#policies.policyInTx(tx, policyName)) === undefined) throw new KmsError('Forbidden.PolicyNotFound', `policy ${policyName} does not exist`)
      const current = await this.#policies.attachmentInTx(tx, principal)
      const names = current?.record.policyNames ?? []
      if (names.includes(policyName)) return
      if (names.length >= MAX_POLICIES_PER_PRINCIPAL) throw new KmsError('LimitExceeded', `a principal has at most ${MAX_POLICIES_PER_PRINCIPAL} policies`)
      const record = { schema: 1 as const, principal, policyNames: [...names, policyName].sort() }
      tx.putRecord(PRINCIPAL_PREFIX + principal, encodeRecord(record), current?.revision ?? null)
    })
    this.#policies.forget(undefined, principal)
    return { requestId: call.requestId }
  }

  async #detachPolicy(call: Call, request: api.PolicyAttachmentRequest): Promise<api.KmsResponse> {
    requestObject(request, 'detachPolicy')
    assertPolicyName(request.policyName)
    assertPrincipalName(request.principal)
    const { policyName, principal } = request
    await this.#authorizePolicy(call, policyName)
    await this.#transact(call, async (tx) => {
      const current = await this.#policies.attachmentInTx(tx, principal)
      if (current === undefined || !current.record.policyNames.includes(policyName)) {
        throw new KmsError('Forbidden.PolicyNotFound', `policy ${policyName} is not attached to ${principal}`)
      }
      const policyNames = current.record.policyNames.filter((n) => n !== policyName)
      if (policyNames.length === 0) tx.deleteRecord(PRINCIPAL_PREFIX + principal, current.revision)
      else tx.putRecord(PRINCIPAL_PREFIX + principal, encodeRecord({ ...current.record, policyNames }), current.revision)
    })
    this.#policies.forget(undefined, principal)
    return { requestId: call.requestId }
  }

  async #listPoliciesForPrincipal(call: Call, request: api.PrincipalRequest): Promise<api.ListPoliciesResponse> {
    requestObject(request, 'listPoliciesForPrincipal')
    assertPrincipalName(request.principal)
    await this.#authorize(call, 'ListPoliciesForPrincipal', '*', '*')
    const attached = new Set((await this.#policies.forPrincipal(request.principal)).map((p) => p.name))
    const policies = (await this.#policies.list()).filter((p) => attached.has(p.policyName))
    return { requestId: call.requestId, totalCount: policies.length, pageNumber: 1, pageSize: policies.length, policies: policies.map((p) => this.#policyInfo(p, false)) }
  }

  // ---------------------------------------------------------------- asymmetric keys, MACs, data-key export

  /** Runs `work` on the key: at once when it is cached (no promise of its own), else once loaded. */
  #withKey<T>(call: Call, ref: unknown, operation: KeyOperation, work: (entry: KeyEntry) => T): T | Promise<T> {
    const cached = this.#useCached(call, ref, operation)
    return cached !== undefined ? work(cached) : this.#use(call, ref, operation).then(work)
  }

  /** A named version of the key, or its primary version. */
  #version(entry: KeyEntry, keyVersionId: unknown): KeyVersionRecord {
    if (keyVersionId === undefined) {
      const primary = primaryVersion(entry.record)
      if (primary === undefined) throw new KmsError('Rejected.InvalidState', `key ${entry.record.keyId} has no material`)
      return primary
    }
    const id = stringParam(keyVersionId, 'keyVersionId', 36, 36)
    const version = isUuid(id) ? entry.version(id) : undefined
    if (version === undefined) throw new KmsError('Forbidden.ResourceNotFound', `key ${entry.record.keyId} has no version ${id}`)
    return version
  }

  /** Digest (the reference model's input: a 32-byte SHA-256) or raw message (up to 4 KiB), exactly one. */
  #signingInput(request: api.SigningInput, algorithm: SigningAlgorithm): { input: Uint8Array; isDigest: boolean } {
    if ((request.digest === undefined) === (request.message === undefined)) {
      throw new KmsError('InvalidParameter', 'pass exactly one of digest (the SHA-256 of the message) or message')
    }
    if (request.digest !== undefined) {
      if (algorithm === 'ED25519') throw new KmsError('InvalidParameter', 'ED25519 signs messages, not digests: pass message')
      return { input: bytesParam(request.digest, 'digest', SIGNING_DIGEST_LENGTH, SIGNING_DIGEST_LENGTH, ' (a SHA-256 digest)'), isDigest: true }
    }
    return { input: bytesParam(request.message, 'message', 1, MAX_SIGNING_MESSAGE_BYTES, '; sign longer messages by their SHA-256 digest'), isDigest: false }
  }

  /** Provider failures that are the caller's doing or the platform's limits, as KmsErrors. */
  #cryptoCall<T>(what: string, fn: () => T): T {
    try {
      return fn()
    } catch (error) {
      if (error instanceof UnsupportedAlgorithmError) throw new KmsError('Rejected.UnsupportedOperation', `${what}: ${error.message}`, { cause: error })
      if (error instanceof RangeError) throw new KmsError('InvalidParameter', `${what}: ${error.message}`, { cause: error })
      throw error
    }
  }

  #asymmetricSign(call: Call, request: api.AsymmetricSignRequest): api.AsymmetricSignResponse | Promise<api.AsymmetricSignResponse> {
    requestObject(request, 'asymmetricSign')
    return this.#withKey(call, request.keyId, 'asymmetricSign', (entry) => {
      const spec = entry.record.keySpec as AsymmetricKeySpec
      const algorithm = oneOf(request.algorithm, 'algorithm', signingAlgorithms(spec))
      const { input, isDigest } = this.#signingInput(request, algorithm)
      const version = this.#version(entry, request.keyVersionId)
      call.keyVersionId = version.keyVersionId
      const privateKey = entry.material(version, this.#material)
      const value = this.#cryptoCall('asymmetricSign', () => this.#material.crypto.sign(spec, algorithm, privateKey, input, isDigest))
      call.keyUse = true
      return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId: version.keyVersionId, algorithm, value }
    })
  }


  #asymmetricVerify(call: Call, request: api.AsymmetricVerifyRequest): api.AsymmetricVerifyResponse | Promise<api.AsymmetricVerifyResponse> {
    requestObject(request, 'asymmetricVerify')
    return this.#withKey(call, request.keyId, 'asymmetricVerify', (entry) => {
      const spec = entry.record.keySpec as AsymmetricKeySpec
      const algorithm = oneOf(request.algorithm, 'algorithm', signingAlgorithms(spec))
      const { input, isDigest } = this.#signingInput(request, algorithm)
      const signature = bytesParam(request.value, 'value', 1, 1024)
      const version = this.#version(entry, request.keyVersionId)
      call.keyVersionId = version.keyVersionId
      const publicKey = entry.publicKey(version)
      const value = this.#cryptoCall('asymmetricVerify', () => this.#material.crypto.verify(spec, algorithm, publicKey, input, isDigest, signature))
      call.keyUse = true
      return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId: version.keyVersionId, algorithm, value }
    })
  }


  #asymmetricEncrypt(call: Call, request: api.AsymmetricEncryptRequest): api.AsymmetricEncryptResponse | Promise<api.AsymmetricEncryptResponse> {
    requestObject(request, 'asymmetricEncrypt')
    return this.#withKey(call, request.keyId, 'asymmetricEncrypt', (entry) => {
      const spec = entry.record.keySpec as AsymmetricKeySpec
      const algorithm = oneOf(request.algorithm, 'algorithm', encryptionAlgorithms(spec))
      const plaintext = bytesParam(request.plaintext, 'plaintext', 1, rsaOaepMaxPlaintextLength(spec, algorithm), ` (the most ${algorithm} takes with ${spec})`)
      const version = this.#version(entry, request.keyVersionId)
      call.keyVersionId = version.keyVersionId
      const publicKey = entry.publicKey(version)
      const ciphertextBlob = this.#cryptoCall('asymmetricEncrypt', () => this.#material.crypto.rsaEncrypt(spec, algorithm, publicKey, plaintext))
      call.keyUse = true
      return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId: version.keyVersionId, algorithm, ciphertextBlob }
    })
  }


  #asymmetricDecrypt(call: Call, request: api.AsymmetricDecryptRequest): api.AsymmetricDecryptResponse | Promise<api.AsymmetricDecryptResponse> {
    requestObject(request, 'asymmetricDecrypt')
    return this.#withKey(call, request.keyId, 'asymmetricDecrypt', (entry) => {
      const spec = entry.record.keySpec as AsymmetricKeySpec
      const algorithm = oneOf(request.algorithm, 'algorithm', encryptionAlgorithms(spec))
      const ciphertext = bytesParam(request.ciphertextBlob, 'ciphertextBlob', 1, 1024)
      const version = this.#version(entry, request.keyVersionId)
      call.keyVersionId = version.keyVersionId
      const privateKey = entry.material(version, this.#material)
      const plaintext = this.#cryptoCall('asymmetricDecrypt', () => this.#material.crypto.rsaDecrypt(spec, algorithm, privateKey, ciphertext))
      if (plaintext === undefined) throw invalidCiphertext()
      call.keyUse = true
      return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId: version.keyVersionId, algorithm, plaintext }
    })
  }


  /** The version's public key, as PEM and as SubjectPublicKeyInfo DER, for any standard tool. */
  async #getPublicKey(call: Call, request: api.GetPublicKeyRequest): Promise<api.GetPublicKeyResponse> {
    requestObject(request, 'getPublicKey')
    const entry = await this.#use(call, request.keyId, 'getPublicKey')
    const spec = entry.record.keySpec as AsymmetricKeySpec
    const version = this.#version(entry, request.keyVersionId)
    call.keyVersionId = version.keyVersionId
    const publicKeyDer = fromBase64(version.publicKey!)!
    return {
      requestId: call.requestId, keyId: entry.record.keyId, keyVersionId: version.keyVersionId, keySpec: spec, keyUsage: entry.record.keyUsage,
      publicKey: publicKeyPem(publicKeyDer), publicKeyDer,
      ...(entry.record.keyUsage === 'SIGN/VERIFY' ? { signingAlgorithms: signingAlgorithms(spec) } : { encryptionAlgorithms: encryptionAlgorithms(spec) }),
    }
  }

  #macAlgorithm(entry: KeyEntry, value: unknown): HmacAlgorithm {
    const algorithm = oneOf(value, 'macAlgorithm', HMAC_ALGORITHMS)
    if (algorithm !== entry.record.keySpec) throw new KmsError('InvalidKeyUsage', `a ${entry.record.keySpec} key computes ${entry.record.keySpec}, not ${algorithm}`)
    return algorithm
  }

  async #generateMac(call: Call, request: api.GenerateMacRequest): Promise<api.GenerateMacResponse> {
    requestObject(request, 'generateMac')
    const message = bytesParam(request.message, 'message', 1, MAX_SIGNING_MESSAGE_BYTES)
    const entry = await this.#use(call, request.keyId, 'generateMac')
    const macAlgorithm = this.#macAlgorithm(entry, request.macAlgorithm)
    const version = this.#version(entry, undefined)
    call.keyVersionId = version.keyVersionId
    const mac = this.#material.crypto.hmac(macAlgorithm, entry.material(version, this.#material), message)
    call.keyUse = true
    return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId: version.keyVersionId, macAlgorithm, mac }
  }

  /**
   * Recomputes the MAC under the named version (or under each version, newest first, so a
   * MAC made before a rotation still verifies) and compares in constant time.
   */
  async #verifyMac(call: Call, request: api.VerifyMacRequest): Promise<api.VerifyMacResponse> {
    requestObject(request, 'verifyMac')
    const message = bytesParam(request.message, 'message', 1, MAX_SIGNING_MESSAGE_BYTES)
    const mac = bytesParam(request.mac, 'mac', 1, 64)
    const entry = await this.#use(call, request.keyId, 'verifyMac')
    const macAlgorithm = this.#macAlgorithm(entry, request.macAlgorithm)
    const versions = request.keyVersionId === undefined ? [...entry.record.versions].reverse() : [this.#version(entry, request.keyVersionId)]
    const { crypto } = this.#material
    let matched: KeyVersionRecord | undefined
    for (const version of versions) {
      const expected = crypto.hmac(macAlgorithm, entry.material(version, this.#material), message)
      if (crypto.timingSafeEqual(expected, mac)) matched ??= version
    }
    const keyVersionId = (matched ?? versions[0]!).keyVersionId
    call.keyVersionId = keyVersionId
    call.keyUse = true
    return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId, macAlgorithm, macValid: matched !== undefined }
  }

  /** An RSA public key from the caller (SubjectPublicKeyInfo DER, or PEM text) to wrap a data key for. */
  #wrappingKey(request: api.DataKeyExport): WrappingKey {
    const spec = oneOf(request.wrappingKeySpec, 'wrappingKeySpec', ['RSA_2048', 'RSA_3072', 'RSA_4096'] as const)
    const algorithm = oneOf(request.wrappingAlgorithm, 'wrappingAlgorithm', encryptionAlgorithms(spec))
    const blob = request.publicKeyBlob
    let spki: Uint8Array | undefined
    if (typeof blob === 'string') {
      const body = /^-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\s]+)-----END PUBLIC KEY-----\s*$/.exec(blob.trim())?.[1]
      spki = body === undefined ? undefined : fromBase64(body.replace(/\s+/g, ''))
      if (spki === undefined) throw new KmsError('InvalidParameter', 'publicKeyBlob is not a PEM public key')
    } else {
      spki = bytesParam(blob, 'publicKeyBlob', 1, 4096)
    }
    return { spki, spec, algorithm }
  }

  #exportTo(wrapping: WrappingKey, dataKey: Uint8Array): Uint8Array {
    return this.#cryptoCall('exportDataKey', () => this.#material.crypto.rsaEncrypt(wrapping.spec, wrapping.algorithm, wrapping.spki, dataKey))
  }

  /** Re-wraps a data key (a generateDataKey blob) under the caller's RSA public key; the caller never sees it. */
  async #exportDataKey(call: Call, request: api.ExportDataKeyRequest): Promise<api.ExportDataKeyResponse> {
    requestObject(request, 'exportDataKey')
    const wrapping = this.#wrappingKey(request)
    const blob = bytesParam(request.ciphertextBlob, 'ciphertextBlob', 0, Number.MAX_SAFE_INTEGER)
    const context = encodeEncryptionContext(request.encryptionContext)
    if (request.encryptionContext !== undefined) call.encryptionContext = request.encryptionContext
    const { entry, keyVersionId, plaintext } = await this.#open(call, blob, context, 'exportDataKey', 'ExportDataKey')
    try {
      call.keyVersionId = keyVersionId
      const exportedDataKey = this.#exportTo(wrapping, plaintext)
      call.keyUse = true
      return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId, exportedDataKey }
    } finally {
      wipe(plaintext)
    }
  }

  /** A new data key, wrapped under the CMK and under the caller's RSA public key; never in the clear outside. */
  async #generateAndExportDataKey(call: Call, request: api.GenerateAndExportDataKeyRequest): Promise<api.GenerateAndExportDataKeyResponse> {
    requestObject(request, 'generateAndExportDataKey')
    const wrapping = this.#wrappingKey(request)
    const { length, conditions, context } = this.#dataKeyRequest(call, request)
    const entry = await this.#use(call, request.keyId, 'generateAndExportDataKey', call.eventName, conditions)
    const dataKey = this.#random.fill(new Uint8Array(length))
    try {
      const exportedDataKey = this.#exportTo(wrapping, dataKey)
      const { blob, keyVersionId } = entry.seal(dataKey, context, this.#material)
      call.keyVersionId = keyVersionId
      call.keyUse = true
      return { requestId: call.requestId, keyId: entry.record.keyId, keyVersionId, ciphertextBlob: blob, exportedDataKey }
    } finally {
      wipe(dataKey)
    }
  }

  // ---------------------------------------------------------------- randomness

  async #generateRandom(call: Call, request: api.GenerateRandomRequest): Promise<api.GenerateRandomResponse> {
    requestObject(request, 'generateRandom')
    const length = integerParam(request.numberOfBytes, 'numberOfBytes', 1, 1024)
    await this.#authorize(call, 'GenerateRandom', '*', '*')
    return { requestId: call.requestId, plaintext: this.#random.fill(new Uint8Array(length)) }
  }

  async #getRandomPassword(call: Call, request: api.GetRandomPasswordRequest = {}): Promise<api.GetRandomPasswordResponse> {
    requestObject(request, 'getRandomPassword')
    const options = {
      length: request.passwordLength === undefined ? 32 : integerParam(request.passwordLength, 'passwordLength', 8, 128),
      exclude: optionalString(request.excludeCharacters, 'excludeCharacters', 0, 256) ?? '',
      lowercase: request.excludeLowercase === undefined ? true : !booleanParam(request.excludeLowercase, 'excludeLowercase'),
      uppercase: request.excludeUppercase === undefined ? true : !booleanParam(request.excludeUppercase, 'excludeUppercase'),
      numbers: request.excludeNumbers === undefined ? true : !booleanParam(request.excludeNumbers, 'excludeNumbers'),
      punctuation: request.excludePunctuation === undefined ? true : !booleanParam(request.excludePunctuation, 'excludePunctuation'),
      requireEachIncludedType: request.requireEachIncludedType === undefined ? true : booleanParam(request.requireEachIncludedType, 'requireEachIncludedType'),
    }
    await this.#authorize(call, 'GetRandomPassword', '*', '*')
    return { requestId: call.requestId, randomPassword: randomPassword(this.#random, options) }
  }

  // ---------------------------------------------------------------- bring your own key

  /**
   * A one-time RSA-2048 wrapping key for importing material into an EXTERNAL key, and a
   * token naming it; both expire 24 hours later by the engine's clock. The private half is
   * stored wrapped under the root key (bound to the key and the token) until used.
   */
  async #getParametersForImport(call: Call, request: api.GetParametersForImportRequest): Promise<api.GetParametersForImportResponse> {
    requestObject(request, 'getParametersForImport')
    const wrappingAlgorithm = oneOf(request.wrappingAlgorithm, 'wrappingAlgorithm', encryptionAlgorithms('RSA_2048'))
    oneOf(request.wrappingKeySpec, 'wrappingKeySpec', ['RSA_2048'])
    const keyId = (await this.#use(call, request.keyId, 'getParametersForImport')).record.keyId
    const { crypto, keyring } = this.#material
    if (!crypto.asymmetricSpecs.includes('RSA_2048')) {
      throw new KmsError('Rejected.UnsupportedOperation', `importing material needs RSA, which the ${crypto.name} crypto provider cannot do`)
    }
    const pair = await crypto.generateKeyPair('RSA_2048')
    const importToken = this.#newId()
    const token = await this.#transact(call, async (tx, now) => {
      await this.#txKey(tx, keyId, now)
      const record: ImportTokenRecord = {
        schema: 1, keyId, wrappingAlgorithm, expiresAt: now + IMPORT_TOKEN_LIFETIME_MS,
        wrappedPrivateKey: keyring.wrapMaterial(keyId, importToken, pair.privateKey),
      }
      tx.putRecord(IMPORT_TOKEN_PREFIX + importToken, utf8Encode(JSON.stringify(record)), null)
      return record
    }).finally(() => wipe(pair.privateKey))
    return {
      requestId: call.requestId, keyId, importToken, publicKey: publicKeyPem(pair.publicKey), publicKeyDer: pair.publicKey,
      wrappingAlgorithm, wrappingKeySpec: 'RSA_2048', tokenExpireTime: formatDate(token.expiresAt),
    }
  }

  /**
   * Unwraps material with the token's private key and installs it. The first import fixes
   * the material: importing different material later is IncorrectKeyMaterial; the same
   * material may be imported again (after deleteKeyMaterial or expiry, or to change expiry).
   */
  async #importKeyMaterial(call: Call, request: api.ImportKeyMaterialRequest): Promise<api.KmsResponse> {
    requestObject(request, 'importKeyMaterial')
    const tokenId = stringParam(request.importToken, 'importToken', 1, 64)
    const encrypted = bytesParam(request.encryptedKeyMaterial, 'encryptedKeyMaterial', 1, 1024)
    const expireSeconds = request.keyMaterialExpireUnix === undefined || request.keyMaterialExpireUnix === 0
      ? undefined : integerParam(request.keyMaterialExpireUnix, 'keyMaterialExpireUnix', 1, 2 ** 40)
    const keyId = (await this.#use(call, request.keyId, 'importKeyMaterial')).record.keyId
    const { crypto, keyring } = this.#material
    await this.#transact(call, async (tx, now) => {
      if (!isUuid(tokenId)) throw new KmsError('InvalidImportToken', 'importToken is not a token from getParametersForImport')
      const stored = await tx.record(IMPORT_TOKEN_PREFIX + tokenId)
      const token = stored === undefined ? undefined : JSON.parse(utf8Decode(stored.value)) as ImportTokenRecord
      if (stored === undefined || token === undefined || token.keyId !== keyId) {
        throw new KmsError('InvalidImportToken', 'importToken is unknown, already used, or belongs to another key')
      }
      if (token.expiresAt <= now) throw new KmsError('ExpiredImportToken', `the import token expired at ${formatDate(token.expiresAt)}`)
      if (expireSeconds !== undefined && expireSeconds * SECOND_MS <= now) throw new KmsError('InvalidParameter', 'keyMaterialExpireUnix is in the past')
      const entry = await this.#txKey(tx, keyId, now)
      const wrappingKey = keyring.unwrapMaterial(keyId, tokenId, token.wrappedPrivateKey)
      const material = crypto.rsaDecrypt('RSA_2048', token.wrappingAlgorithm, wrappingKey, encrypted)
      wipe(wrappingKey)
      if (material === undefined) throw new KmsError('InvalidCiphertext', `encryptedKeyMaterial does not decrypt with this token's wrapping key (${token.wrappingAlgorithm})`)
      try {
        const expected = KEY_SPEC_MATERIAL_BYTES[entry.record.keySpec as SymmetricKeySpec]
        if (material.length !== expected) throw new KmsError('InvalidParameter', `a ${entry.record.keySpec} key takes ${expected} bytes of material, not ${material.length}`)
        const fingerprintKey = keyring.deriveKey('import/fingerprint/v1')
        const fingerprint = toBase64(crypto.hmac('HMAC_SHA_256', fingerprintKey, concatBytes(utf8Encode(keyId), material)))
        wipe(fingerprintKey)
        const known = entry.record.importedMaterialFingerprint
        if (known !== undefined && !crypto.timingSafeEqual(utf8Encode(known), utf8Encode(fingerprint))) {
          throw new KmsError('IncorrectKeyMaterial', `key ${keyId} was imported with different material`)
        }
        const keyVersionId = entry.record.importedVersionId ?? importedVersionId(crypto, keyId)
        const version: KeyVersionRecord = { keyVersionId, creationDate: now, wrappedMaterial: keyring.wrapMaterial(keyId, keyVersionId, material) }
        const next = transitions.importKeyMaterial(entry.record, version, fingerprint, expireSeconds === undefined ? undefined : expireSeconds * SECOND_MS)
        tx.putKey(entry, next)
        tx.deleteRecord(IMPORT_TOKEN_PREFIX + tokenId, stored.revision) // one use only
        call.keyVersionId = keyVersionId
        if (next.keyState !== entry.record.keyState) {
          tx.emit({ name: 'keyStateChanged', payload: { keyId, from: entry.record.keyState, to: next.keyState, time: now } })
        }
      } finally {
        wipe(material)
      }
    })
    return { requestId: call.requestId }
  }

  /** Erases imported material: the key returns to PendingImport until the same material is imported again. */
  async #deleteKeyMaterial(call: Call, request: api.KeyRequest): Promise<api.KmsResponse> {
    requestObject(request, 'deleteKeyMaterial')
    await this.#changeKey(call, request.keyId, (r) => transitions.removeKeyMaterial(r, 'deleteKeyMaterial'), (b, a, t) => this.#stateEvent(b, a, t))
    return { requestId: call.requestId }
  }

  /** Imported material past its expiry is erased (as by deleteKeyMaterial), by the engine itself. */
  async #expireMaterial(keyId: string): Promise<void> {
    await this.#transact(this.#systemCall('DeleteKeyMaterial', keyId), async (tx, now) => {
      const entry = await tx.key(keyId)
      if (entry === undefined || !transitions.isMaterialExpiryDue(entry.record, now)) return
      const next = transitions.removeKeyMaterial(entry.record, 'expire')
      tx.putKey(entry, next)
      const event = this.#stateEvent(entry.record, next, now)
      if (event !== undefined) tx.emit(event)
    })
  }

  // ---------------------------------------------------------------- verification

  /**
   * Checks the whole store: every record's seal, that the records are the latest ones
   * written (the store digest catches a record rolled back to an older genuine copy, deleted
   * or copied in), and the audit trail (against `anchor` when given). Reads every record.
   */
  async verify(options: { readonly anchor?: AuditAnchor } = {}): Promise<KmsVerification> {
    this.#assertOpen()
    requestObject(options, 'verify')
    // In turn with this engine's commits, so none lands between the scan and the digest.
    const records = await this.#keys.exclusive(() => this.#storage.verify())
    const audit = this.#audit === undefined ? undefined : await this.audit.verify(options)
    return { ok: records.ok && (audit?.ok ?? true), records, ...(audit === undefined ? {} : { audit }) }
  }

  // ---------------------------------------------------------------- maintenance

  /**
   * Purges every key whose pending window has ended and rotates every key whose
   * automatic rotation is due. Both also happen lazily when a key is used; call this
   * (or set `maintenanceIntervalMs`) so they happen for keys nobody touches.
   */
  async maintenance(): Promise<api.MaintenanceResult> {
    this.#assertOpen()
    const purged: string[] = []
    const rotated: string[] = []
    for (const record of await this.#keys.scanKeys()) {
      // Each region's engines look after their own keys.
      if (record.region !== this.region) continue
      const now = this.#clock.now()
      if (transitions.isPurgeDue(record, now)) {
        if (await this.#purge(record.keyId)) purged.push(record.keyId)
      } else if (transitions.isMaterialExpiryDue(record, now)) {
        await this.#expireMaterial(record.keyId)
      } else if (transitions.isRotationDue(record, now)) {
        const before = record.versions.length
        const entry = await this.#rotate(this.#systemCall('CreateKeyVersion', record.keyId), record.keyId, 'automatic', record.keySpec)
        if (entry.record.versions.length > before) rotated.push(record.keyId)
      }
    }
    await this.#dropStaleImportTokens()
    return { purged, rotated }
  }

  /** Import tokens past their expiry, or of keys that no longer exist, are useless: delete them. */
  async #dropStaleImportTokens(): Promise<void> {
    const now = this.#clock.now()
    for (const stored of await this.#keys.scanRecords(IMPORT_TOKEN_PREFIX)) {
      let token: ImportTokenRecord | undefined
      try {
        token = JSON.parse(utf8Decode(stored.value)) as ImportTokenRecord
      } catch {
        token = undefined
      }
      const stale = token === undefined || token.expiresAt <= now || (await this.#keys.loadKey(token.keyId)) === undefined
      if (!stale) continue
      await this.#keys.exclusive(() => this.#keys.commitDirect([{ type: 'delete', key: stored.key, expectedRevision: stored.revision }]))
        .catch((error: unknown) => {
          // Someone used or removed it meanwhile: nothing left to clean.
          if (!KmsError.is(error, 'Conflict')) throw error
        })
    }
  }

  /**
   * Waits for in-flight changes, wipes unwrapped material and the root key from memory,
   * and closes the storage (unless `closeStorage: false`). Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#timer !== undefined) clearInterval(this.#timer)
    if (this.#auditTimer !== undefined) clearTimeout(this.#auditTimer)
    // Calls already under way (new ones are refused) finish first, or a record they queue
    // after the last flush would be lost (and their storage reads would meet a closed store).
    if (this.#running > 0) await new Promise<void>((resolve) => (this.#idle = resolve))
    await this.#keys.drain()
    let auditError: unknown
    // A clean close loses no audit record.
    if (this.#audit !== undefined && this.#audit.pendingCount > 0) await this.#flushAudit().catch((error: unknown) => { auditError = error })
    this.#policies.close()
    this.#keys.close()
    this.#material.keyring.wipe()
    if (this.#closeStorage) await this.#storage.close()
    // Closed all the same, but the caller must learn that pending audit records were lost.
    if (auditError !== undefined) throw auditError
  }
}
