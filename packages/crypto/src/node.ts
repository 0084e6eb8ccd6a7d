/**
 * The `node:crypto` provider: OpenSSL's AES-NI/CLMUL code paths, the fast path on Node.
 *
 * ```ts
 * import { nodeCryptoProvider } from '@strongroom/crypto/node'
 * const crypto = nodeCryptoProvider()
 * const sealed = crypto.aesGcmEncrypt(key, crypto.randomFill(new Uint8Array(12)), plaintext, aad)
 * ```
 *
 * Standards: AES-GCM NIST SP 800-38D, SHA-256 FIPS 180-4, HMAC RFC 2104, HKDF RFC 5869,
 * scrypt RFC 7914. Results are plain `Uint8Array` views, never Buffers, so callers cannot
 * come to rely on Buffer methods that other providers lack (`toString('hex')` differs).
 * Asymmetric keys (every spec, RSA included): node-asymmetric.ts, loaded at first use
 * (`loadAsymmetric()`, lazy.ts), so a process that only encrypts never parses it.
 */
import * as nodeCrypto from 'node:crypto'
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomFillSync,
  scrypt as scryptCallback,
  timingSafeEqual as nodeTimingSafeEqual,
  type CipherGCMTypes,
} from 'node:crypto'
import {
  assertAesKey,
  assertBytes,
  assertHkdf,
  assertNonce,
  assertOptionalBytes,
  assertOutput,
  assertScrypt,
  scryptMaxmem,
} from './assert.js'
import { assertHmacAlgorithm } from './asymmetric.js'
import { lazyModule } from './lazy.js'
import {
  ASYMMETRIC_KEY_SPECS,
  GCM_TAG_LENGTH,
  type AsymmetricKeyPair,
  type AsymmetricKeySpec,
  type CryptoProvider,
  type HmacAlgorithm,
  type RandomSource,
  type ScryptParams,
} from './contract.js'

const GCM_OPTIONS = { authTagLength: GCM_TAG_LENGTH }

/** A plain Uint8Array over the Buffer's bytes: no copy. */
function view(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

function gcmAlgorithm(key: Uint8Array): CipherGCMTypes {
  return key.length === 32 ? 'aes-256-gcm' : 'aes-128-gcm'
}

function aesGcmEncrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad?: Uint8Array,
  output?: Uint8Array,
): Uint8Array {
  assertAesKey(key)
  assertNonce(nonce)
  assertBytes(plaintext, 'plaintext')
  assertOptionalBytes(aad, 'aad')
  const length = plaintext.length
  assertOutput(output, length + GCM_TAG_LENGTH)
  const out = output ?? new Uint8Array(length + GCM_TAG_LENGTH)
  const cipher = createCipheriv(gcmAlgorithm(key), key, nonce, GCM_OPTIONS)
  if (aad !== undefined) cipher.setAAD(aad)
  // update() has read all of `plaintext` before we write, so `out` may overlap it.
  out.set(cipher.update(plaintext), 0)
  // GCM is a stream mode: final() yields no bytes, it only computes the tag.
  cipher.final()
  out.set(cipher.getAuthTag(), length)
  return out
}

function aesGcmDecrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  sealed: Uint8Array,
  aad?: Uint8Array,
): Uint8Array | undefined {
  assertAesKey(key)
  assertNonce(nonce)
  assertBytes(sealed, 'sealed')
  assertOptionalBytes(aad, 'aad')
  const length = sealed.length - GCM_TAG_LENGTH
  if (length < 0) return undefined
  const decipher = createDecipheriv(gcmAlgorithm(key), key, nonce, GCM_OPTIONS)
  decipher.setAuthTag(sealed.subarray(length))
  if (aad !== undefined) decipher.setAAD(aad)
  // OpenSSL decrypts before it verifies; the plaintext is released only after final().
  const plaintext = decipher.update(sealed.subarray(0, length))
  try {
    decipher.final()
  } catch {
    plaintext.fill(0) // unauthenticated plaintext must not linger
    return undefined
  }
  return view(plaintext)
}

function sha256(data: Uint8Array): Uint8Array {
  assertBytes(data, 'data')
  return view(oneShotDigest !== undefined ? oneShotDigest('sha256', data, 'buffer') : createHash('sha256').update(data).digest())
}

