/**
 * The audit trail: one record for every call — allowed or denied, succeeded or failed —
 * hash-chained and anchored by a MAC under a key derived from the root key, so that
 * `verify()` detects any modified, deleted, inserted, reordered or truncated record.
 *
 * ```ts
 * const { records } = await kms.audit.query({ keyId, action: 'Encrypt', limit: 50 })
 * const report = await kms.audit.verify()   // { ok: true, records: 1234 } or { ok: false, seq, problem }
 * ```
 *
 * Records follow the reference model's ActionTrail events (event id, time, action name,
 * principal, region, request id, key, key version, alias, result or error code). They never
 * hold plaintext, data keys, key material, passphrases or ciphertext; encryption-context
 * values are kept `plain`, as an `hmac` under the audit key (default), or `omit`ted.
 *
 * Storage layout (all through the storage contract):
 * - `audit/seg/<first seq, 16 hex digits>`: a segment, the records of one commit as JSON lines;
 * - `audit/head`: first and last sequence number and hash of the chain, with their MAC;
 * - `audit/used/<keyId>`: when a key was last used (derived from the trail, for describeKey).
 *
 * Chain: each record is stored as one line of JSON that includes the previous record's
 * hash (64 zero digits before the first), and `hash(n) = SHA-256(line n without its hash)`; the head's MAC is HMAC-SHA-256 under `HKDF(root, "audit/mac/v1")`.
 * Whoever can write the store but does not hold the root key cannot forge a head, so
 * rewriting, dropping or reordering records — even all of them — is detected.
 *
 * Commit rules: a state change's record is committed atomically with the change (the
 * engine's transaction includes it). Records of other calls (crypto operations, reads,
 * failures) are group-committed: at most `flushIntervalMs` later or once
 * `maxPendingRecords` are waiting. A crash can lose at most those pending records; a clean
 * `close()` loses nothing. If a flush fails, the engine fails closed: every later call is
 * refused with `AuditFailure` until a flush succeeds. With `durability: 'sync'` every call
 * waits for its own record to be committed (concurrent calls share one commit).
 */
import type { EncryptionContext } from '../context.js'

export type AuditContextMode = 'plain' | 'hmac' | 'omit'

export interface AuditOptions {
  /** How encryption-context values are recorded. Default `hmac`. */
  readonly encryptionContext?: AuditContextMode
  /** Group commit: pending records are committed at most this long after their call. Default 100 ms. */
  readonly flushIntervalMs?: number
  /** Group commit: a commit starts as soon as this many records are pending. Default 1024. */
  readonly maxPendingRecords?: number
  /** `group` (default): calls return before their record is committed. `sync`: each call waits for it. */
  readonly durability?: 'group' | 'sync'
}

/** One audit record, as stored, queried, exported and emitted. */
export interface AuditRecord {
  /** Position in the chain, from 1. */
  readonly seq: number
  readonly eventId: string
  /** ISO 8601 UTC with milliseconds. */
  readonly eventTime: string
  /** The action, e.g. `Encrypt` (the reference model's API name). */
  readonly eventName: string
  /** Who called: `root` for the engine owner, the principal name for `kms.as(principal)`, `system` for the engine itself. */
  readonly principal: string
  readonly accountId: string
  readonly region: string
  readonly requestId: string
  /** The key; for a secret operation, the secret's resource name (`acs:kms:<region>:<account>:secret/<name>`). */
  readonly keyId?: string
  /** The key version; for a secret operation, the secret version. */
  readonly keyVersionId?: string
  /** reEncrypt: the key the ciphertext came from (`keyId` is the destination). */
  readonly sourceKeyId?: string
  readonly aliasName?: string
  /** Per the `encryptionContext` setting: plain values, `hmac-sha256:<base64>` values, or absent. */
  readonly encryptionContext?: Readonly<Record<string, string>>
  readonly result: 'Success' | 'Failure'
  readonly errorCode?: string
  /** Hex SHA-256 of the previous record (32 zero bytes before the first). */
  readonly prevHash: string
  readonly hash: string
}

/** What the engine hands over per call; turned into a record (and hashed) at commit time. */
export interface AuditEntry {
  readonly time: number
  readonly eventName: string
  readonly principal: string
  readonly requestId: string
  readonly keyId?: string | undefined
  readonly keyVersionId?: string | undefined
  /** reEncrypt: the key the ciphertext came from (`keyId` is the destination). */
  readonly sourceKeyId?: string | undefined
  readonly aliasName?: string | undefined
  readonly encryptionContext?: EncryptionContext | undefined
  readonly errorCode?: string | undefined
  /** Key use (crypto operations) updates the key's last-used date. */
  readonly keyUse?: boolean | undefined
  /**
   * The context as it will be recorded, fixed when the entry is queued: the caller may
   * reuse and change its context object after the call returns.
   */
  contextJson?: string
}

export interface AuditQuery {
  readonly keyId?: string
  readonly principal?: string
  readonly action?: string
  /** Inclusive, epoch ms or a date string. */
  readonly from?: number | string | Date
  /** Exclusive, epoch ms or a date string. */
  readonly to?: number | string | Date
  /** 1-1000, default 100. */
  readonly limit?: number
  /** `nextCursor` of the previous page. */
  readonly cursor?: string
}

export interface AuditPage {
  readonly records: readonly AuditRecord[]
  readonly nextCursor?: string
}

export type AuditVerification =
  | { readonly ok: true; readonly records: number; readonly firstSeq: number; readonly lastSeq: number }
  | { readonly ok: false; readonly seq: number; readonly problem: string }

export const AUDIT_SEGMENT_PREFIX = 'audit/seg/'
export const AUDIT_HEAD_KEY = 'audit/head'
export const AUDIT_USED_PREFIX = 'audit/used/'

/** The previous hash of the first record ever (64 zero digits). */
export const GENESIS = '0'.repeat(64)
