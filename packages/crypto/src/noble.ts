/**
 * The pure-JS provider on @noble/ciphers and @noble/hashes (audited, dependency-free),
 * for runtimes without `node:crypto`: browsers, workers, React Native. It never imports
 * `node:crypto`; randomness comes from Web Crypto's `getRandomValues`.
 *
 * ```ts
 * import { nobleCryptoProvider } from '@strongroom/crypto/noble'
 * const crypto = nobleCryptoProvider()
 * const opened = crypto.aesGcmDecrypt(key, nonce, sealed, aad) // undefined if not authentic
 * ```
 *
 * Standards: AES-GCM NIST SP 800-38D, SHA-256 FIPS 180-4, HMAC RFC 2104, HKDF RFC 5869,
 * scrypt RFC 7914. Same validation and same bytes as the node provider (test/crosstest).
 * Asymmetric keys (EC_P256, EC_P256K, ED25519 on @noble/curves; no RSA): noble-asymmetric.ts,
 * loaded at first use (`loadAsymmetric()`, lazy.ts): a page that only encrypts never fetches it.
 */
import { gcm } from '@noble/ciphers/aes.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { scryptAsync } from '@noble/hashes/scrypt.js'
import { sha224, sha256 as nobleSha256, sha384, sha512 } from '@noble/hashes/sha2.js'
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
import { toHex, utf8Encode } from './bytes.js'
import { assertHmacAlgorithm } from './asymmetric.js'
import { lazyModule } from './lazy.js'
import {
  GCM_TAG_LENGTH,
  type AsymmetricKeyPair,
  type AsymmetricKeySpec,
  type CryptoProvider,
  type HmacAlgorithm,
  type RandomSource,
  type ScryptParams,
} from './contract.js'

/** Web Crypto refuses to fill more than 65536 bytes per getRandomValues call (QuotaExceededError). */
const GET_RANDOM_VALUES_MAX = 65536

interface WebCryptoRandom {
  getRandomValues(target: Uint8Array): Uint8Array
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
  assertOutput(output, plaintext.length + GCM_TAG_LENGTH)
  // noble's GCM has no output parameter; it returns a fresh ciphertext ‖ tag we copy once.
  const sealed = gcm(key, nonce, aad).encrypt(plaintext)
  if (output === undefined) return sealed
  output.set(sealed)
  return output
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
  if (sealed.length < GCM_TAG_LENGTH) return undefined
  try {
    // noble verifies the tag before decrypting, so nothing unauthenticated is produced.
    return gcm(key, nonce, aad).decrypt(sealed)
  } catch {
    // Every argument was validated above, so the only failure left is a bad tag.
    return undefined
  }
}

function sha256(data: Uint8Array): Uint8Array {
  assertBytes(data, 'data')
  return nobleSha256(data)
}

function sha256Hex(data: string | Uint8Array): string {
  if (typeof data === 'string') return toHex(nobleSha256(utf8Encode(data)))
  assertBytes(data, 'data')
  return toHex(nobleSha256(data))
}

function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  assertBytes(key, 'key')
  assertBytes(data, 'data')
  return hmac(nobleSha256, key, data)
}

function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  assertHkdf(ikm, salt, info, length)
  return hkdf(nobleSha256, ikm, salt, info, length)
}

async function scrypt(password: Uint8Array, salt: Uint8Array, params: ScryptParams): Promise<Uint8Array> {
  assertScrypt(password, salt, params)
  const { N, r, p, dkLen } = params
  // scryptAsync yields to the event loop every few ms instead of freezing the page.
  return scryptAsync(password, salt, { N, r, p, dkLen, maxmem: scryptMaxmem(params) })
}

function randomFill(target: Uint8Array): Uint8Array {
  assertBytes(target, 'target')
  const webCrypto = (globalThis as { crypto?: Partial<WebCryptoRandom> }).crypto
  // Fail closed: there is no acceptable fallback for a missing CSPRNG.
  if (typeof webCrypto?.getRandomValues !== 'function') {
    throw new Error('no CSPRNG: globalThis.crypto.getRandomValues is unavailable')
  }
  for (let offset = 0; offset < target.length; offset += GET_RANDOM_VALUES_MAX) {
    webCrypto.getRandomValues(target.subarray(offset, offset + GET_RANDOM_VALUES_MAX))
  }
  return target
}

function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  assertBytes(a, 'a')
  assertBytes(b, 'b')
  if (a.length !== b.length) return false
  // Accumulate every difference; no early exit, so time depends only on the length.
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!
  return difference === 0
}

const HMAC_HASHES = { HMAC_SHA_224: sha224, HMAC_SHA_256: nobleSha256, HMAC_SHA_384: sha384, HMAC_SHA_512: sha512 } as const

function hmacSha2(algorithm: HmacAlgorithm, key: Uint8Array, data: Uint8Array): Uint8Array {
  assertHmacAlgorithm(algorithm)
  assertBytes(key, 'key')
  assertBytes(data, 'data')
  return hmac(HMAC_HASHES[algorithm], key, data)
}

/** What this provider implements: everything but RSA. */
const ASYMMETRIC_SPECS: readonly AsymmetricKeySpec[] = Object.freeze(['EC_P256', 'EC_P256K', 'ED25519', 'EC_P384', 'EC_P521'])

const asymmetric = lazyModule(
  () => import('./noble-asymmetric.js'),
  "the noble provider loads its asymmetric operations at first use: await provider.loadAsymmetric() before calling them",
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
  name: 'noble',
  aesGcmEncrypt,
  aesGcmDecrypt,
  sha256,
  sha256Hex,
  hmacSha256,
  hkdfSha256,
  scrypt,
  randomFill,
  timingSafeEqual,
  hmac: hmacSha2,
  asymmetricSpecs: ASYMMETRIC_SPECS,
  loadAsymmetric,
  generateKeyPair,
  publicKeyFromPrivateKey: (spec, privateKey) => asymmetric.loaded().publicKeyFromPrivateKey(spec, privateKey),
  sign: (spec, algorithm, privateKey, input, inputIsDigest) => asymmetric.loaded().sign(spec, algorithm, privateKey, input, inputIsDigest),
  verify: (spec, algorithm, publicKey, input, inputIsDigest, signature) =>
    asymmetric.loaded().verify(spec, algorithm, publicKey, input, inputIsDigest, signature),
  rsaEncrypt: (spec, algorithm, publicKey, plaintext) => asymmetric.loaded().rsaEncrypt(spec, algorithm, publicKey, plaintext),
  rsaDecrypt: (spec, algorithm, privateKey, ciphertext) => asymmetric.loaded().rsaDecrypt(spec, algorithm, privateKey, ciphertext),
})

/** The pure-JS provider. Stateless, so every call returns the same frozen instance. */
export function nobleCryptoProvider(): CryptoProvider {
  return provider
}
