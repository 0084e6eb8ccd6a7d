export { KmsError, ERROR_CODES } from './errors.js'
export type { KmsErrorCode, ErrorKind, KmsErrorOptions } from './errors.js'
export type {
  StorageAdapter, StorageManifest, StoredRecord, Mutation, CommitResult, ScanOptions, ScanPage,
  StorageChange, StorageChangeListener,
} from './storage.js'
