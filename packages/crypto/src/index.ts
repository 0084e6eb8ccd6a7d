export type { CryptoProvider, ScryptParams } from './provider.js'
export { GCM_NONCE_LENGTH, GCM_TAG_LENGTH } from './provider.js'
