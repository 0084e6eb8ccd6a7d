/**
 * Key states and the pure transitions between them. Each function takes a record (and
 * the request's already-validated values and the time) and returns the next record or
 * throws a KmsError; the engine does all I/O. `KEY_OPERATION_RULES` is the state ×
 * operation matrix: the one place that says what every operation does in every state,
 * read by the engine, by the matrix test and by the README table.
 *
 * ```ts
 * const next = disableKey(record)              // Enabled → Disabled
 * scheduleKeyDeletion(next, 7, clock.now())    // → PendingDeletion until now + 7 days
 * ```
 */
import { DAY_MS } from './clock.js'
import { KmsError, type KmsErrorCode } from './errors.js'
import type { PolicyDocument } from './policy.js'
import {
  MAX_ALIASES_PER_KEY, MAX_TAGS_PER_KEY, MAX_VERSIONS_PER_KEY, isAsymmetricSpec, isHmacSpec, isSymmetricSpec, nextRotationDate,
  type KeyRecord, type KeyState, type KeyVersionRecord,
} from './key-record.js'

/** `allowed`, or the error code the operation fails with in that state. */
export type StateRule = 'allowed' | KmsErrorCode

type Rules = Readonly<Record<KeyState, StateRule>>

const ANY: Rules = { Enabled: 'allowed', Disabled: 'allowed', PendingDeletion: 'allowed', PendingImport: 'allowed' }
const NOT_PENDING_DELETION: Rules = { ...ANY, PendingDeletion: 'Rejected.InvalidState' }
const USE: Rules = {
  Enabled: 'allowed', Disabled: 'Rejected.Disabled', PendingDeletion: 'Rejected.InvalidState', PendingImport: 'Rejected.InvalidState',
}
const TOGGLE: Rules = { ...USE, Disabled: 'allowed' }

/** The reference model's behaviour of every key operation in every key state. */
export const KEY_OPERATION_RULES = {
  describeKey: ANY,
  listKeyVersions: ANY,
  describeKeyVersion: ANY,
  listAliasesByKeyId: ANY,
  listResourceTags: ANY,
  deleteAlias: ANY,
  updateKeyDescription: NOT_PENDING_DELETION,
  tagResource: NOT_PENDING_DELETION,
  untagResource: NOT_PENDING_DELETION,
  createAlias: NOT_PENDING_DELETION,
  updateAlias: NOT_PENDING_DELETION,
  setDeletionProtection: NOT_PENDING_DELETION,
  setKeyPolicy: NOT_PENDING_DELETION,
  getKeyPolicy: ANY,
  updateRotationPolicy: { ...NOT_PENDING_DELETION, PendingImport: 'Rejected.UnsupportedOperation' },
  enableKey: TOGGLE,
  disableKey: TOGGLE,
  scheduleKeyDeletion: { ...NOT_PENDING_DELETION },
  cancelKeyDeletion: {
    Enabled: 'Rejected.InvalidState', Disabled: 'Rejected.InvalidState', PendingDeletion: 'allowed', PendingImport: 'Rejected.InvalidState',
  },
  createKeyVersion: USE,
  encrypt: USE,
  decrypt: USE,
  reEncrypt: USE,
  generateDataKey: USE,
  generateDataKeyWithoutPlaintext: USE,
  generateDataKeyPair: USE,
  generateDataKeyPairWithoutPlaintext: USE,
  exportDataKey: USE,
  generateAndExportDataKey: USE,
  asymmetricSign: USE,
  asymmetricVerify: USE,
  asymmetricEncrypt: USE,
  asymmetricDecrypt: USE,
  getPublicKey: USE,
  generateMac: USE,
  verifyMac: USE,
  getParametersForImport: { ...NOT_PENDING_DELETION },
  importKeyMaterial: { ...NOT_PENDING_DELETION },
  deleteKeyMaterial: { ...TOGGLE },
} as const satisfies Record<string, Rules>

/** What each key-using operation needs of the key's spec and usage (checked after the state rules). */
const USAGE_RULES: Partial<Record<KeyOperation, (r: KeyRecord) => boolean>> = {
  encrypt: (r) => isSymmetricSpec(r.keySpec),
  decrypt: (r) => isSymmetricSpec(r.keySpec),
  reEncrypt: (r) => isSymmetricSpec(r.keySpec),
  generateDataKey: (r) => isSymmetricSpec(r.keySpec),
  generateDataKeyWithoutPlaintext: (r) => isSymmetricSpec(r.keySpec),
  generateDataKeyPair: (r) => isSymmetricSpec(r.keySpec),
  generateDataKeyPairWithoutPlaintext: (r) => isSymmetricSpec(r.keySpec),
  exportDataKey: (r) => isSymmetricSpec(r.keySpec),
  generateAndExportDataKey: (r) => isSymmetricSpec(r.keySpec),
  asymmetricSign: (r) => isAsymmetricSpec(r.keySpec) && r.keyUsage === 'SIGN/VERIFY',
  asymmetricVerify: (r) => isAsymmetricSpec(r.keySpec) && r.keyUsage === 'SIGN/VERIFY',
  asymmetricEncrypt: (r) => isAsymmetricSpec(r.keySpec) && r.keyUsage === 'ENCRYPT/DECRYPT',
  asymmetricDecrypt: (r) => isAsymmetricSpec(r.keySpec) && r.keyUsage === 'ENCRYPT/DECRYPT',
  getPublicKey: (r) => isAsymmetricSpec(r.keySpec),
  generateMac: (r) => isHmacSpec(r.keySpec),
  verifyMac: (r) => isHmacSpec(r.keySpec),
}

