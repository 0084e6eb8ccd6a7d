/**
 * Freshness of the sealed records: a keyed multiset hash of every sealed record in the
 * store, kept in one sealed record (`meta/seal-head`) that every commit through the barrier
 * updates. A record's seal proves it was written by someone holding the root key; only this
 * digest can tell that it is the *latest* copy: an older genuine copy put back (a key's
 * Enabled record from before it was disabled, an alias before it moved, a key record before
 * a rotation), a genuine record deleted, or one copied in from a backup all change the
 * multiset, and `kms.verify()` recomputes it from the store and compares.
 *
 * ```ts
 * const report = await kms.verify()   // { ok: true, records } or { ok: false, problem }
 * ```
 *
 * Construction (MSet-Add-Hash, Clarke et al., "Incremental Multiset Hash Functions"):
 * `digest = Σ HMAC-SHA-256(K, storageKey ‖ 0x00 ‖ nonce ‖ tag) mod 2^256` over the sealed
 * records, with `K = HKDF(root secret, "strongroom/root/records/digest/v1")`. The elements
 * are never stored, so without K nobody can compute the digest of another set of records;
 * (nonce, tag) identifies one sealing of one value. Adding or removing a record is one HMAC
 * and one addition, so a write costs two HMACs (the old copy's element out, the new one in).
 *
 * Not caught here: the whole store rolled back together with its seal head (every record and
 * the head from one earlier moment). That needs something kept outside the store: the audit
 * trail's anchor (`audit.anchor()`), whose chain commits with every state change.
 */
import type { CryptoProvider } from '@strongroom/crypto'
import { utf8Decode, utf8Encode, wipe } from './bytes.js'
import { KmsError } from './errors.js'

export const SEAL_HEAD_KEY = 'meta/seal-head'
export const RECORD_DIGEST_LABEL = 'records/digest/v1'

const MODULUS_MASK = (1n << 256n) - 1n
/** Nonce and tag of a sealed value: its identity (see sealed-storage.ts for the layout). */
const NONCE_AT = 2
const NONCE_END = 14
const TAG_LENGTH = 16

export interface SealHead {
  readonly schema: 1
  /** How many sealed records the store holds (the head itself not counted). */
  readonly count: number
  /** The multiset digest, 64 hex digits. */
  readonly digest: string
}

export const EMPTY_SEAL_HEAD: SealHead = { schema: 1, count: 0, digest: '0'.repeat(64) }

export function encodeSealHead(head: SealHead): Uint8Array {
  return utf8Encode(JSON.stringify(head))
}

export function decodeSealHead(value: Uint8Array): SealHead {
  try {
    const head = JSON.parse(utf8Decode(value)) as SealHead
    if (head.schema === 1 && Number.isSafeInteger(head.count) && head.count >= 0 && /^[0-9a-f]{64}$/.test(head.digest)) return head
  } catch {
    // reported below
  }
  throw new KmsError('CorruptRecord', 'the store digest (meta/seal-head) is unreadable')
}

/** Keeps the digest of a set of sealed records; elements are added and removed one at a time. */
export class StoreDigest {
  readonly #crypto: CryptoProvider
  readonly #key: Uint8Array

  constructor(crypto: CryptoProvider, key: Uint8Array) {
    this.#crypto = crypto
    this.#key = key
  }

  /** The element of one sealed record. */
  element(storageKey: string, sealed: Uint8Array): bigint {
    const name = utf8Encode(storageKey)
    const input = new Uint8Array(name.length + 1 + (NONCE_END - NONCE_AT) + TAG_LENGTH)
    input.set(name, 0)
    input.set(sealed.subarray(NONCE_AT, NONCE_END), name.length + 1)
    input.set(sealed.subarray(sealed.length - TAG_LENGTH), name.length + 1 + NONCE_END - NONCE_AT)
    const mac = this.#crypto.hmacSha256(this.#key, input)
    let value = 0n
    for (const byte of mac) value = (value << 8n) | BigInt(byte)
    return value
  }

  static add(digest: bigint, element: bigint): bigint {
    return (digest + element) & MODULUS_MASK
  }

  static remove(digest: bigint, element: bigint): bigint {
    return (digest - element) & MODULUS_MASK
  }

  static parse(hex: string): bigint {
    return BigInt(`0x${hex}`)
  }

  static format(digest: bigint): string {
    return digest.toString(16).padStart(64, '0')
  }

  wipe(): void {
    wipe(this.#key)
  }
}