// `crypto.hash` (Node ≥ 20.12) hashes in one call without a Hash object: about twice as fast
// for the short lines the audit trail hashes.
const oneShotHash = (nodeCrypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string }).hash
const oneShotDigest = (nodeCrypto as { hash?: (algorithm: string, data: Uint8Array, encoding: 'buffer') => Buffer }).hash

function sha256Hex(data: string | Uint8Array): string {
  if (typeof data !== 'string') assertBytes(data, 'data')
  return oneShotHash !== undefined ? oneShotHash('sha256', data, 'hex') : createHash('sha256').update(data).digest('hex')
}

function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  assertBytes(key, 'key')
  assertBytes(data, 'data')
  return hmacOf(key, data)
}

const SHA256_BYTES = 32
const SHA256_BLOCK = 64
const ZERO_SALT = new Uint8Array(SHA256_BYTES)
const IPAD = 0x36
const OPAD = 0x5c
/** Messages up to this size are MACed with two one-shot hashes; longer ones stream through a Hmac object. */
const ONE_SHOT_HMAC_MAX = 4096
/** (K ⊕ ipad) ‖ message, then (K ⊕ opad) ‖ inner digest: reused by every call, wiped after each. */
const hmacScratch = new Uint8Array(SHA256_BLOCK + ONE_SHOT_HMAC_MAX)

/**
 * HMAC-SHA-256 (RFC 2104 §2) of `a ‖ b ‖ c`: H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ message)) with
 * two one-shot digests (`crypto.hash`). A `Hmac` object costs OpenSSL 3 a method fetch and
 * a context per call, ≈ 4 µs here, about twice the two digests of a short message, and the
 * engine and the envelope MAC short messages on every call (HKDF is three of them).
 */
function hmacOf(key: Uint8Array, a: Uint8Array, b?: Uint8Array, c?: Uint8Array): Uint8Array {
  const length = a.length + (b?.length ?? 0) + (c?.length ?? 0)
  if (oneShotDigest === undefined || length > ONE_SHOT_HMAC_MAX) {
    const mac = createHmac('sha256', key).update(a)
    if (b !== undefined) mac.update(b)
    if (c !== undefined) mac.update(c)
    return view(mac.digest())
  }
  // Keys longer than a block are hashed first (§2); shorter ones are zero-padded to it.
  const k = key.length > SHA256_BLOCK ? oneShotDigest('sha256', key, 'buffer') : key
  const scratch = hmacScratch
  try {
    scratch.fill(IPAD, 0, SHA256_BLOCK)
    for (let i = 0; i < k.length; i++) scratch[i]! ^= k[i]!
    scratch.set(a, SHA256_BLOCK)
    if (b !== undefined) scratch.set(b, SHA256_BLOCK + a.length)
    if (c !== undefined) scratch.set(c, SHA256_BLOCK + length - c.length)
    const inner = oneShotDigest('sha256', scratch.subarray(0, SHA256_BLOCK + length), 'buffer')
    scratch.fill(OPAD, 0, SHA256_BLOCK)
    for (let i = 0; i < k.length; i++) scratch[i]! ^= k[i]!
    scratch.set(inner, SHA256_BLOCK)
    return view(oneShotDigest('sha256', scratch.subarray(0, SHA256_BLOCK + SHA256_BYTES), 'buffer'))
  } finally {
    scratch.fill(0, 0, SHA256_BLOCK + length)
    if (k !== key) k.fill(0)
  }
}

const COUNTERS = Array.from({ length: 256 }, (_, i) => Uint8Array.of(i))

/**
 * HKDF-SHA-256 (RFC 5869) written out over HMAC: Node 20's `hkdfSync` builds key objects on
 * every call and costs more than the three short HMACs below (measured: ≈ 18 µs against
 * ≈ 12 µs of CPU for 64 bytes). Same output (the RFC vectors in the provider suite check it).
 */