/** Operations only keys with imported material (origin EXTERNAL) have. */
const IMPORT_OPERATIONS: readonly KeyOperation[] = ['getParametersForImport', 'importKeyMaterial', 'deleteKeyMaterial']

export type KeyOperation = keyof typeof KEY_OPERATION_RULES

const STATE_MESSAGES: Partial<Record<KmsErrorCode, (op: string, r: KeyRecord) => string>> = {
  'Rejected.Disabled': (op, r) => `${op}: key ${r.keyId} is Disabled`,
  'Rejected.InvalidState': (op, r) => `${op}: key ${r.keyId} is ${r.keyState}`,
  'Rejected.UnsupportedOperation': (op, r) => `${op}: not supported for key ${r.keyId} (origin ${r.origin})`,
}

/**
 * Throws the rule's error when `operation` is not allowed in the record's state, then
 * InvalidKeyUsage when the key's spec or usage cannot do it (an HMAC key cannot encrypt),
 * and Rejected.UnsupportedOperation for import operations on generated keys.
 */
export function requireState(operation: KeyOperation, record: KeyRecord): void {
  const rule: StateRule = KEY_OPERATION_RULES[operation][record.keyState]
  if (rule !== 'allowed') throw new KmsError(rule, STATE_MESSAGES[rule]?.(operation, record))
  const usage = USAGE_RULES[operation]
  if (usage !== undefined && !usage(record)) {
    throw new KmsError('InvalidKeyUsage', `${operation}: key ${record.keyId} is a ${record.keySpec} key for ${record.keyUsage}`)
  }
  if (IMPORT_OPERATIONS.includes(operation) && record.origin !== 'EXTERNAL') {
    throw new KmsError('Rejected.UnsupportedOperation', `${operation}: key ${record.keyId} has generated material (origin Aliyun_KMS), nothing is imported`)
  }
}

export function enableKey(r: KeyRecord): KeyRecord {
  requireState('enableKey', r)
  return r.keyState === 'Enabled' ? r : { ...r, keyState: 'Enabled' }
}

export function disableKey(r: KeyRecord): KeyRecord {
  requireState('disableKey', r)
  return r.keyState === 'Disabled' ? r : { ...r, keyState: 'Disabled' }
}

export function scheduleKeyDeletion(r: KeyRecord, pendingWindowInDays: number, now: number): KeyRecord {
  requireState('scheduleKeyDeletion', r)
  if (r.deletionProtection) {
    throw new KmsError('Forbidden.DeletionProtected', `key ${r.keyId} has deletion protection enabled`)
  }
  return { ...r, keyState: 'PendingDeletion', deleteDate: now + pendingWindowInDays * DAY_MS }
}

/** Back to a usable state: Enabled (the reference model's rule), or PendingImport when there is no material. */
export function cancelKeyDeletion(r: KeyRecord): KeyRecord {
  requireState('cancelKeyDeletion', r)
  const { deleteDate: _deleteDate, ...rest } = r
  return { ...rest, keyState: r.versions.length === 0 ? 'PendingImport' : 'Enabled' }
}

export function setDeletionProtection(r: KeyRecord, enabled: boolean, description: string | undefined): KeyRecord {
  requireState('setDeletionProtection', r)
  const { deletionProtectionDescription: _old, ...rest } = r
  return enabled
    ? { ...rest, deletionProtection: true, ...(description === undefined ? {} : { deletionProtectionDescription: description }) }
    : { ...rest, deletionProtection: false }
}

/** `text`: the document as the caller wrote it, kept to be given back as written (else the normalised form is). */
export function setKeyPolicy(r: KeyRecord, policy: PolicyDocument, text?: string): KeyRecord {
  requireState('setKeyPolicy', r)
  const { keyPolicyText: _previous, ...rest } = r
  return { ...rest, keyPolicy: policy, ...(text === undefined ? {} : { keyPolicyText: text }) }
}

export function updateKeyDescription(r: KeyRecord, description: string): KeyRecord {
  requireState('updateKeyDescription', r)
  return { ...r, description }
}

/**
 * Appends a version and makes it primary. `rotation` marks versions made by rotation
 * (every version after the first), which moves `lastRotationDate`.
 */
