export { Envelope } from './envelope.js'
export type { EnvelopeOptions, SealOptions, StreamSealOptions, OpenOptions, OpenResult, OpenedInfo } from './envelope.js'
export type { EnvelopeKms } from './materials.js'
export { EnvelopeSealer, EnvelopeOpener } from './streaming.js'
export { readEnvelopeHeader } from './info.js'
export type { EnvelopeInfo } from './info.js'
export { DataKeyCache, UnwrapCache } from './cache.js'
export type { DataKeyCacheOptions, UnwrapCacheOptions, CacheStats } from './cache.js'
export {
  ENVELOPE_FORMAT_VERSION, DEFAULT_FRAME_SIZE, MIN_FRAME_SIZE, MAX_FRAME_SIZE, MAX_RECIPIENTS, MAX_HEADER_BYTES,
  FRAME_OVERHEAD, framedLength,
} from './format.js'
