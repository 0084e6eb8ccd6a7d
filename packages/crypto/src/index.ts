export type { CryptoProvider, ScryptParams } from './provider.js'
export { GCM_NONCE_LENGTH, GCM_TAG_LENGTH } from './provider.js'
export type {
  AsymmetricEncryptionAlgorithm,
  AsymmetricKeyPair,
  AsymmetricKeySpec,
  HmacAlgorithm,
  SigningAlgorithm,
} from './asymmetric.js'
export {
  ASYMMETRIC_KEY_SPECS,
  encryptionAlgorithms,
  HMAC_ALGORITHMS,
  hmacLength,
  isRsaSpec,
  publicKeyPem,
  rsaModulusBits,
  rsaOaepMaxPlaintextLength,
  SIGNING_DIGEST_LENGTH,
  signingAlgorithms,
  UnsupportedAlgorithmError,
} from './asymmetric.js'
export { concatBytes } from './bytes.js'
export { defaultCryptoProvider } from './default.js'
export type { RandomSource } from './random.js'
export { pooledRandom, seededRandom } from './random.js'
