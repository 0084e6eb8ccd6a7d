/**
 * Changing the root key: `kms.changeRootKey(newRootKey)` re-wraps every key's material and
 * re-seals every record under a new root key, and moves every key derived from the root
 * (record sealing, store digest, audit head MAC, audit context HMAC, imported-material
 * fingerprints, header MAC and check value) to the new one.
 *
 * ```ts
 * await kms.changeRootKey(passphraseRootKey(newPassphrase))   // the engine keeps working, on the new key
 * ```
 *
 * Crash-safe in steps, each durable before the next begins:
 * 0. the store and the audit head must verify (nothing is changed otherwise);
 * 1. the header gains a pending-change marker (MAC'd under the old key) holding the new
 *    key's check value and each root secret wrapped under the other key: from now on either
 *    key opens the store, and the open finishes the change (the way a first-release store's
 *    upgrade resumes on the next open, engine/open.ts);
 * 2. records are re-sealed a page (≤ 500) at a time, each page one commit with the digest;
 *    every sealed record and every wrapped material names its root key's generation in its
 *    format byte, so a store half re-sealed reads correctly;
 * 3. once nothing is under the old key, one atomic commit swaps the header (the new key's
 *    fields, no marker, MAC'd under the new key), the store digest (recomputed under the
 *    new digest key, after checking it under the old) and every audit chain head's MAC
 *    (last-use records, one per key and chain, are re-MAC'd with the pages of step 2);
 * 4. the old key is wiped from memory.
 * A process killed anywhere leaves a store that opens under the old key (before step 1's
 * commit) or under either key (after it), with nothing lost.
 *
 * Other engines on a shared store: the change needs the store to itself. An engine that
 * stays open across it keeps the old key and fails closed with RootKeyMismatch from then on:
 * it cannot open a record sealed under the new key (its cached entries are evicted by the
 * watch as the records are rewritten, and without a watch every use re-reads the record),
 * nor the store digest its writes must move. Reopen it with the new key.
 */
import type { CryptoProvider } from '@strongroom/crypto'
import { AUDIT_CONTEXT_LABEL, AUDIT_MAC_LABEL, auditHeadsVerify, lastUsedRemac, remacAuditHeads } from '../audit.js'
import { utf8Decode, utf8Encode, wipe } from '../bytes.js'
import { Call } from '../call.js'
import { KmsError } from '../errors.js'
import type { Mutation } from '../storage.js'
import { decodeKeyRecord, encodeKeyRecord, type KeyRecord } from '../key-record.js'
import { KEY_RECORD_PREFIX, storageFailure } from '../key-store.js'
import { IMPORT_TOKEN_PREFIX, importedMaterialFingerprint, type ImportTokenRecord } from '../operations/import-tokens.js'
import { ROOT_PRINCIPAL } from '../policy-store.js'
import { KEYSTORE_HEADER_KEY, decodeKeystoreHeader, encodeKeystoreHeader, type RootKeyProvider, type RootKeyring } from '../root-key.js'
import { RECORD_SEAL_LABEL, type SealedStorage } from '../sealed-storage.js'
import { RECORD_DIGEST_LABEL, SEAL_HEAD_KEY, StoreDigest } from '../store-digest.js'
import type { Dispatcher } from './dispatcher.js'

/**
 * `kms.changeRootKey`: the whole change, in turn with this engine's commits, recorded in the
 * audit trail as `ChangeRootKey` with its outcome (never key bytes). Owner only.
 */
export async function changeRootKey(engine: Dispatcher, provider: RootKeyProvider): Promise<{ generation: number }> {
  await engine.flushAudit()
  const call = new Call('ChangeRootKey', ROOT_PRINCIPAL, engine.requestId(), engine.clock.now())
  let generation: number
  try {
    generation = await engine.keys.exclusive(() => changeExclusively(engine, provider))
  } catch (error) {
    call.errorCode = KmsError.is(error) ? error.code : 'InternalFailure'
    engine.record(call)
    await engine.flushAudit().catch(() => undefined)
    throw error
  }
  engine.record(call)
  await engine.flushAudit()
  return { generation }
}

async function changeExclusively(engine: Dispatcher, provider: RootKeyProvider): Promise<number> {
  const { keyring, crypto, random } = engine.material
  const storage = engine.storage
  if (keyring.retiringGeneration !== undefined) {
    throw new KmsError('Conflict', 'an earlier root-key change of this engine did not finish: reopen the engine (with either key) to finish it')
  }
  const stored = await storage.get(KEYSTORE_HEADER_KEY).catch((error: unknown) => {
    throw storageFailure(error)
  })
  const header = stored === undefined ? undefined : decodeKeystoreHeader(stored.value)
  if (header === undefined || header.pendingChange !== undefined || (header.generation ?? 0) !== keyring.generation) {
    throw new KmsError('Conflict', 'another engine changed this keystore\'s root key: reopen it')
  }
  // Refuse before anything is written what the swap could not vouch for: a store whose
  // records are not the latest written, or an audit head that fails its check.
  const records = await storage.verify()
  if (!records.ok) throw new KmsError('CorruptRecord', `the store does not verify, so its root key is not changed: ${records.problem}`)
  const macKey = keyring.deriveKey(AUDIT_MAC_LABEL)
  const auditOk = await auditHeadsVerify(storage, crypto, macKey).finally(() => wipe(macKey))
  if (!auditOk) throw new KmsError('CorruptRecord', 'an audit head failed its check: verify the trail and reseal it (kms.audit.reseal()) before changing the root key')
  const marked = await keyring.beginChange(provider, header, { crypto, random })
  try {
    await storage.commitUnsealed([{ type: 'put', key: KEYSTORE_HEADER_KEY, value: encodeKeystoreHeader(marked), expectedRevision: stored!.revision }])
  } catch (error) {
    keyring.abandonChange()
    throw storageFailure(error)
  }
  storage.beginRootKeyChange(keyring.deriveKey(RECORD_SEAL_LABEL), keyring.generation)
  await completeRootKeyChange(storage, keyring, crypto)
  engine.audit?.replaceKeys(keyring.deriveKey(AUDIT_MAC_LABEL), keyring.deriveKey(AUDIT_CONTEXT_LABEL))
  // Cached key records hold material wrapped under the old key: read them again.
  engine.keys.forgetAll()
  return keyring.generation
}

