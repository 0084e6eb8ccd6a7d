/**
 * Opening a keystore: the engine's options, unlocking the keystore header with the root key
 * (or initialising a new keystore), upgrading a first-release store in place, and wrapping
 * the storage in the sealing barrier (sealed-storage.ts).
 *
 * ```ts
 * const opened = await openKeystore(memoryStorage(), { region: 'local' })
 * opened.storage   // a SealedStorage: every record read and written is sealed and digested
 * opened.keyring   // the unlocked root keyring
 * ```
 *
 * A store whose header holds a pending root-key change (engine/root-key-change.ts) opens
 * with either root key, and the open finishes the change first.
 *
 * A store that holds records but no header is refused (CorruptRecord), never initialised
 * afresh; a wrong root key is RootKeyMismatch and writes nothing.
 */
import type { CryptoProvider, RandomSource } from '@strongroom/crypto'
import { defaultCryptoProvider, pooledRandom } from '@strongroom/crypto'
import type { AuditOptions } from '../audit.js'
import type { SecretRotationFunction } from '../api-secrets.js'
import { systemClock, type Clock } from '../clock.js'
import { KmsError } from '../errors.js'
import { ensureIndexes } from '../index-build.js'
import { storageFailure } from '../key-store.js'
import { isValidAccount, isValidRegion } from '../names.js'
import {
  KEYSTORE_HEADER_KEY, RootKeyring, decodeKeystoreHeader, encodeKeystoreHeader, ephemeralRootKey, type RootKeyContext,
  type RootKeyProvider,
} from '../root-key.js'
import { RECORD_SEAL_LABEL, RecordSealer, SealedStorage, rebuildSealHead, sealPlainRecords } from '../sealed-storage.js'
import { RECORD_DIGEST_LABEL, StoreDigest } from '../store-digest.js'
import { completeRootKeyChange } from './root-key-change.js'
import type { StorageAdapter } from '../storage.js'
import { integerParam, oneOf, requestObject } from '../validate.js'

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
  /**
   * Keys kept loaded and unwrapped (least recently used dropped first). Default 1000. A key
   * not in the cache costs one read and one unwrap when next used.
   */
  readonly keyCacheSize?: number
  /** A second bound on the key cache: the estimated bytes of the keys kept. Default 64 MiB. */
  readonly keyCacheBytes?: number
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
  /**
   * Makes a secret's next value when `rotateSecret` (or automatic rotation in `maintenance()`)
   * rotates it; without it, rotating a secret is Rejected.UnsupportedOperation.
   */
  readonly secretRotation?: SecretRotationFunction
}

/** An unlocked keystore, ready for an engine. */
export interface OpenedKeystore {
  readonly storage: SealedStorage
  /** The adapter under the barrier and the root key provider it was unlocked with (for `kms.backup()`). */
  readonly raw: { readonly storage: StorageAdapter; readonly rootKey: RootKeyProvider }
  readonly keyring: RootKeyring
  readonly crypto: CryptoProvider
  readonly random: RandomSource
  readonly clock: Clock
  readonly region: string
  readonly accountId: string
  /** This open finished a root-key change that an earlier process began (the engine records it). */
  readonly finishedRootKeyChange?: boolean
}

/**
 * Validates the options, unlocks (or initialises, or upgrades) the keystore and wraps the
 * storage in the sealing barrier: everything an engine needs before it takes its first call.
 */
export async function openKeystore(storage: StorageAdapter, options: KmsOptions): Promise<OpenedKeystore> {
  const region = options.region ?? 'local'
  const accountId = options.accountId ?? '000000000000'
  if (!isValidRegion(region)) throw new KmsError('InvalidParameter', 'region must be lower-case letters, digits and dashes')
  if (!isValidAccount(accountId)) throw new KmsError('InvalidParameter', 'accountId must be 1-64 letters, digits, _ or -')
  if (options.keyCacheSize !== undefined) integerParam(options.keyCacheSize, 'keyCacheSize', 1, 10_000_000)
  if (options.keyCacheBytes !== undefined) integerParam(options.keyCacheBytes, 'keyCacheBytes', 1024, Number.MAX_SAFE_INTEGER)
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
  const keyring = await unlock(storage, rootKey, { crypto, random }, clock)
  const retiring = keyring.retiringGeneration
  // Everything the engine reads and writes from here on goes through the barrier.
  let sealed: SealedStorage
  if (retiring === undefined) {
    sealed = new SealedStorage(storage, newSealer(keyring, crypto, random), new StoreDigest(crypto, keyring.deriveKey(RECORD_DIGEST_LABEL)))
  } else {
    // A root-key change was interrupted: the barrier reads under both keys, keeps the digest
    // under the old one until the swap, and the open finishes the change before any call.
    const sealer = new RecordSealer(crypto, random, keyring.deriveRetiringKey(RECORD_SEAL_LABEL), retiring)
    sealer.beginChange(keyring.deriveKey(RECORD_SEAL_LABEL), keyring.generation)
    sealed = new SealedStorage(storage, sealer, new StoreDigest(crypto, keyring.deriveRetiringKey(RECORD_DIGEST_LABEL)))
    try {
      await completeRootKeyChange(sealed, keyring, crypto)
    } catch (error) {
      keyring.wipe()
      sealer.wipe()
      throw error
    }
  }
  try {
    await ensureIndexes(sealed)
  } catch (error) {
    keyring.wipe()
    throw storageFailure(error)
  }
  return {
    storage: sealed, raw: { storage, rootKey }, keyring, crypto, random, clock, region, accountId,
    ...(retiring === undefined ? {} : { finishedRootKeyChange: true }),
  }
}

function newSealer(keyring: RootKeyring, crypto: CryptoProvider, random: RandomSource): RecordSealer {
  return new RecordSealer(crypto, random, keyring.deriveKey(RECORD_SEAL_LABEL), keyring.generation)
}

/**
 * Reads the keystore header and unlocks it, or initialises a new keystore. A store that
 * holds records but no header is never initialised afresh (that would let anyone "open"
 * it with a root key of their own). A first-release store (schema-1 header, plain
 * records) is upgraded in place before the engine uses it.
 */
async function unlock(storage: StorageAdapter, rootKey: RootKeyProvider, context: RootKeyContext, clock: Clock): Promise<RootKeyring> {
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
        const sealer = newSealer(keyring, context.crypto, context.random)
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
