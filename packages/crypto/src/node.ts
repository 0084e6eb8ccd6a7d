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
  return view(createHmac('sha256', key).update(data).digest())
}

const SHA256_BYTES = 32
const ZERO_SALT = new Uint8Array(SHA256_BYTES)

/**
 * HKDF-SHA-256 (RFC 5869) written out over HMAC: Node 20's `hkdfSync` builds key objects on
 * every call and costs ~20 µs, the two or three HMACs below a few µs. Same output (the RFC
 * vectors in the provider suite check it).
 */
function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  assertHkdf(ikm, salt, info, length)
  // Extract (§2.2): an empty salt means HashLen zero bytes.
  const prk = createHmac('sha256', salt.length === 0 ? ZERO_SALT : salt).update(ikm).digest()
  // Expand (§2.3): T(i) = HMAC(PRK, T(i-1) ‖ info ‖ i).
  const out = new Uint8Array(length)
  let previous: Uint8Array = new Uint8Array(0)
  for (let offset = 0, i = 1; offset < length; i++) {
    previous = createHmac('sha256', prk).update(previous).update(info).update(new Uint8Array([i])).digest()
    out.set(previous.subarray(0, Math.min(SHA256_BYTES, length - offset)), offset)
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

const HMAC_HASHES = { HMAC_SHA_256: 'sha256', HMAC_SHA_384: 'sha384', HMAC_SHA_512: 'sha512' } as const

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
