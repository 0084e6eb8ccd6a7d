/**
 * Secrets: one metadata record per secret (name, master key, tags, versions and their
 * stages, deletion and rotation state) and one value record per version (the envelope-
 * encrypted value). Stages live in the metadata record only, so moving them is one commit.
 * State changes are pure functions `(record, …, now) → record`; `assertSecretRecord` is the
 * one invariant every stored record satisfies.
 *
 * ```ts
 * const next = addSecretVersion(record, { versionId: 'v2', dataType: 'text' }, ['ACSCurrent'], now)
 * // v2 is ACSCurrent, the former ACSCurrent is ACSPrevious, versions beyond 10 are dropped
 * ```
 *
 * Limits follow the reference model (Alibaba Cloud KMS 2016-01-20, generic secrets): names
 * of 1-192 characters, values up to 30720 bytes, at most 10 versions (the oldest version
 * without a stage goes first), at most 7 stages per version, recovery window 7-30 days.
 */
import { DAY_MS } from './clock.js'
import { utf8Decode, utf8Encode } from './bytes.js'
import { KmsError } from './errors.js'

export const SECRET_RECORD_SCHEMA = 1
export const CURRENT_STAGE = 'ACSCurrent'
export const PREVIOUS_STAGE = 'ACSPrevious'
export const MAX_SECRET_DATA_BYTES = 30720
export const MAX_SECRET_VERSIONS = 10
export const MAX_STAGES_PER_VERSION = 7
export const MAX_TAGS_PER_SECRET = 20
export const MIN_RECOVERY_WINDOW_DAYS = 7
export const MAX_RECOVERY_WINDOW_DAYS = 30
export const DEFAULT_RECOVERY_WINDOW_DAYS = 30
/** Automatic rotation of secrets: 6 hours to 365 days, as the reference model allows. */
export const MIN_SECRET_ROTATION_MS = 6 * 3_600_000
export const MAX_SECRET_ROTATION_MS = 365 * DAY_MS

export type SecretDataType = 'text' | 'binary'
export const SECRET_DATA_TYPES: readonly SecretDataType[] = ['text', 'binary']

/** Letters, digits and `_ / + = . @ -`, 1-192 characters; `acs/` is reserved, as in the reference model. */
const SECRET_NAME_PATTERN = /^[A-Za-z0-9_/+=.@-]{1,192}$/
/** Version ids and stages: letters, digits and `_ . -`, 1-64 characters (no `/`: they end storage keys). */
const LABEL_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/

export interface SecretVersionRecord {
  readonly versionId: string
  readonly creationDate: number
  readonly dataType: SecretDataType
  /** Stage labels on this version, e.g. `ACSCurrent`; none means deprecated. */
  readonly stages: readonly string[]
}

export interface SecretRecord {
  readonly schema: typeof SECRET_RECORD_SCHEMA
  readonly secretName: string
  readonly region: string
  readonly account: string
  readonly secretType: 'Generic'
  readonly description: string
  /** The master key (id) every version's data key is wrapped under. */
  readonly encryptionKeyId: string
  /** True when that key is the engine's default secrets key (no key permission asked of callers). */
  readonly defaultKey: boolean
  readonly creationDate: number
  readonly updateDate: number
  readonly tags: Readonly<Record<string, string>>
  /** Oldest first. */
  readonly versions: readonly SecretVersionRecord[]
  /** Set while deletion is pending: when the secret is purged. */
  readonly deleteDate?: number
  readonly rotationIntervalMs?: number
  readonly lastRotationDate?: number
}

/** `secret/<region>/<name>`: the metadata; `secret-value/<region>/<name>#<versionId>`: one version's value. */
export const SECRET_RECORD_PREFIX = 'secret/'
export const SECRET_VALUE_PREFIX = 'secret-value/'

export function secretStorageKey(region: string, secretName: string): string {
  return `${SECRET_RECORD_PREFIX}${region}/${secretName}`
}

export function secretValueStorageKey(region: string, secretName: string, versionId: string): string {
  return `${SECRET_VALUE_PREFIX}${region}/${secretName}#${versionId}`
}

export function secretArn(region: string, account: string, secretName: string): string {
  return `acs:kms:${region}:${account}:secret/${secretName}`
}

/** Validates a secret name (InvalidParameter); `acs/` names are the reference model's managed secrets. */
export function secretNameParam(value: unknown, forCreate = false): string {
  if (value === undefined) throw new KmsError('InvalidParameter', 'secretName is required')
  if (typeof value !== 'string') throw new TypeError('secretName must be a string')
  if (!SECRET_NAME_PATTERN.test(value)) {
    throw new KmsError('InvalidParameter', 'secretName must be 1-192 of letters, digits, _ / + = . @ -')
  }
  if (forCreate && value.startsWith('acs/')) throw new KmsError('InvalidParameter', 'the acs/ prefix of secret names is reserved')
  return value
}