function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  assertHkdf(ikm, salt, info, length)
  // Extract (§2.2): an empty salt means HashLen zero bytes.
  const prk = hmacOf(salt.length === 0 ? ZERO_SALT : salt, ikm)
  // Expand (§2.3): T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i).
  const out = new Uint8Array(length)
  let previous: Uint8Array = ZERO_SALT.subarray(0, 0)
  for (let offset = 0, i = 1; offset < length; i++) {
    const block = hmacOf(prk, previous, info, COUNTERS[i]!)
    out.set(block.subarray(0, Math.min(SHA256_BYTES, length - offset)), offset)
    if (i > 1) previous.fill(0)
    previous = block
    offset += SHA256_BYTES
  }
  prk.fill(0)
  previous.fill(0)
  return out
}

// `async` so that invalid parameters reject the promise rather than throw synchronously.
async function scrypt(password: Uint8Array, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  assertScrypt(password, salt, params)
  const { N, r, p, dkLen } = params
  // The callback form runs on libuv's thread pool and keeps the event loop free.
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, dkLen, { N, r, p, maxmem: scryptMaxmem(params) }, (error, key) => {
      if (error) reject(error)
      else resolve(view(key))
    })
  })
}

function randomFill(target: Uint8Array): Uint8Array {
  assertBytes(target, 'target')
  return randomFillSync(target)
}

function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  assertBytes(a, 'a')
  assertBytes(b, 'b')
  // Lengths are public; node:crypto throws on a mismatch, the contract answers false.
  return a.length === b.length && nodeTimingSafeEqual(a, b)
}

const HMAC_HASHES = { HMAC_SHA_224: 'sha224', HMAC_SHA_256: 'sha256', HMAC_SHA_384: 'sha384', HMAC_SHA_512: 'sha512' } as const

function hmac(algorithm: HmacAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  assertHmacAlgorithm(algorithm)
  assertBytes(key, 'key')
  assertBytes(data, 'data')
  return view(createHmac(HMAC_HASHES[algorithm], key).update(data).digest())
}

const asymmetric = lazyModule(
  () => import('./node-asymmetric.js'),
  "the node provider loads its asymmetric operations at first use: await provider.loadAsymmetric() before calling them",
)

async function loadAsymmetric(): Promise<void> {
  await asymmetric.load()
}

// Draws EC and Ed25519 key seeds from this provider's CSPRNG unless a RandomSource is given;
// loads the asymmetric code first if this is its first use.
function generateKeyPair(spec: AsymmetricKeySpec, random?: RandomSource): Promise<AsymmetricKeyPair> {
  const loaded = asymmetric.peek()
  if (loaded !== undefined) return loaded.generateKeyPair(spec, random, randomFill)
  return asymmetric.load().then((module) => module.generateKeyPair(spec, random, randomFill))
}

const provider: CryptoProvider = Object.freeze<CryptoProvider>({
  name: 'node',
  aesGcmEncrypt,
  aesGcmDecrypt,
  sha256,
  sha256Hex,
  hmacSha256,
  hkdfSha256,
  scrypt,
  randomFill,
  timingSafeEqual,
  hmac,
  asymmetricSpecs: ASYMMETRIC_KEY_SPECS,
  loadAsymmetric,
  generateKeyPair,
  publicKeyFromPrivateKey: (spec, privateKey) => asymmetric.loaded().publicKeyFromPrivateKey(spec, privateKey),
  sign: (spec, algorithm, privateKey, input, inputIsDigest) => asymmetric.loaded().sign(spec, algorithm, privateKey, input, inputIsDigest),
  verify: (spec, algorithm, publicKey, input, inputIsDigest, signature) =>
    asymmetric.loaded().verify(spec, algorithm, publicKey, input, inputIsDigest, signature),
  rsaEncrypt: (spec, algorithm, publicKey, plaintext) => asymmetric.loaded().rsaEncrypt(spec, algorithm, publicKey, plaintext),
  rsaDecrypt: (spec, algorithm, privateKey, ciphertext) => asymmetric.loaded().rsaDecrypt(spec, algorithm, privateKey, ciphertext),
})

/**
 * The `node:crypto` provider. Stateless but for a cache of parsed keys (node-asymmetric.ts),
 * so every call returns the same frozen instance.
 */
export function nodeCryptoProvider(): CryptoProvider {
  return provider
}
