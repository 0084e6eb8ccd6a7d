/**
 * Preconditions shared by every provider, so all of them reject the same misuse with the
 * same error type: TypeError for a wrong kind of argument, RangeError for a wrong size.
 * Internal (not exported from the package). Messages name the parameter and its length,
 * never its bytes.
 *
 * ```ts
 * assertBytes(nonce, 'nonce')  // TypeError unless a Uint8Array (Buffer counts)
 * assertAesKey(key)            // RangeError unless 16 or 32 bytes
 * ```
 */
import { GCM_NONCE_LENGTH, type ScryptParams } from './contract.js'

/** Largest HKDF-SHA-256 output (RFC 5869 §2.3: L ≤ 255 × HashLen). */
export const HKDF_MAX_LENGTH = 255 * 32
/**
 * Largest HKDF `info` accepted. OpenSSL (hence node:crypto) refuses more than 1024 bytes;
 * every provider enforces the same limit so a value accepted by one is accepted by all.
 */
export const HKDF_MAX_INFO_LENGTH = 1024

/** Precondition: `value` is a Uint8Array. Also accepts one from another realm (iframe, vm). */
export function assertBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (value instanceof Uint8Array) return
  if (ArrayBuffer.isView(value) && value.constructor.name === 'Uint8Array') return
  throw new TypeError(`${name} must be a Uint8Array`)
}

/** Precondition: an AES-128 or AES-256 key. AES-192 is deliberately not offered. */
export function assertAesKey(key: unknown): asserts key is Uint8Array {
  assertBytes(key, 'key')
  if (key.length !== 16 && key.length !== 32) {
    throw new RangeError(`key must be 16 or 32 bytes, got ${key.length}`)
  }
}

/** Precondition: a 96-bit nonce, the only length GCM processes without GHASH-ing the IV (SP 800-38D §8.2). */
export function assertNonce(nonce: unknown): asserts nonce is Uint8Array {
  assertBytes(nonce, 'nonce')
  if (nonce.length !== GCM_NONCE_LENGTH) {
    throw new RangeError(`nonce must be ${GCM_NONCE_LENGTH} bytes, got ${nonce.length}`)
  }
}

/** Precondition: AAD is absent or bytes. */
export function assertOptionalBytes(value: unknown, name: string): asserts value is Uint8Array | undefined {
  if (value !== undefined) assertBytes(value, name)
}

/** Precondition: the caller's output buffer has exactly the length the result needs. */
export function assertOutput(output: unknown, length: number): asserts output is Uint8Array | undefined {
  if (output === undefined) return
  assertBytes(output, 'output')
  if (output.length !== length) {
    throw new RangeError(`output must be ${length} bytes, got ${output.length}`)
  }
}

/** Precondition: an integer in [min, max]. */
export function assertInteger(value: unknown, name: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number') throw new TypeError(`${name} must be a number`)
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`)
  }
}

/** Preconditions of HKDF-SHA-256 (RFC 5869). */
export function assertHkdf(ikm: unknown, salt: unknown, info: unknown, length: unknown): void {
  assertBytes(ikm, 'ikm')
  assertBytes(salt, 'salt')
  assertBytes(info, 'info')
  if (info.length > HKDF_MAX_INFO_LENGTH) {
    throw new RangeError(`info must be at most ${HKDF_MAX_INFO_LENGTH} bytes, got ${info.length}`)
  }
  assertInteger(length, 'length', 1, HKDF_MAX_LENGTH)
}

/**
 * Preconditions of scrypt (RFC 7914 §2): N a power of two > 1 and N < 2^(128·r/8),
 * r·p < 2^30, dkLen ≥ 1. Resource policy (how large N may be) belongs to the caller.
 */
export function assertScrypt(password: unknown, salt: unknown, params: ScryptParams): void {
  assertBytes(password, 'password')
  assertBytes(salt, 'salt')
  if (typeof params !== 'object' || params === null) throw new TypeError('params must be an object')
  const { N, r, p, dkLen } = params
  assertInteger(r, 'r', 1, 2 ** 30 - 1)
  assertInteger(p, 'p', 1, 2 ** 30 - 1)
  if (r * p >= 2 ** 30) throw new RangeError('r * p must be below 2^30')
  assertInteger(N, 'N', 2, 2 ** 52)
  if (!isPowerOfTwo(N)) throw new RangeError(`N must be a power of two, got ${N}`)
  if (N >= 2 ** (16 * r)) throw new RangeError('N must be below 2^(16 * r)')
  assertInteger(dkLen, 'dkLen', 1, (2 ** 32 - 1) * 32)
}

/**
 * Generous scrypt memory ceiling: twice what OpenSSL allocates, 128·r·(N + p + 2) bytes
 * (V, B and the XY scratch). 128·N·r·p·2 is not enough for tiny N: N=2, r=p=1 needs 640.
 * noble needs 128·r·(N + p), below this. Resource policy is the caller's.
 */
export function scryptMaxmem({ N, r, p }: ScryptParams): number {
  return Math.min(2 * 128 * r * (N + p + 2), Number.MAX_SAFE_INTEGER)
}

// Division, not bit tricks: `&` truncates to 32 bits and N may be larger.
function isPowerOfTwo(n: number): boolean {
  while (n > 1 && n % 2 === 0) n /= 2
  return n === 1
}
