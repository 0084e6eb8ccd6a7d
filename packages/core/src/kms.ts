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
import type { CryptoProvider, RandomSource } from '@strongroom/crypto'
import { defaultCryptoProvider, pooledRandom } from '@strongroom/crypto'
import type * as api from './api.js'
import { parseBlob } from './blob.js'
import { isUuid, uuidV4FromRandom, wipe } from './bytes.js'
import { DAY_MS, SECOND_MS, formatDate, systemClock, type Clock } from './clock.js'
import { encodeEncryptionContext } from './context.js'
import { KmsError } from './errors.js'
import { createEventEmitter, emitCommitted, type KmsEventEmitter, type PendingEvent } from './events.js'
import { SealScratch, type KeyEntry, type MaterialContext } from './key-entry.js'
import {
  KEY_ORIGINS, KEY_RECORD_SCHEMA, KEY_SPECS, KEY_SPEC_MATERIAL_BYTES, KEY_USAGES, MAX_PENDING_WINDOW_DAYS,
  MAX_ROTATION_INTERVAL_MS, MAX_TAGS_PER_KEY, MIN_PENDING_WINDOW_DAYS, MIN_ROTATION_INTERVAL_MS, nextRotationDate,
  primaryVersion, type KeyRecord, type KeyVersionRecord,
} from './key-record.js'
import { KeyStore, storageFailure, type Transaction } from './key-store.js'
import { aliasArn, assertAliasName, isValidAccount, isValidRegion, keyArn, parseKeyReference } from './names.js'
import {
  KEYSTORE_HEADER_KEY, RootKeyring, decodeKeystoreHeader, encodeKeystoreHeader, ephemeralRootKey, type RootKeyContext,
  type RootKeyProvider,
} from './root-key.js'
import type { StorageAdapter } from './storage.js'
import * as transitions from './transitions.js'
import type { KeyOperation } from './transitions.js'
import {
  booleanParam, bytesParam, integerParam, oneOf, optionalString, pageOf, pageParams, requestObject, stringParam,
} from './validate.js'

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
  /** Region id used in resource names. Default `local`. */
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

export class Kms {
  /** Lifecycle events; see events.ts. */
  readonly events: KmsEventEmitter
  readonly region: string
  readonly accountId: string
  readonly #storage: StorageAdapter
  readonly #keys: KeyStore
  readonly #material: MaterialContext
  readonly #random: RandomSource
  readonly #clock: Clock
  readonly #closeStorage: boolean
  readonly #requestIdPrefix: string
  #requestCounter = 0
  #timer: ReturnType<typeof setInterval> | undefined
  #closed = false

  private constructor(
    options: KmsOptions, keyring: RootKeyring, crypto: CryptoProvider, random: RandomSource, clock: Clock, region: string, accountId: string,
  ) {
    this.events = createEventEmitter()
    this.region = region
    this.accountId = accountId
    this.#storage = options.storage
    this.#keys = new KeyStore(options.storage, { cacheSize: options.keyCacheSize ?? 1000 })
    this.#material = { crypto, random, keyring, scratch: new SealScratch() }
    this.#requestIdPrefix = uuidV4FromRandom(random.fill(new Uint8Array(16))).slice(0, 24)
    this.#random = random
    this.#clock = clock
    this.#closeStorage = options.closeStorage ?? true
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
    return new Kms(options, keyring, crypto, random, clock, region, accountId)
  }