/**
 * Steps 2-4 of a change whose marker is committed, with `keyring` and `storage` already
 * holding both keys: by `changeRootKey`, or by an open that found the marker.
 */
export async function completeRootKeyChange(storage: SealedStorage, keyring: RootKeyring, crypto: CryptoProvider): Promise<void> {
  try {
    const oldMacKey = keyring.deriveRetiringKey(AUDIT_MAC_LABEL)
    const newMacKey = keyring.deriveKey(AUDIT_MAC_LABEL)
    let auditHeads: Mutation[]
    try {
      await storage.resealRetiring(materialRewrapper(keyring, crypto), lastUsedRemac(crypto, oldMacKey, newMacKey))
      auditHeads = await remacAuditHeads(storage, crypto, oldMacKey, newMacKey)
    } finally {
      wipe(oldMacKey, newMacKey)
    }
    const digest = new StoreDigest(crypto, keyring.deriveKey(RECORD_DIGEST_LABEL))
    let swap: Awaited<ReturnType<SealedStorage['prepareDigestSwap']>>
    try {
      swap = await storage.prepareDigestSwap(digest)
    } catch (error) {
      digest.wipe()
      throw error
    }
    const stored = await storage.get(KEYSTORE_HEADER_KEY)
    if (stored === undefined) throw new KmsError('CorruptRecord', 'the keystore header disappeared during the root-key change')
    const header = keyring.completedHeader(decodeKeystoreHeader(stored.value))
    const { revisions } = await storage.commitUnsealed([
      { type: 'put', key: KEYSTORE_HEADER_KEY, value: encodeKeystoreHeader(header), expectedRevision: stored.revision },
      swap.mutation,
      ...auditHeads,
    ])
    swap.committed(revisions.get(SEAL_HEAD_KEY)!)
    keyring.finishChange()
  } catch (error) {
    throw storageFailure(error)
  }
}

/**
 * What a change does to a record's plain value besides re-sealing it: material wrapped under
 * the old key (key versions, import tokens' private keys) is re-wrapped under the new one,
 * and an imported key's material fingerprint is recomputed. `undefined`: nothing inside.
 */
function materialRewrapper(keyring: RootKeyring, crypto: CryptoProvider): (storageKey: string, value: Uint8Array) => Uint8Array | undefined {
  const rewrap = (keyId: string, id: string, wrapped: string): string => {
    const material = keyring.unwrapMaterial(keyId, id, wrapped)
    try {
      return keyring.wrapMaterial(keyId, id, material)
    } finally {
      wipe(material)
    }
  }
  return (storageKey, value) => {
    if (storageKey.startsWith(KEY_RECORD_PREFIX)) {
      const keyId = storageKey.slice(KEY_RECORD_PREFIX.length)
      const record = decodeKeyRecord(value, keyId)
      // A fingerprint whose material was deleted cannot be recomputed: it is dropped (see the README).
      const orphanFingerprint = record.importedMaterialFingerprint !== undefined && !record.versions.some((v) => v.keyVersionId === record.importedVersionId)
      if (!orphanFingerprint && !record.versions.some((v) => keyring.isRetiringWrap(v.wrappedMaterial))) return undefined
      let fingerprint = orphanFingerprint ? undefined : record.importedMaterialFingerprint
      const versions = record.versions.map((v) => {
        if (!keyring.isRetiringWrap(v.wrappedMaterial)) return v
        if (fingerprint !== undefined && v.keyVersionId === record.importedVersionId) {
          const material = keyring.unwrapMaterial(keyId, v.keyVersionId, v.wrappedMaterial)
          fingerprint = importedMaterialFingerprint(crypto, keyring, keyId, material)
          wipe(material)
        }
        return { ...v, wrappedMaterial: rewrap(keyId, v.keyVersionId, v.wrappedMaterial) }
      })
      const { importedMaterialFingerprint: _old, ...rest } = record
      const next: KeyRecord = { ...rest, versions, ...(fingerprint === undefined ? {} : { importedMaterialFingerprint: fingerprint }) }
      return encodeKeyRecord(next)
    }
    if (storageKey.startsWith(IMPORT_TOKEN_PREFIX)) {
      const token = JSON.parse(utf8Decode(value)) as ImportTokenRecord
      if (!keyring.isRetiringWrap(token.wrappedPrivateKey)) return undefined
      const tokenId = storageKey.slice(IMPORT_TOKEN_PREFIX.length)
      return utf8Encode(JSON.stringify({ ...token, wrappedPrivateKey: rewrap(token.keyId, tokenId, token.wrappedPrivateKey) }))
    }
    return undefined
  }
}
