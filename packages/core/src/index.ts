export { Kms, MAX_ENCRYPT_PLAINTEXT_BYTES } from './kms.js'
export type { KmsOptions, KmsClient, KmsAudit, AuditAnchor, KmsVerification } from './kms.js'
export type { StoreVerification } from './sealed-storage.js'
export { OPERATIONS } from './call.js'
export type { OperationName } from './call.js'
export type {
  AuditRecord, AuditQuery, AuditPage, AuditVerification, AuditOptions, AuditContextMode,
} from './audit.js'
export { parsePolicyDocument, evaluate, wildcardMatch } from './policy.js'
export type {
  PolicyDocument, PolicyStatement, PolicyKind, PolicyEffect, PolicyCondition, ConditionOperator, AuthorizationRequest, Decision,
  PolicyAttachment, PolicyPrincipal, PolicyVersion,
} from './policy.js'
export { IAM_POLICY_VERSIONS } from './policy.js'
export { GRANT_OPERATIONS, MAX_GRANTS_PER_KEY, MAX_GRANT_TOKENS } from './grant-store.js'
export type { GrantOperation, GrantConstraints } from './grant-store.js'
export type * from './api.js'
export { KmsError, ERROR_CODES } from './errors.js'
export type { KmsErrorCode, ErrorKind, KmsErrorOptions } from './errors.js'
export { EVERYTHING_CHANGED } from './storage.js'
export { ChangeListeners } from './change-listeners.js'
export { assertValidMutations, isValidStorageKey, validScanOptions, DEFAULT_SCAN_LIMIT, MAX_SCAN_LIMIT } from './storage-validate.js'
export type { MalformedCode } from './storage-validate.js'
export type {
  StorageAdapter, StorageManifest, StoredRecord, Mutation, CommitResult, ScanOptions, ScanPage,
  StorageChange, StorageChangeListener,
} from './storage.js'
export { passphraseRootKey, rawRootKey, ephemeralRootKey } from './root-key.js'
export type { RootKeyProvider, RootKeyContext, RootKeyParams, PassphraseOptions, JsonValue } from './root-key.js'
export { ManualClock, systemClock, DAY_MS } from './clock.js'
export type { Clock } from './clock.js'
export { encodeEncryptionContext, MAX_ENCRYPTION_CONTEXT_BYTES } from './context.js'
export type { EncryptionContext } from './context.js'
export { parseBlob, BLOB_FORMAT_VERSION, BLOB_OVERHEAD, BLOB_HEADER_LENGTH, MESSAGES_PER_EPOCH } from './blob.js'
export type { ParsedBlob } from './blob.js'
export { KEY_OPERATION_RULES } from './transitions.js'
export type { KeyOperation, StateRule } from './transitions.js'
export { KEY_STATES, KEY_SPECS } from './key-record.js'
export type { KeyState, KeySpec, KeyUsage, KeyOrigin } from './key-record.js'
export type {
  KmsEvents, KmsEventEmitter, KeyCreatedEvent, KeyStateChangedEvent, KeyVersionCreatedEvent, KeyUpdatedEvent,
  KeyPurgedEvent, AliasChangedEvent, SecretChangedEvent,
} from './events.js'
export { seededRandom, pooledRandom } from '@strongroom/crypto'
/** The digest length asymmetricSign/Verify take with each algorithm (32, 48 or 64 bytes). */
export { signingDigestLength } from '@strongroom/crypto'
export type { RandomSource, CryptoProvider } from '@strongroom/crypto'
export { backupKeystore, collectBackup, restoreKeystore, BACKUP_FORMAT_VERSION } from './backup.js'
export type { BackupOptions, RestoreOptions, BackupSource, BackupInfo } from './backup.js'
export { secretCache } from './secret-cache.js'
export type { SecretCache, SecretCacheOptions } from './secret-cache.js'
export { MAX_SECRET_DATA_BYTES } from './secret-record.js'