  /** Reads the keystore header and unlocks it, or initialises a new keystore. */
  static async #unlock(storage: StorageAdapter, rootKey: RootKeyProvider, context: RootKeyContext, clock: Clock): Promise<RootKeyring> {
    for (let attempt = 0; attempt < 3; attempt++) {
      const stored = await storage.get(KEYSTORE_HEADER_KEY).catch((error: unknown) => {
        throw storageFailure(error)
      })
      const header = stored === undefined ? undefined : decodeKeystoreHeader(stored.value)
      const { keyring, newHeader } = await RootKeyring.open(rootKey, header, context, clock.now())
      if (newHeader !== undefined) {
        try {
          await storage.commit([{ type: 'put', key: KEYSTORE_HEADER_KEY, value: encodeKeystoreHeader(newHeader), expectedRevision: null }])
        } catch (error) {
          keyring.wipe()
          // Another engine initialised the store at the same moment: unlock its header instead.
          if (KmsError.is(error, 'Conflict')) continue
          throw storageFailure(error)
        }
      }
      return keyring
    }
    throw new KmsError('Conflict', 'the keystore header kept changing while opening')
  }

  // ---------------------------------------------------------------- plumbing

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

  async #transact<T>(work: (tx: Transaction, now: number) => Promise<T>): Promise<T> {
    // A call that passed its open-check before close() began must not start writing after
    // close() drained the queue: it would commit (and emit) after close() resolved.
    this.#assertOpen()
    const { result, events } = await this.#keys.transact((tx) => work(tx, this.#clock.now()))
    emitCommitted(this.events, events)
    return result
  }

  /** Resolves any key reference (id, resource name, alias) to a key id. */
  async #resolveKeyId(ref: unknown): Promise<string> {
    const parsed = parseKeyReference(ref, this.region, this.accountId)
    if (parsed.kind === 'id') return parsed.keyId
    const alias = await this.#keys.loadAlias(parsed.aliasName)
    if (alias === undefined) throw new KmsError('Forbidden.AliasNotFound', `alias ${parsed.aliasName} does not exist`)
    return alias.record.keyId
  }

  /**
   * The hot path of #use: a cached key that needs no purge or rotation, without any
   * await (each await costs about as much as a tenth of a 1 KiB encryption).
   * `undefined` means "take the slow path", never "no such key".
   */
  #useCached(ref: unknown, operation: KeyOperation, refIsKeyId = false): KeyEntry | undefined {
    if (!refIsKeyId && (typeof ref !== 'string' || !isUuid(ref))) return undefined
    const entry = this.#keys.cachedKey(ref as string)
    if (entry === undefined) return undefined
    const record = entry.record
    const now = this.#clock.now()
    if (transitions.isPurgeDue(record, now) || transitions.isRotationDue(record, now)) return undefined
    transitions.requireState(operation, record)
    return entry
  }

  /**
   * The loaded key for an operation: purged first if its pending window has ended,
   * rotated first if automatic rotation is due, then checked against the state rules.
   */
  async #use(ref: unknown, operation: KeyOperation): Promise<KeyEntry> {
    const keyId = typeof ref === 'string' && isUuid(ref) ? ref : await this.#resolveKeyId(ref)
    let entry = await this.#keys.loadKey(keyId)
    if (entry === undefined) throw keyNotFound(keyId)
    const now = this.#clock.now()
    if (transitions.isPurgeDue(entry.record, now)) {
      await this.#purge(keyId)
      throw keyNotFound(keyId)
    }
    if (transitions.isRotationDue(entry.record, now)) entry = await this.#rotate(keyId, 'automatic')
    transitions.requireState(operation, entry.record)
    return entry
  }

  /** Loads a key inside a transaction; a key whose window has ended counts as gone. */
  async #txKey(tx: Transaction, keyId: string, now: number): Promise<KeyEntry> {
    const entry = await tx.key(keyId)
    if (entry === undefined || transitions.isPurgeDue(entry.record, now)) throw keyNotFound(keyId)
    return entry
  }

  /** Applies one pure transition to one key; returns the key's record after the change. */
  async #changeKey(
    ref: unknown,
    change: (record: KeyRecord, now: number) => KeyRecord,
    describe: (before: KeyRecord, after: KeyRecord, now: number) => PendingEvent | undefined,
  ): Promise<KeyRecord> {
    // Resolve the reference and settle due purges/rotations; the transition checks the state rules.
    const keyId = (await this.#use(ref, 'describeKey')).record.keyId
    return this.#transact(async (tx, now) => {
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
    const entry = await this.#keys.loadKey(keyId)
    if (entry === undefined) return true
    if (!transitions.isPurgeDue(entry.record, this.#clock.now())) return false
    await this.#purge(keyId)
    return true
  }

  async #purge(keyId: string): Promise<boolean> {
    return this.#transact(async (tx, now) => {
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

  #newVersion(keyId: string, record: Pick<KeyRecord, 'keySpec'>, now: number): KeyVersionRecord {
    const keyVersionId = this.#newId()
    const material = this.#random.fill(new Uint8Array(KEY_SPEC_MATERIAL_BYTES[record.keySpec]))
    try {
      return { keyVersionId, creationDate: now, wrappedMaterial: this.#material.keyring.wrapMaterial(keyId, keyVersionId, material) }
    } finally {
      wipe(material)
    }
  }

  async #rotate(keyId: string, trigger: 'manual' | 'automatic'): Promise<KeyEntry> {
    await this.#transact(async (tx, now) => {
      const entry = await this.#txKey(tx, keyId, now)
      // Automatic rotation re-checks under the lock: another call may have rotated already.
      if (trigger === 'automatic' && !transitions.isRotationDue(entry.record, now)) return
      const version = this.#newVersion(keyId, entry.record, now)
      tx.putKey(entry, transitions.addKeyVersion(entry.record, version, trigger === 'manual' ? 'createKeyVersion' : 'rotate'))
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

  async createKey(request: api.CreateKeyRequest = {}): Promise<api.KeyMetadataResponse> {
    this.#assertOpen()
    requestObject(request, 'createKey')
    const description = optionalString(request.description, 'description', 0, MAX_DESCRIPTION_LENGTH) ?? ''
    const keySpec = request.keySpec === undefined ? 'Aliyun_AES_256' : oneOf(request.keySpec, 'keySpec', KEY_SPECS)
    const keyUsage = request.keyUsage === undefined ? 'ENCRYPT/DECRYPT' : oneOf(request.keyUsage, 'keyUsage', KEY_USAGES)
    const origin = request.origin === undefined ? 'Aliyun_KMS' : oneOf(request.origin, 'origin', KEY_ORIGINS)
    if (request.protectionLevel !== undefined) oneOf(request.protectionLevel, 'protectionLevel', ['SOFTWARE'])
    const rotate = request.enableAutomaticRotation === undefined ? false : booleanParam(request.enableAutomaticRotation, 'enableAutomaticRotation')
    if (!rotate && request.rotationInterval !== undefined) {
      throw new KmsError('InvalidParameter', 'rotationInterval needs enableAutomaticRotation: true')
    }
    const rotationIntervalMs = rotate ? rotationIntervalParam(request.rotationInterval ?? '365d') : undefined
    if (rotate && origin === 'EXTERNAL') {
      throw new KmsError('Rejected.UnsupportedOperation', 'keys with imported material do not rotate automatically')
    }
    const tags = request.tags === undefined ? {} : tagsParam(request.tags)
    const record = await this.#transact(async (tx, now) => {
      const keyId = this.#newId()
      const versions = origin === 'EXTERNAL' ? [] : [this.#newVersion(keyId, { keySpec }, now)]
      const created: KeyRecord = {
        schema: KEY_RECORD_SCHEMA, keyId, region: this.region, account: this.accountId, description, keySpec, keyUsage, origin,
        keyState: origin === 'EXTERNAL' ? 'PendingImport' : 'Enabled', creationDate: now, deletionProtection: false,
        ...(rotationIntervalMs === undefined ? {} : { rotationIntervalMs }),
        tags, aliases: [], versions,
      }
      tx.putKey(undefined, created)
      tx.emit({
        name: 'keyCreated',
        payload: { keyId, keyState: created.keyState, time: now, ...(versions[0] ? { keyVersionId: versions[0].keyVersionId } : {}) },
      })
      return created
    })
    return { requestId: this.#requestId(), keyMetadata: this.#metadata(record) }
  }

  async describeKey(request: api.KeyRequest): Promise<api.KeyMetadataResponse> {
    this.#assertOpen()
    requestObject(request, 'describeKey')
    const entry = await this.#use(request.keyId, 'describeKey')
    return { requestId: this.#requestId(), keyMetadata: this.#metadata(entry.record) }
  }

  /** Keys in id order; keys whose pending window has ended are purged, not listed. */
  async listKeys(request: api.Paging = {}): Promise<api.ListKeysResponse> {
    this.#assertOpen()
    requestObject(request, 'listKeys')
    const page = pageParams(request)
    const now = this.#clock.now()
    const live: KeyRecord[] = []
    for (const record of await this.#keys.scanKeys()) {
      if (transitions.isPurgeDue(record, now)) await this.#purge(record.keyId)
      else live.push(record)
    }
    return {
      requestId: this.#requestId(), totalCount: live.length, ...page,
      keys: pageOf(live, page).map((r) => ({ keyId: r.keyId, keyArn: keyArn(r.region, r.account, r.keyId) })),
    }
  }

  async updateKeyDescription(request: api.UpdateKeyDescriptionRequest): Promise<api.KmsResponse> {
    this.#assertOpen()
    requestObject(request, 'updateKeyDescription')
    const description = stringParam(request.description, 'description', 0, MAX_DESCRIPTION_LENGTH)
    await this.#changeKey(request.keyId, (r) => transitions.updateKeyDescription(r, description),
      (r, _next, time) => ({ name: 'keyUpdated', payload: { keyId: r.keyId, change: 'description', time } }))
    return { requestId: this.#requestId() }
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

  async enableKey(request: api.KeyRequest): Promise<api.KmsResponse> {
    this.#assertOpen()
    requestObject(request, 'enableKey')
    await this.#changeKey(request.keyId, transitions.enableKey, (b, a, t) => this.#stateEvent(b, a, t))
    return { requestId: this.#requestId() }
  }

  async disableKey(request: api.KeyRequest): Promise<api.KmsResponse> {
    this.#assertOpen()
    requestObject(request, 'disableKey')
    await this.#changeKey(request.keyId, transitions.disableKey, (b, a, t) => this.#stateEvent(b, a, t))
    return { requestId: this.#requestId() }
  }

  /** Purges the key after `pendingWindowInDays` (7-366) unless cancelled; until then it cannot be used. */
  async scheduleKeyDeletion(request: api.ScheduleKeyDeletionRequest): Promise<api.KmsResponse> {
    this.#assertOpen()
    requestObject(request, 'scheduleKeyDeletion')
    const days = integerParam(request.pendingWindowInDays, 'pendingWindowInDays', MIN_PENDING_WINDOW_DAYS, MAX_PENDING_WINDOW_DAYS)
    await this.#changeKey(request.keyId, (r, now) => transitions.scheduleKeyDeletion(r, days, now),
      (b, a, t) => this.#stateEvent(b, a, t))
    return { requestId: this.#requestId() }
  }

  async cancelKeyDeletion(request: api.KeyRequest): Promise<api.KmsResponse> {
    this.#assertOpen()
    requestObject(request, 'cancelKeyDeletion')
    await this.#changeKey(request.keyId, transitions.cancelKeyDeletion, (b, a, t) => this.#stateEvent(b, a, t))
    return { requestId: this.#requestId() }
  }

  async setDeletionProtection(request: api.SetDeletionProtectionRequest): Promise<api.KmsResponse> {
    this.#assertOpen()
    requestObject(request, 'setDeletionProtection')
    const enabled = booleanParam(request.enableDeletionProtection, 'enableDeletionProtection')
    const description = optionalString(request.deletionProtectionDescription, 'deletionProtectionDescription', 0, 1024)
    await this.#changeKey(request.keyId, (r) => transitions.setDeletionProtection(r, enabled, description),
      (r, _a, time) => ({ name: 'keyUpdated', payload: { keyId: r.keyId, change: 'deletionProtection', time } }))
    return { requestId: this.#requestId() }
  }

  async describeRegions(): Promise<api.DescribeRegionsResponse> {
    this.#assertOpen()
    return { requestId: this.#requestId(), regions: [{ regionId: this.region }] }
  }

  // ---------------------------------------------------------------- cryptography

  async encrypt(request: api.EncryptRequest): Promise<api.EncryptResponse> {
    this.#assertOpen()
    requestObject(request, 'encrypt')
    const plaintext = bytesParam(request.plaintext, 'plaintext', 1, MAX_ENCRYPT_PLAINTEXT_BYTES,
      '; for larger data use envelope encryption: generateDataKey, encrypt locally, keep only the wrapped data key')
    const context = encodeEncryptionContext(request.encryptionContext)
    const entry = this.#useCached(request.keyId, 'encrypt') ?? await this.#use(request.keyId, 'encrypt')
    const { blob, keyVersionId } = entry.seal(plaintext, context, this.#material)
    return { requestId: this.#requestId(), keyId: entry.record.keyId, keyVersionId, ciphertextBlob: blob }
  }

  /** Opens a blob and returns the key it belongs to; every failure to authenticate is InvalidCiphertext. */
  async #open(blob: Uint8Array, context: Uint8Array, operation: 'decrypt' | 'reEncrypt', expectedKeyId?: string) {
    const parsed = parseBlob(blob)
    if (parsed === undefined) throw invalidCiphertext()
    if (expectedKeyId !== undefined && expectedKeyId !== parsed.keyId) {
      throw new KmsError('IncorrectKey', 'the ciphertext was not encrypted under sourceKeyId')
    }
    let entry: KeyEntry
    try {
      entry = this.#useCached(parsed.keyId, operation, true) ?? await this.#use(parsed.keyId, operation)
    } catch (error) {
      // A blob naming no key here (foreign, mangled, or purged) is simply not a valid ciphertext.
      if (KmsError.is(error, 'Forbidden.KeyNotFound')) throw invalidCiphertext()
      throw error
    }
    const plaintext = entry.open(parsed, context, this.#material)
    if (plaintext === undefined) throw invalidCiphertext()
    return { entry, keyVersionId: parsed.keyVersionId, plaintext }
  }

  async decrypt(request: api.DecryptRequest): Promise<api.DecryptResponse> {
    this.#assertOpen()
    requestObject(request, 'decrypt')
    const blob = bytesParam(request.ciphertextBlob, 'ciphertextBlob', 0, Number.MAX_SAFE_INTEGER)
    const context = encodeEncryptionContext(request.encryptionContext)
    const { entry, keyVersionId, plaintext } = await this.#open(blob, context, 'decrypt')
    return { requestId: this.#requestId(), keyId: entry.record.keyId, keyVersionId, plaintext }
  }

  /** Decrypts and re-encrypts under `destinationKeyId` inside the engine; the plaintext never reaches the caller. */
  async reEncrypt(request: api.ReEncryptRequest): Promise<api.ReEncryptResponse> {
    this.#assertOpen()
    requestObject(request, 'reEncrypt')
    const blob = bytesParam(request.ciphertextBlob, 'ciphertextBlob', 0, Number.MAX_SAFE_INTEGER)
    const sourceContext = encodeEncryptionContext(request.sourceEncryptionContext)
    const destinationContext = encodeEncryptionContext(request.destinationEncryptionContext)
    const sourceKeyId = request.sourceKeyId === undefined ? undefined : await this.#resolveKeyId(request.sourceKeyId)
    const destinationRef = request.destinationKeyId
    if (destinationRef === undefined) throw new KmsError('InvalidParameter', 'destinationKeyId is required')
    const source = await this.#open(blob, sourceContext, 'reEncrypt', sourceKeyId)
    try {
      const destination = await this.#use(destinationRef, 'reEncrypt')
      const sealed = destination.seal(source.plaintext, destinationContext, this.#material)
      return {
        requestId: this.#requestId(), keyId: destination.record.keyId, keyVersionId: sealed.keyVersionId, ciphertextBlob: sealed.blob,
        sourceKeyId: source.entry.record.keyId, sourceKeyVersionId: source.keyVersionId,
      }
    } finally {
      wipe(source.plaintext)
    }
  }

  #dataKeyLength(request: api.GenerateDataKeyRequest): number {
    if (request.numberOfBytes !== undefined) return integerParam(request.numberOfBytes, 'numberOfBytes', 1, MAX_DATA_KEY_BYTES)
    const spec = request.keySpec === undefined ? 'AES_256' : oneOf(request.keySpec, 'keySpec', ['AES_256', 'AES_128'])
    return spec === 'AES_128' ? 16 : 32
  }

  /** A fresh data key, in the clear and wrapped under the CMK, for envelope encryption of large data. */
  async generateDataKey(request: api.GenerateDataKeyRequest): Promise<api.GenerateDataKeyResponse> {
    this.#assertOpen()
    requestObject(request, 'generateDataKey')
    const length = this.#dataKeyLength(request)
    const context = encodeEncryptionContext(request.encryptionContext)
    const entry = this.#useCached(request.keyId, 'generateDataKey') ?? await this.#use(request.keyId, 'generateDataKey')
    const plaintext = this.#random.fill(new Uint8Array(length))
    const { blob, keyVersionId } = entry.seal(plaintext, context, this.#material)
    return { requestId: this.#requestId(), keyId: entry.record.keyId, keyVersionId, ciphertextBlob: blob, plaintext }
  }

  /** Like generateDataKey, but only the wrapped data key is returned (decrypt it later, where it is used). */
  async generateDataKeyWithoutPlaintext(request: api.GenerateDataKeyRequest): Promise<api.EncryptResponse> {
    this.#assertOpen()
    requestObject(request, 'generateDataKeyWithoutPlaintext')
    const length = this.#dataKeyLength(request)
    const context = encodeEncryptionContext(request.encryptionContext)
    const entry = this.#useCached(request.keyId, 'generateDataKeyWithoutPlaintext') ?? await this.#use(request.keyId, 'generateDataKeyWithoutPlaintext')
    const dataKey = this.#random.fill(new Uint8Array(length))
    try {
      const { blob, keyVersionId } = entry.seal(dataKey, context, this.#material)
      return { requestId: this.#requestId(), keyId: entry.record.keyId, keyVersionId, ciphertextBlob: blob }
    } finally {
      wipe(dataKey)
    }
  }

  // ---------------------------------------------------------------- versions and rotation

  /** Rotates now: a new version becomes primary; older versions still decrypt. */
  async createKeyVersion(request: api.KeyRequest): Promise<api.KeyVersionResponse> {
    this.#assertOpen()
    requestObject(request, 'createKeyVersion')
    const keyId = (await this.#use(request.keyId, 'createKeyVersion')).record.keyId
    const entry = await this.#rotate(keyId, 'manual')
    return { requestId: this.#requestId(), keyVersion: this.#keyVersion(keyId, primaryVersion(entry.record)!) }
  }

  /** Versions oldest first; the last is the primary version. */
  async listKeyVersions(request: api.ListKeyVersionsRequest): Promise<api.ListKeyVersionsResponse> {
    this.#assertOpen()
    requestObject(request, 'listKeyVersions')
    const page = pageParams(request)
    const { record } = await this.#use(request.keyId, 'listKeyVersions')
    return {
      requestId: this.#requestId(), totalCount: record.versions.length, ...page,
      keyVersions: pageOf(record.versions, page).map((v) => this.#keyVersion(record.keyId, v)),
    }
  }

  async describeKeyVersion(request: api.DescribeKeyVersionRequest): Promise<api.KeyVersionResponse> {
    this.#assertOpen()
    requestObject(request, 'describeKeyVersion')
    const keyVersionId = stringParam(request.keyVersionId, 'keyVersionId', 1, 64)
    if (!isUuid(keyVersionId)) throw new KmsError('InvalidParameter', 'keyVersionId must be a version id (UUID)')
    const entry = await this.#use(request.keyId, 'describeKeyVersion')
    const version = entry.version(keyVersionId)
    if (version === undefined) throw new KmsError('Forbidden.ResourceNotFound', `key ${entry.record.keyId} has no version ${keyVersionId}`)
    return { requestId: this.#requestId(), keyVersion: this.#keyVersion(entry.record.keyId, version) }
  }

  /** Turns automatic rotation on (interval 7-365 days, due by the engine's clock) or off. */
  async updateRotationPolicy(request: api.UpdateRotationPolicyRequest): Promise<api.KmsResponse> {
    this.#assertOpen()
    requestObject(request, 'updateRotationPolicy')
    const enable = booleanParam(request.enableAutomaticRotation, 'enableAutomaticRotation')
    if (!enable && request.rotationInterval !== undefined) {
      throw new KmsError('InvalidParameter', 'rotationInterval needs enableAutomaticRotation: true')
    }
    const intervalMs = enable ? rotationIntervalParam(request.rotationInterval) : undefined
    await this.#changeKey(request.keyId, (r) => transitions.updateRotationPolicy(r, intervalMs),
      (r, _a, time) => ({ name: 'keyUpdated', payload: { keyId: r.keyId, change: 'rotationPolicy', time } }))
    return { requestId: this.#requestId() }
  }

  // ---------------------------------------------------------------- aliases

  /** The key an alias may point at: a key id or resource name, never another alias. */
  #aliasTarget(ref: unknown): string {
    const parsed = parseKeyReference(ref, this.region, this.accountId)
    if (parsed.kind !== 'id') throw new KmsError('InvalidParameter', 'an alias must point at a key id or key resource name, not another alias')
    return parsed.keyId
  }

  async createAlias(request: api.AliasTargetRequest): Promise<api.KmsResponse> {
    this.#assertOpen()
    requestObject(request, 'createAlias')
    assertAliasName(request.aliasName)
    const aliasName = request.aliasName
    const keyId = this.#aliasTarget(request.keyId)
    await this.#use(keyId, 'createAlias')
    // An alias whose key's window has ended is freed by the purge that is due.
    const existing = await this.#keys.loadAlias(aliasName)
    if (existing !== undefined) await this.#purgeIfDue(existing.record.keyId)
    await this.#transact(async (tx, now) => {
      if ((await tx.alias(aliasName)) !== undefined) throw new KmsError('AlreadyExists', `alias ${aliasName} already exists`)
      const entry = await this.#txKey(tx, keyId, now)
      tx.putKey(entry, transitions.addAlias(entry.record, aliasName, 'createAlias'))
      tx.putAlias(undefined, { schema: 1, aliasName, keyId, creationDate: now, updateDate: now })
      tx.emit({ name: 'aliasChanged', payload: { aliasName, keyId, time: now } })
    })
    return { requestId: this.#requestId() }
  }

  /** Points an existing alias at another key. */
  async updateAlias(request: api.AliasTargetRequest): Promise<api.KmsResponse> {
    this.#assertOpen()
    requestObject(request, 'updateAlias')
    assertAliasName(request.aliasName)
    const aliasName = request.aliasName
    const keyId = this.#aliasTarget(request.keyId)
    await this.#use(keyId, 'updateAlias')
    await this.#transact(async (tx, now) => {
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
    return { requestId: this.#requestId() }
  }

  async deleteAlias(request: api.AliasRequest): Promise<api.KmsResponse> {
    this.#assertOpen()
    requestObject(request, 'deleteAlias')
    assertAliasName(request.aliasName)
    const aliasName = request.aliasName
    await this.#transact(async (tx, now) => {
      const alias = await tx.alias(aliasName)
      if (alias === undefined) throw new KmsError('Forbidden.AliasNotFound', `alias ${aliasName} does not exist`)
      const entry = await tx.key(alias.record.keyId)
      if (entry !== undefined) tx.putKey(entry, transitions.removeAlias(entry.record, aliasName))
      tx.deleteAlias(alias)
      tx.emit({ name: 'aliasChanged', payload: { aliasName, previousKeyId: alias.record.keyId, time: now } })
    })
    return { requestId: this.#requestId() }
  }

  /** Aliases in name order. */
  async listAliases(request: api.Paging = {}): Promise<api.ListAliasesResponse> {
    this.#assertOpen()
    requestObject(request, 'listAliases')
    const page = pageParams(request)
    // Aliases of keys whose window has ended go with the purge that is due.
    const gone = new Set<string>()
    for (const keyId of new Set((await this.#keys.scanAliases()).map((a) => a.keyId))) {
      if (await this.#purgeIfDue(keyId)) gone.add(keyId)
    }
    const aliases = (await this.#keys.scanAliases()).filter((a) => !gone.has(a.keyId))
    return {
      requestId: this.#requestId(), totalCount: aliases.length, ...page,
      aliases: pageOf(aliases, page).map((a) => this.#alias(a.aliasName, a.keyId)),
    }
  }

  async listAliasesByKeyId(request: api.ListAliasesByKeyIdRequest): Promise<api.ListAliasesResponse> {
    this.#assertOpen()
    requestObject(request, 'listAliasesByKeyId')
    const page = pageParams(request)
    const { record } = await this.#use(request.keyId, 'listAliasesByKeyId')
    return {
      requestId: this.#requestId(), totalCount: record.aliases.length, ...page,
      aliases: pageOf(record.aliases, page).map((name) => this.#alias(name, record.keyId)),
    }
  }

  // ---------------------------------------------------------------- tags

  /** Adds or overwrites tags (at most 20 per key). */
  async tagResource(request: api.TagResourceRequest): Promise<api.KmsResponse> {
    this.#assertOpen()
    requestObject(request, 'tagResource')
    const tags = tagsParam(request.tags)
    await this.#changeKey(request.keyId, (r) => transitions.tagKey(r, tags),
      (r, _a, time) => ({ name: 'keyUpdated', payload: { keyId: r.keyId, change: 'tags', time } }))
    return { requestId: this.#requestId() }
  }

  async untagResource(request: api.UntagResourceRequest): Promise<api.KmsResponse> {
    this.#assertOpen()
    requestObject(request, 'untagResource')
    if (!Array.isArray(request.tagKeys)) throw new TypeError('tagKeys must be an array of strings')
    if (request.tagKeys.length === 0 || request.tagKeys.length > MAX_TAGS_PER_KEY) {
      throw new KmsError('InvalidParameter', `tagKeys must hold 1-${MAX_TAGS_PER_KEY} entries`)
    }
    const tagKeys = request.tagKeys.map((k) => stringParam(k, 'tagKey', 1, 128))
    await this.#changeKey(request.keyId, (r) => transitions.untagKey(r, tagKeys),
      (r, _a, time) => ({ name: 'keyUpdated', payload: { keyId: r.keyId, change: 'tags', time } }))
    return { requestId: this.#requestId() }
  }

  async listResourceTags(request: api.KeyRequest): Promise<api.ListResourceTagsResponse> {
    this.#assertOpen()
    requestObject(request, 'listResourceTags')
    const { record } = await this.#use(request.keyId, 'listResourceTags')
    return {
      requestId: this.#requestId(),
      tags: Object.entries(record.tags).map(([tagKey, tagValue]) => ({ keyId: record.keyId, tagKey, tagValue })),
    }
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
      const now = this.#clock.now()
      if (transitions.isPurgeDue(record, now)) {
        if (await this.#purge(record.keyId)) purged.push(record.keyId)
      } else if (transitions.isRotationDue(record, now)) {
        const before = record.versions.length
        const entry = await this.#rotate(record.keyId, 'automatic')
        if (entry.record.versions.length > before) rotated.push(record.keyId)
      }
    }
    return { purged, rotated }
  }

  /**
   * Waits for in-flight changes, wipes unwrapped material and the root key from memory,
   * and closes the storage (unless `closeStorage: false`). Idempotent.
   */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    if (this.#timer !== undefined) clearInterval(this.#timer)
    await this.#keys.drain()
    this.#keys.close()
    this.#material.keyring.wipe()
    if (this.#closeStorage) await this.#storage.close()
  }
}