export function addKeyVersion(r: KeyRecord, version: KeyVersionRecord, operation: 'createKeyVersion' | 'rotate'): KeyRecord {
  if (operation === 'createKeyVersion') requireState('createKeyVersion', r)
  if (r.origin === 'EXTERNAL') {
    throw new KmsError('Rejected.UnsupportedOperation', `key ${r.keyId} has imported material and cannot create versions`)
  }
  if (r.versions.length >= MAX_VERSIONS_PER_KEY) {
    throw new KmsError('LimitExceeded', `key ${r.keyId} already has ${MAX_VERSIONS_PER_KEY} versions`)
  }
  // The version records what made it, so rotation history can tell on-demand from scheduled.
  const rotated: KeyVersionRecord = { ...version, rotation: operation === 'createKeyVersion' ? 'manual' : 'automatic' }
  return { ...r, versions: [...r.versions, rotated], lastRotationDate: version.creationDate }
}

export function updateRotationPolicy(r: KeyRecord, intervalMs: number | undefined): KeyRecord {
  requireState('updateRotationPolicy', r)
  if (r.origin === 'EXTERNAL') {
    throw new KmsError('Rejected.UnsupportedOperation', `key ${r.keyId} has imported material and cannot rotate automatically`)
  }
  if (intervalMs !== undefined && !isSymmetricSpec(r.keySpec)) {
    throw new KmsError('Rejected.UnsupportedOperation', `${r.keySpec} keys do not rotate automatically (createKeyVersion rotates them by hand)`)
  }
  const { rotationIntervalMs: _old, ...rest } = r
  return intervalMs === undefined ? rest : { ...rest, rotationIntervalMs: intervalMs }
}

export function tagKey(r: KeyRecord, tags: Readonly<Record<string, string>>): KeyRecord {
  requireState('tagResource', r)
  const merged = { ...r.tags, ...tags }
  if (Object.keys(merged).length > MAX_TAGS_PER_KEY) {
    throw new KmsError('LimitExceeded', `a key has at most ${MAX_TAGS_PER_KEY} tags`)
  }
  return { ...r, tags: merged }
}

export function untagKey(r: KeyRecord, tagKeys: readonly string[]): KeyRecord {
  requireState('untagResource', r)
  const tags = { ...r.tags }
  for (const k of tagKeys) delete tags[k]
  return { ...r, tags }
}

export function addAlias(r: KeyRecord, aliasName: string, operation: 'createAlias' | 'updateAlias'): KeyRecord {
  requireState(operation, r)
  if (r.aliases.includes(aliasName)) return r
  if (r.aliases.length >= MAX_ALIASES_PER_KEY) {
    throw new KmsError('LimitExceeded', `a key has at most ${MAX_ALIASES_PER_KEY} aliases`)
  }
  return { ...r, aliases: [...r.aliases, aliasName].sort() }
}

/** Removing an alias is allowed in every state (deleteAlias, or updateAlias moving it away). */
export function removeAlias(r: KeyRecord, aliasName: string): KeyRecord {
  return { ...r, aliases: r.aliases.filter((a) => a !== aliasName) }
}

/** The pending window has ended: the key must be purged before anything else happens to it. */
export function isPurgeDue(r: KeyRecord, now: number): boolean {
  return r.keyState === 'PendingDeletion' && r.deleteDate! <= now
}

/** Automatic rotation is due (only Enabled keys rotate, as in the reference model). */
export function isRotationDue(r: KeyRecord, now: number): boolean {
  if (r.keyState !== 'Enabled') return false
  const next = nextRotationDate(r)
  return next !== undefined && next <= now
}

/** Imported material has reached its expiry: the key must return to PendingImport first. */
export function isMaterialExpiryDue(r: KeyRecord, now: number): boolean {
  return r.materialExpireTime !== undefined && r.materialExpireTime <= now && r.versions.length > 0
}

/** Erases imported material (deleteKeyMaterial, or its expiry): the key awaits an import again. */
export function removeKeyMaterial(r: KeyRecord, operation: 'deleteKeyMaterial' | 'expire'): KeyRecord {
  if (operation === 'deleteKeyMaterial') requireState('deleteKeyMaterial', r)
  const { materialExpireTime: _expiry, ...rest } = r
  return { ...rest, versions: [], keyState: r.keyState === 'PendingDeletion' ? 'PendingDeletion' : 'PendingImport' }
}

/**
 * Installs imported material as the key's one version (first import or re-import after
 * deletion: PendingImport → Enabled), or, when the same material is already installed,
 * only sets its new expiry.
 */
export function importKeyMaterial(r: KeyRecord, version: KeyVersionRecord, fingerprint: string, expireTime: number | undefined): KeyRecord {
  requireState('importKeyMaterial', r)
  const { materialExpireTime: _old, ...rest } = r
  const expiry = expireTime === undefined ? {} : { materialExpireTime: expireTime }
  if (r.versions.length > 0) return { ...rest, ...expiry }
  return {
    ...rest, ...expiry, versions: [version], importedVersionId: version.keyVersionId, importedMaterialFingerprint: fingerprint,
    keyState: r.keyState === 'PendingImport' ? 'Enabled' : r.keyState,
  }
}
