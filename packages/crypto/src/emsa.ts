/**
 * RSA signature encodings over a SHA-256, SHA-384 or SHA-512 digest (RFC 8017 §9), for
 * signing and verifying a digest the caller already computed: `node:crypto` only signs
 * messages (it hashes them itself), so digest mode applies the raw RSA operation to an
 * encoding built here. The digest's length names the hash (32, 48 or 64 bytes); the PSS
 * salt is as long as the digest, as AWS KMS and the reference model use.
 * Pure: the hash function is passed in. Internal (not exported from the package).
 *
 * ```ts
 * const em = emsaPssEncode(sha256, digest, salt, 2047)   // then RSASP1 with RSA_NO_PADDING
 * emsaPssVerify(sha256, digest, em, 2047)                // true or false, never throws
 * ```
 */

type Hash = (data: Uint8Array) => Uint8Array

/**
 * DER prefixes of `DigestInfo { hash, OCTET STRING digest }` (RFC 8017 §9.2 note 1), by
 * digest length: SHA-256, SHA-384, SHA-512.
 */
const DIGEST_INFO_PREFIXES: Readonly<Record<number, Uint8Array>> = {
  32: Uint8Array.of(0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20),
  48: Uint8Array.of(0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30),
  64: Uint8Array.of(0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40),
}

/** `DigestInfo` of a SHA-256/384/512 digest: what RSASSA-PKCS1-v1_5 pads and signs. */
export function digestInfo(digest: Uint8Array): Uint8Array {
  const prefix = DIGEST_INFO_PREFIXES[digest.length]
  if (prefix === undefined) throw new RangeError(`a digest is 32, 48 or 64 bytes, got ${digest.length}`)
  const out = new Uint8Array(prefix.length + digest.length)
  out.set(prefix)
  out.set(digest, prefix.length)
  return out
}

/** EMSA-PKCS1-v1_5 (RFC 8017 §9.2): `0x00 0x01 FF…FF 0x00 DigestInfo`, `length` bytes. */
export function emsaPkcs1Encode(digest: Uint8Array, length: number): Uint8Array {
  const t = digestInfo(digest)
  const em = new Uint8Array(length).fill(0xff)
  em[0] = 0
  em[1] = 1
  em[length - t.length - 1] = 0
  em.set(t, length - t.length)
  return em
}

/** MGF1 (RFC 8017 §B.2.1) over `hash`, whose output is `hashLength` bytes; `length` bytes. */
function mgf1(hash: Hash, hashLength: number, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length)
  const input = new Uint8Array(seed.length + 4)
  input.set(seed)
  for (let counter = 0, offset = 0; offset < length; counter++, offset += hashLength) {
    input[seed.length] = counter >>> 24
    input[seed.length + 1] = (counter >>> 16) & 0xff
    input[seed.length + 2] = (counter >>> 8) & 0xff
    input[seed.length + 3] = counter & 0xff
    out.set(hash(input).subarray(0, Math.min(hashLength, length - offset)), offset)
  }
  return out
}

/** H = Hash(0x00 × 8 ‖ mHash ‖ salt) (RFC 8017 §9.1.1 steps 5–6). */
function pssHash(hash: Hash, digest: Uint8Array, salt: Uint8Array): Uint8Array {
  const m = new Uint8Array(8 + digest.length + salt.length)
  m.set(digest, 8)
  m.set(salt, 8 + digest.length)
  return hash(m)
}

/**
 * EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with MGF1 over `hash` (the hash `digest` was made with).
 * `emBits` is the modulus length in bits minus one; the result is ⌈emBits/8⌉ bytes.
 */
export function emsaPssEncode(hash: Hash, digest: Uint8Array, salt: Uint8Array, emBits: number): Uint8Array {
  const hashLength = digest.length
  const emLength = Math.ceil(emBits / 8)
  if (emLength < hashLength + salt.length + 2) throw new RangeError('modulus too short for PSS')
  const h = pssHash(hash, digest, salt)
  const dbLength = emLength - hashLength - 1
  // DB = PS ‖ 0x01 ‖ salt, masked in place.
  const em = new Uint8Array(emLength)
  em[dbLength - salt.length - 1] = 1
  em.set(salt, dbLength - salt.length)
  const mask = mgf1(hash, hashLength, h, dbLength)
  for (let i = 0; i < dbLength; i++) em[i]! ^= mask[i]!
  em[0]! &= 0xff >>> (8 * emLength - emBits)
  em.set(h, dbLength)
  em[emLength - 1] = 0xbc
  return em
}

/** EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with MGF1 over `hash` and a salt exactly as long as the digest. */
export function emsaPssVerify(hash: Hash, digest: Uint8Array, em: Uint8Array, emBits: number): boolean {
  const hashLength = digest.length
  const saltLength = hashLength
  const emLength = Math.ceil(emBits / 8)
  if (em.length !== emLength || emLength < hashLength + saltLength + 2) return false
  if (em[emLength - 1] !== 0xbc) return false
  const dbLength = emLength - hashLength - 1
  const topMask = 0xff >>> (8 * emLength - emBits)
  if ((em[0]! & ~topMask) !== 0) return false
  const h = em.subarray(dbLength, dbLength + hashLength)
  const db = mgf1(hash, hashLength, h, dbLength)
  for (let i = 0; i < dbLength; i++) db[i]! ^= em[i]!
  db[0]! &= topMask
  const separator = dbLength - saltLength - 1
  for (let i = 0; i < separator; i++) if (db[i] !== 0) return false
  if (db[separator] !== 1) return false
  const expected = pssHash(hash, digest, db.subarray(dbLength - saltLength))
  // Public data only (signature, digest, public key): no constant-time comparison needed.
  for (let i = 0; i < hashLength; i++) if (expected[i] !== h[i]) return false
  return true
}
