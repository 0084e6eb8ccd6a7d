/**
 * Loading keys for operations, on top of the dispatcher: resolving a reference (id,
 * resource name, alias), settling what is due first (purge, material expiry, automatic
 * rotation), authorizing before the state rules (so state is not revealed to the
 * unauthorized), and the engine's own changes (purge, rotate, expire). `KeyAccess` is the
 * object operation families see, through the narrow `EngineContext` (engine/context.ts).
 *
 * ```ts
 * const entry = ctx.useCached(call, keyId, 'encrypt') ?? await ctx.use(call, keyId, 'encrypt')
 * ```
 *
 * `useCached` is the hot path: the owner's call on a cached key, answered without an await.
 */
import { isUuid, toBase64, wipe } from '../bytes.js'
import type { Call } from '../call.js'
import { KmsError } from '../errors.js'
import { keyStateChange, type PendingEvent } from '../events.js'
import type { KeyEntry } from '../key-entry.js'
import {
  KEY_SPEC_MATERIAL_BYTES, isAsymmetricSpec, primaryVersion, stampVersion, type KeyRecord, type KeySpec, type KeyVersionRecord,
} from '../key-record.js'
import type { Transaction } from '../key-store.js'
import { aliasArn, keyArn, parseKeyReference } from '../names.js'
import { ROOT_PRINCIPAL, SYSTEM_PRINCIPAL } from '../policy-store.js'
import * as transitions from '../transitions.js'
import type { KeyOperation } from '../transitions.js'
import type { EngineContext } from './context.js'
import { Dispatcher, type ConditionValues } from './dispatcher.js'

function keyNotFound(keyId: string): KmsError {
  return new KmsError('Forbidden.KeyNotFound', `key ${keyId} does not exist`)
}

export class KeyAccess extends Dispatcher implements EngineContext {
  /** Resolves any key reference (id, resource name, alias) to a key id; notes an alias on the call. */
  async resolveKeyId(call: Call, ref: unknown, action = call.eventName): Promise<string> {
    const parsed = parseKeyReference(ref, this.region, this.accountId)
    if (parsed.kind === 'id') return parsed.keyId
    call.aliasName ??= parsed.aliasName
    const alias = await this.keys.loadAlias(parsed.aliasName)
    if (alias === undefined) {
      const arn = aliasArn(this.region, this.accountId, parsed.aliasName)
      // Whether an alias exists is only told to those who may act on it.
      await this.authorize(call, action, arn, parsed.aliasName)
      throw new KmsError('Forbidden.AliasNotFound', `alias ${parsed.aliasName} does not exist`)
    }
    return alias.record.keyId
  }

