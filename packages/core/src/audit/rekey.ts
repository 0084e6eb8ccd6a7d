/**
 * What a root-key change (engine/root-key-change.ts) does to the audit trail: every chain's
 * head and every last-use record is MAC'd under a key derived from the root key, so each is
 * re-MAC'd under the new key's. Segments hold only hashes and need nothing.
 *
 * ```ts
 * if (!(await auditHeadsVerify(storage, crypto, oldMacKey))) refuse()
 * const heads = await remacAuditHeads(storage, crypto, oldMacKey, newMacKey)   // into the swap commit
 * ```
 *
 * Only what verifies under the old key is re-MAC'd: a head or record that does not (forged,
 * or changed during an interrupted change) is left as it is, never laundered, and later
 * fails its check as any tampered record does.
 */
import type { CryptoProvider } from '@strongroom/crypto'
import type { Mutation, StorageAdapter } from '../storage.js'
import { chainIds, chainLayout, HeadSigner } from './chain.js'
import { AUDIT_LAST_USED_PREFIX } from './records.js'

/** The root-key labels of the trail's keys: the heads' MAC key and the encryption-context HMAC key. */
export const AUDIT_MAC_LABEL = 'audit/mac/v1'
export const AUDIT_CONTEXT_LABEL = 'audit/context/v1'

/** Whether every chain's head verifies under `macKey`: a root-key change refuses to start otherwise. */
export async function auditHeadsVerify(storage: StorageAdapter, crypto: CryptoProvider, macKey: Uint8Array): Promise<boolean> {
  const signer = new HeadSigner(crypto, macKey)
  for (const id of await chainIds(storage)) {
    const stored = await storage.get(chainLayout(id).headKey)
    if (stored === undefined) continue
    try {
      if (!signer.genuine(id, signer.decode(stored))) return false
    } catch {
      return false
    }
  }
  return true
}

/** The puts that move every genuine chain head from `oldKey`'s MAC to `newKey`'s, for the header-swap commit. */
export async function remacAuditHeads(storage: StorageAdapter, crypto: CryptoProvider, oldKey: Uint8Array, newKey: Uint8Array): Promise<Mutation[]> {
  const before = new HeadSigner(crypto, oldKey)
  const after = new HeadSigner(crypto, newKey)
  const puts: Mutation[] = []
  for (const id of await chainIds(storage)) {
    const { headKey } = chainLayout(id)
    const stored = await storage.get(headKey)
    if (stored === undefined) continue
    let head
    try {
      head = before.decode(stored)
    } catch {
      continue
    }
    if (!before.genuine(id, head)) continue
    const next = after.head(id, head.firstSeq, head.anchorHash, head.lastSeq, head.lastHash)
    puts.push({ type: 'put', key: headKey, value: after.encode(next), expectedRevision: stored.revision })
  }
  return puts
}

/**
 * For the page-by-page re-seal: a last-use record MAC'd under `oldKey` gets its value
 * MAC'd under `newKey`; anything else `undefined` (not a last-use record, already moved, or
 * not genuine). There is one per key and chain, too many for the swap commit.
 */
export function lastUsedRemac(crypto: CryptoProvider, oldKey: Uint8Array, newKey: Uint8Array): (storageKey: string, value: Uint8Array) => Uint8Array | undefined {
  const before = new HeadSigner(crypto, oldKey)
  const after = new HeadSigner(crypto, newKey)
  return (storageKey, value) => {
    if (!storageKey.startsWith(AUDIT_LAST_USED_PREFIX)) return undefined
    const time = before.openLastUsed(storageKey, value)
    return time === undefined ? undefined : after.sealLastUsed(storageKey, time)
  }
}