/** A version id or stage label: 1-64 of letters, digits, `_ . -`. */
export function labelParam(value: unknown, name: string): string {
  if (value === undefined) throw new KmsError('InvalidParameter', `${name} is required`)
  if (typeof value !== 'string') throw new TypeError(`${name} must be a string`)
  if (!LABEL_PATTERN.test(value)) throw new KmsError('InvalidParameter', `${name} must be 1-64 of letters, digits, _ . -`)
  return value
}

export function isPendingDeletion(record: SecretRecord): boolean {
  return record.deleteDate !== undefined
}

export function isSecretPurgeDue(record: SecretRecord, now: number): boolean {
  return record.deleteDate !== undefined && record.deleteDate <= now
}

export function nextSecretRotationDate(record: SecretRecord): number | undefined {
  if (record.rotationIntervalMs === undefined) return undefined
  return (record.lastRotationDate ?? record.creationDate) + record.rotationIntervalMs
}

export function isSecretRotationDue(record: SecretRecord, now: number): boolean {
  const due = nextSecretRotationDate(record)
  return due !== undefined && due <= now && !isPendingDeletion(record)
}

export function versionWithStage(record: SecretRecord, stage: string): SecretVersionRecord | undefined {
  return record.versions.find((v) => v.stages.includes(stage))
}

export function findVersion(record: SecretRecord, versionId: string): SecretVersionRecord | undefined {
  return record.versions.find((v) => v.versionId === versionId)
}

/**
 * The invariant of every stored secret: unique version ids, each stage on at most one
 * version, exactly one ACSCurrent, the version and stage limits, and well-formed labels.
 */
export function assertSecretRecord(record: SecretRecord): void {
  const fail = (why: string): never => {
    throw new KmsError('CorruptRecord', `secret ${record.secretName}: ${why}`)
  }
  if (record.schema !== SECRET_RECORD_SCHEMA) fail('unknown schema')
  if (!SECRET_NAME_PATTERN.test(record.secretName)) fail('malformed name')
  if (!Array.isArray(record.versions) || record.versions.length === 0 || record.versions.length > MAX_SECRET_VERSIONS) fail('bad version count')
  const ids = new Set<string>()
  const stages = new Set<string>()
  for (const v of record.versions) {
    if (!LABEL_PATTERN.test(v.versionId) || ids.has(v.versionId)) fail('duplicate or malformed version id')
    ids.add(v.versionId)
    if (!SECRET_DATA_TYPES.includes(v.dataType)) fail('unknown data type')
    if (v.stages.length > MAX_STAGES_PER_VERSION) fail('too many stages on a version')
    for (const s of v.stages) {
      if (!LABEL_PATTERN.test(s) || stages.has(s)) fail(`stage ${s} is malformed or on two versions`)
      stages.add(s)
    }
  }
  if (!stages.has(CURRENT_STAGE)) fail('no version is ACSCurrent')
  if (Object.keys(record.tags).length > MAX_TAGS_PER_SECRET) fail('too many tags')
}

export function encodeSecretRecord(record: SecretRecord): Uint8Array {
  assertSecretRecord(record)
  return utf8Encode(JSON.stringify(record))
}

export function decodeSecretRecord(value: Uint8Array, storageKey: string): SecretRecord {
  let record: SecretRecord
  try {
    record = JSON.parse(utf8Decode(value)) as SecretRecord
  } catch (cause) {
    throw new KmsError('CorruptRecord', `secret record ${storageKey} is unreadable`, { cause })
  }
  if (record === null || typeof record !== 'object' || storageKey !== secretStorageKey(record.region, record.secretName)) {
    throw new KmsError('CorruptRecord', `secret record ${storageKey} is inconsistent`)
  }
  assertSecretRecord(record)
  return record
}

/** Removes `stages` from every version (a stage names one version at a time). */
function withoutStages(versions: readonly SecretVersionRecord[], stages: readonly string[]): SecretVersionRecord[] {
  return versions.map((v) => (v.stages.some((s) => stages.includes(s)) ? { ...v, stages: v.stages.filter((s) => !stages.includes(s)) } : v))
}

/**
 * When ACSCurrent moves to another version, the version that had it becomes ACSPrevious
 * (and ACSPrevious leaves the version before), as in the reference model.
 */
function demoteCurrent(versions: SecretVersionRecord[], targetVersionId: string): SecretVersionRecord[] {
  const current = versions.find((v) => v.stages.includes(CURRENT_STAGE))
  if (current === undefined || current.versionId === targetVersionId) return versions
  const cleared = withoutStages(versions, [PREVIOUS_STAGE])
  return cleared.map((v) => (v.versionId === current.versionId ? { ...v, stages: [...v.stages.filter((s) => s !== CURRENT_STAGE), PREVIOUS_STAGE] } : v))
}