  /**
   * The hot path of use(): the owner's (or the engine's own) call on a cached key that needs no purge or rotation,
   * without any await (each await costs about as much as a tenth of a 1 KiB encryption).
   * `undefined` means "take the slow path", never "no such key".
   */
  useCached(call: Call, ref: unknown, operation: KeyOperation, refIsKeyId = false): KeyEntry | undefined {
    if (call.principal !== ROOT_PRINCIPAL && call.principal !== SYSTEM_PRINCIPAL) return undefined
    if (!refIsKeyId && (typeof ref !== 'string' || !isUuid(ref))) return undefined
    const entry = this.keys.cachedKey(ref as string)
    if (entry === undefined) return undefined
    const record = entry.record
    // Another region's key: the slow path answers that it does not exist here.
    if (record.region !== this.region) return undefined
    const now = this.clock.now()
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
  async use(call: Call, ref: unknown, operation: KeyOperation, action = call.eventName, extra?: ConditionValues): Promise<KeyEntry> {
    const aliasBefore = call.aliasName
    const keyId = typeof ref === 'string' && isUuid(ref) ? ref : await this.resolveKeyId(call, ref, action)
    const arn = keyArn(this.region, this.accountId, keyId)
    const reported = call.aliasName !== aliasBefore && call.aliasName !== undefined ? call.aliasName : arn
    call.keyId = keyId
    let entry = this.inRegion(await this.keys.loadKey(keyId))
    const now = this.clock.now()
    if (entry !== undefined && transitions.isPurgeDue(entry.record, now)) {
      await this.purge(keyId)
      entry = undefined
    }
    if (entry !== undefined && transitions.isMaterialExpiryDue(entry.record, now)) {
      await this.expireMaterial(keyId)
      entry = await this.keys.loadKey(keyId)
    }
    if (entry === undefined) {
      await this.authorize(call, action, arn, reported, undefined, extra)
      throw keyNotFound(keyId)
    }
    await this.authorize(call, action, arn, reported, entry.record, extra)
    if (transitions.isRotationDue(entry.record, now)) {
      entry = await this.rotate(this.systemCall('CreateKeyVersion', keyId), keyId, 'automatic', entry.record.keySpec)
    }
    transitions.requireState(operation, entry.record)
    return entry
  }

  /** Loads a key inside a transaction; a key whose window has ended, or of another region, counts as gone. */
  async txKey(tx: Transaction, keyId: string, now: number): Promise<KeyEntry> {
    const entry = this.inRegion(await tx.key(keyId))
    if (entry === undefined || transitions.isPurgeDue(entry.record, now)) throw keyNotFound(keyId)
    return entry
  }

  /**
   * A key belongs to the region it was created in: an engine opened for another region on
   * the same store does not see it (as two regions of the reference model do not).
   */
  inRegion(entry: KeyEntry | undefined): KeyEntry | undefined {
    return entry !== undefined && entry.record.region === this.region ? entry : undefined
  }

  /** Applies one pure transition to one key; returns the key's record after the change. */
  async changeKey(
    call: Call,
    ref: unknown,
    change: (record: KeyRecord, now: number) => KeyRecord,
    describe: (before: KeyRecord, after: KeyRecord, now: number) => PendingEvent | undefined,
  ): Promise<KeyRecord> {
    // Resolve, authorize and settle due purges/rotations; the transition checks the state rules.
    const keyId = (await this.use(call, ref, 'describeKey')).record.keyId
    return this.transact(call, async (tx, now) => {
      const entry = await this.txKey(tx, keyId, now)
      const next = change(entry.record, now)
      if (next === entry.record) return next
      tx.putKey(entry, next)
      const event = describe(entry.record, next, now)
      if (event !== undefined) tx.emit(event)
      return next
    })
  }

  /** Purges the key if its window has ended; true when it is gone (or never existed). */
  async purgeIfDue(keyId: string): Promise<boolean> {
    const entry = this.inRegion(await this.keys.loadKey(keyId))
    if (entry === undefined) return true
    if (!transitions.isPurgeDue(entry.record, this.clock.now())) return false
    await this.purge(keyId)
    return true
  }

  async purge(keyId: string): Promise<boolean> {
    return this.transact(this.systemCall('PurgeKey', keyId), async (tx, now) => {
      const entry = await tx.key(keyId)
      if (entry === undefined || !transitions.isPurgeDue(entry.record, now)) return false
      for (const aliasName of entry.record.aliases) {
        const alias = await tx.alias(aliasName)
        if (alias !== undefined && alias.record.keyId === keyId) tx.deleteAlias(alias)
      }
      // A key's grants go with it.
      for (const grant of await this.grants.storedForKey(keyId)) tx.deleteRecord(grant.key, grant.revision)
      // Deleting the record erases the only copy of the wrapped material: the key's
      // ciphertexts can never be decrypted again.
      tx.deleteKey(entry)
      tx.emit({ name: 'keyPurged', payload: { keyId, time: now } })
      return true
    }).finally(() => this.grants.forget(keyId))
  }

  /**
   * A new version's material, wrapped under the root key (bound to key and version id):
   * random bytes for AES and HMAC keys, a key pair for asymmetric keys (the public key kept
   * beside it in the clear). The creation date is stamped by the transaction that adds it.
   */
  async generateMaterial(keyId: string, keySpec: KeySpec): Promise<Omit<KeyVersionRecord, 'creationDate'>> {
    const keyVersionId = this.newId()
    const { crypto, keyring } = this.material
    if (isAsymmetricSpec(keySpec)) {
      if (!crypto.asymmetricSpecs.includes(keySpec)) {
        throw new KmsError('Rejected.UnsupportedOperation', `${keySpec} keys need node:crypto or WebCrypto; the ${crypto.name} crypto provider cannot make them`)
      }
      const pair = await crypto.generateKeyPair(keySpec, this.random)
      try {
        return { keyVersionId, wrappedMaterial: keyring.wrapMaterial(keyId, keyVersionId, pair.privateKey), publicKey: toBase64(pair.publicKey) }
      } finally {
        wipe(pair.privateKey)
      }
    }
    const material = this.random.fill(new Uint8Array(KEY_SPEC_MATERIAL_BYTES[keySpec]))
    try {
      return { keyVersionId, wrappedMaterial: keyring.wrapMaterial(keyId, keyVersionId, material) }
    } finally {
      wipe(material)
    }
  }

  async rotate(call: Call, keyId: string, trigger: 'manual' | 'automatic', keySpec: KeySpec): Promise<KeyEntry> {
    const material = await this.generateMaterial(keyId, keySpec)
    await this.transact(call, async (tx, now) => {
      // An attempt that lost the race to another writer added no version: only the committed one names it.
      delete call.keyVersionId
      const entry = await this.txKey(tx, keyId, now)
      // Automatic rotation re-checks in its transaction: another call (or engine) may have rotated already.
      if (trigger === 'automatic' && !transitions.isRotationDue(entry.record, now)) return
      // Never older than the version before it, whatever the clock did meanwhile.
      const latest = primaryVersion(entry.record)?.creationDate ?? now
      const version = stampVersion(material, Math.max(now, latest))
      tx.putKey(entry, transitions.addKeyVersion(entry.record, version, trigger === 'manual' ? 'createKeyVersion' : 'rotate'))
      call.keyVersionId = version.keyVersionId
      tx.emit({ name: 'keyVersionCreated', payload: { keyId, keyVersionId: version.keyVersionId, trigger, time: now } })
    })
    const entry = await this.keys.loadKey(keyId)
    if (entry === undefined) throw keyNotFound(keyId)
    return entry
  }

  /** Imported material past its expiry is erased (as by deleteKeyMaterial), by the engine itself. */
  async expireMaterial(keyId: string): Promise<void> {
    await this.transact(this.systemCall('DeleteKeyMaterial', keyId), async (tx, now) => {
      const entry = await tx.key(keyId)
      if (entry === undefined || !transitions.isMaterialExpiryDue(entry.record, now)) return
      const next = transitions.removeKeyMaterial(entry.record, 'expire')
      tx.putKey(entry, next)
      const event = keyStateChange(entry.record, next, now)
      if (event !== undefined) tx.emit(event)
    })
  }
}
