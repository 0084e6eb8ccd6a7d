/**
 * RSA signature encodings over a SHA-256 digest (RFC 8017 §9), for signing and verifying a
 * digest the caller already computed: `node:crypto` only signs messages (it hashes them
 * itself), so digest mode applies the raw RSA operation to an encoding built here.
 * Pure: the hash function is passed in. Internal (not exported from the package).
 *
 * ```ts
 * const em = emsaPssEncode(sha256, digest, salt, 2047)   // then RSASP1 with RSA_NO_PADDING
 * emsaPssVerify(sha256, digest, em, 2047)                // true or false, never throws
 * ```
 */

type Hash = (data: Uint8Array) => Uint8Array

const HASH_LENGTH = 32
/** Salt length of RSA_PSS_SHA_256: the digest length, as AWS KMS and the reference model use. */
export const PSS_SALT_LENGTH = 32

/** DER prefix of `DigestInfo { sha256, OCTET STRING (32) }` (RFC 8017 §9.2 note 1). */
const SHA256_DIGEST_INFO_PREFIX = Uint8Array.of(
  0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
)

/** `DigestInfo` of a SHA-256 digest: what RSASSA-PKCS1-v1_5 pads and signs. */
export function sha256DigestInfo(digest: Uint8Array): Uint8Array {
  const out = new Uint8Array(SHA256_DIGEST_INFO_PREFIX.length + HASH_LENGTH)
  out.set(SHA256_DIGEST_INFO_PREFIX)
  out.set(digest, SHA256_DIGEST_INFO_PREFIX.length)
  return out
}

/** EMSA-PKCS1-v1_5 (RFC 8017 §9.2): `0x00 0x01 FF…FF 0x00 DigestInfo`, `length` bytes. */
export function emsaPkcs1Encode(digest: Uint8Array, length: number): Uint8Array {
  const t = sha256DigestInfo(digest)
  const em = new Uint8Array(length).fill(0xff)
  em[0] = 0
  em[1] = 1
  em[length - t.length - 1] = 0
  em.set(t, length - t.length)
  return em
}

/** MGF1 (RFC 8017 §B.2.1) over `hash`, `length` bytes. */
function mgf1(hash: Hash, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length)
  const input = new Uint8Array(seed.length + 4)
  input.set(seed)
  for (let counter = 0, offset = 0; offset < length; counter++, offset += HASH_LENGTH) {
    input[seed.length] = counter >>> 24
    input[seed.length + 1] = (counter >>> 16) & 0xff
    input[seed.length + 2] = (counter >>> 8) & 0xff
    input[seed.length + 3] = counter & 0xff
    out.set(hash(input).subarray(0, Math.min(HASH_LENGTH, length - offset)), offset)
  }
  return out
}

/** H = Hash(0x00 × 8 ‖ mHash ‖ salt) (RFC 8017 §9.1.1 steps 5–6). */
function pssHash(hash: Hash, digest: Uint8Array, salt: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + HASH_LENGTH + salt.length)
  m.set(digest, 8)
  m.set(salt, 8 + HASH_LENGTH)
  return hash(m)
}

/**
 * EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with MGF1-SHA-256 and a 32-byte salt. `emBits` is the
 * modulus length in bits minus one; the result is ⌈emBits/8⌉ bytes.
 */
export function emsaPssEncode(hash: Hash, digest: Uint8Array, salt: Uint8Array, emBits: number): Uint8Array {
  const emLength = Math.ceil(emBits / 8)
  if (emLength < HASH_LENGTH + salt.length + 2) throw new RangeError('modulus too short for PSS')
  const h = pssHash(hash, digest, salt)
  const dbLength = emLength - HASH_LENGTH - 1
  // DB = PS ‖ 0x01 ‖ salt, masked in place.
  const em = new Uint8Array(emLength)
  em[dbLength - salt.length - 1] = 1
  em.set(salt, dbLength - salt.length)
  const mask = mgf1(hash, h, dbLength)
  for (let i = 0; i < dbLength; i++) em[i]! ^= mask[i]!
  em[0]! &= 0xff >>> (8 * emLength - emBits)
  em.set(h, dbLength)
  em[emLength - 1] = 0xbc
  return em
}

/** EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with MGF1-SHA-256 and a salt of exactly 32 bytes. */
export function emsaPssVerify(hash: Hash, digest: Uint8Array, em: Uint8Array, emBits: number): boolean {
  const emLength = Math.ceil(emBits / 8)
  if (em.length !== emLength || emLength < HASH_LENGTH + PSS_SALT_LENGTH + 2) return false
  if (em[emLength - 1] !== 0xbc) return false
  const dbLength = emLength - HASH_LENGTH - 1
  const topMask = 0xff >>> (8 * emLength - emBits)
  if ((em[0]! & ~topMask) !== 0) return false
  const h = em.subarray(dbLength, dbLength + HASH_LENGTH)
  const db = mgf1(hash, h, dbLength)
  for (let i = 0; i < dbLength; i++) db[i]! ^= em[i]!
  db[0]! &= topMask
  const separator = dbLength - PSS_SALT_LENGTH - 1
  for (let i = 0; i < separator; i++) if (db[i] !== 0) return false
  if (db[separator] !== 1) return false
  const expected = pssHash(hash, digest, db.subarray(dbLength - PSS_SALT_LENGTH))
  // Public data only (signature, digest, public key): no constant-time comparison needed.
  for (let i = 0; i < HASH_LENGTH; i++) if (expected[i] !== h[i]) return false
  return true
}