/**
 * Adds a version carrying `stages`; returns the record and the ids of versions dropped to
 * stay within MAX_SECRET_VERSIONS (oldest without a stage first; their values are deleted).
 */
export function addSecretVersion(
  record: SecretRecord, version: Omit<SecretVersionRecord, 'stages' | 'creationDate'>, stages: readonly string[], now: number,
): { record: SecretRecord; dropped: string[] } {
  if (findVersion(record, version.versionId) !== undefined) throw new KmsError('AlreadyExists', `secret ${record.secretName} already has version ${version.versionId}`)
  let versions = [...record.versions]
  if (stages.includes(CURRENT_STAGE)) versions = demoteCurrent(versions, version.versionId)
  versions = withoutStages(versions, stages)
  versions.push({ ...version, creationDate: now, stages: [...stages] })
  const dropped: string[] = []
  while (versions.length > MAX_SECRET_VERSIONS) {
    const index = versions.findIndex((v) => v.stages.length === 0)
    if (index < 0) throw new KmsError('LimitExceeded', `secret ${record.secretName} has ${MAX_SECRET_VERSIONS} versions with stages; remove a stage first`)
    dropped.push(versions[index]!.versionId)
    versions.splice(index, 1)
  }
  return { record: { ...record, versions, updateDate: now }, dropped }
}

/**
 * Moves `stage` in one step: off `removeFrom` (must hold it, if given) and onto `moveTo`
 * (if given). ACSCurrent can only be moved, never removed; moving it makes the former
 * current version ACSPrevious.
 */
export function moveSecretStage(record: SecretRecord, stage: string, removeFrom: string | undefined, moveTo: string | undefined, now: number): SecretRecord {
  const holder = versionWithStage(record, stage)
  if (removeFrom !== undefined && holder?.versionId !== removeFrom) {
    throw new KmsError('InvalidParameter', `version ${removeFrom} of secret ${record.secretName} does not have stage ${stage}`)
  }
  if (removeFrom === undefined && moveTo === undefined) throw new KmsError('InvalidParameter', 'removeFromVersion or moveToVersion is required')
  if (moveTo === undefined && stage === CURRENT_STAGE) throw new KmsError('InvalidParameter', 'ACSCurrent can only be moved to another version, not removed')
  if (holder !== undefined && removeFrom === undefined && moveTo !== undefined && holder.versionId !== moveTo) {
    throw new KmsError('InvalidParameter', `stage ${stage} is on version ${holder.versionId}: name it as removeFromVersion to move it`)
  }
  let versions = [...record.versions]
  if (moveTo !== undefined) {
    const target = findVersion(record, moveTo)
    if (target === undefined) throw new KmsError('Forbidden.ResourceNotFound', `secret ${record.secretName} has no version ${moveTo}`)
    if (target.stages.includes(stage)) return record
    if (target.stages.length >= MAX_STAGES_PER_VERSION) throw new KmsError('LimitExceeded', `a version has at most ${MAX_STAGES_PER_VERSION} stages`)
    if (stage === CURRENT_STAGE) versions = demoteCurrent(versions, moveTo)
  }
  versions = withoutStages(versions, [stage])
  if (moveTo !== undefined) versions = versions.map((v) => (v.versionId === moveTo ? { ...v, stages: [...v.stages, stage] } : v))
  return { ...record, versions, updateDate: now }
}

export function scheduleSecretDeletion(record: SecretRecord, days: number, now: number): SecretRecord {
  if (isPendingDeletion(record)) throw new KmsError('Rejected.InvalidState', `secret ${record.secretName} is already pending deletion`)
  return { ...record, deleteDate: now + days * DAY_MS, updateDate: now }
}

export function restoreSecret(record: SecretRecord, now: number): SecretRecord {
  if (!isPendingDeletion(record)) throw new KmsError('Rejected.InvalidState', `secret ${record.secretName} is not pending deletion`)
  const { deleteDate: _, ...rest } = record
  return { ...rest, updateDate: now }
}

/** Usable for reads and writes of values: not pending deletion. */
export function requireActive(record: SecretRecord, operation: string): void {
  if (isPendingDeletion(record)) throw new KmsError('Rejected.InvalidState', `${operation}: secret ${record.secretName} is pending deletion; restore it first`)
}

export function updateSecretRotation(record: SecretRecord, intervalMs: number | undefined, now: number): SecretRecord {
  const { rotationIntervalMs: _, ...rest } = record
  return { ...rest, ...(intervalMs === undefined ? {} : { rotationIntervalMs: intervalMs }), updateDate: now }
}
