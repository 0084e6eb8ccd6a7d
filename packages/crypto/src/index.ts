export type {
  AsymmetricEncryptionAlgorithm,
  AsymmetricKeyPair,
  AsymmetricKeySpec,
  CryptoProvider,
  HmacAlgorithm,
  RandomSource,
  ScryptParams,
  SigningAlgorithm,
} from './contract.js'
export {
  ASYMMETRIC_KEY_SPECS,
  GCM_NONCE_LENGTH,
  GCM_TAG_LENGTH,
  HMAC_ALGORITHMS,
  SIGNING_DIGEST_LENGTH,
  UnsupportedAlgorithmError,
} from './contract.js'
export {
  encryptionAlgorithms,
  hmacLength,
  isRsaSpec,
  publicKeyPem,
  rsaModulusBits,
  rsaOaepMaxPlaintextLength,
  signingAlgorithms,
  signingDigestLength,
  signingHash,
} from './asymmetric.js'
export type { SigningHash } from './asymmetric.js'
export {
  bytesEqual,
  compareBytes,
  concatBytes,
  fromBase64,
  fromHex,
  readUint16,
  readUint32,
  toBase64,
  toHex,
  utf8Decode,
  utf8Encode,
  wipe,
  writeUint16,
  writeUint32,
} from './bytes.js'
export { defaultCryptoProvider } from './default.js'
export { pooledRandom, seededRandom } from './random.js'
export { lazyModule, type LazyModule } from './lazy.js'
export { Lru } from './lru.js'
export type { LruWeight } from './lru.js'
