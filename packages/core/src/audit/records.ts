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
 * Chains: every engine instance appends to a chain of its own (its id, 16 hex digits, is
 * chosen when the engine opens), so engines sharing a store — processes of a fleet — never
 * write the same audit records and never conflict over the trail. `verify()` checks every
 * chain; queries and exports merge them, ordered by time, then chain, then position.
 *
 * Storage layout (all through the storage contract):
 * - `audit/heads/<chain>`: a chain's head, its first and last sequence number and hash, with their MAC;
 * - `audit/chain/<chain>/<first seq, 16 hex digits>`: a segment, the records of one commit as JSON lines;
 * - `audit/head` and `audit/seg/<first seq>`: the first chain (id `0`), where a store kept its
 *   whole trail before engines had chains of their own; verified and queried like the others;
 * - `audit/last-used/<keyId>/<chain>`: when a chain last recorded a use of the key (for
 *   describeKey), MAC'd; `audit/used/<keyId>`: the same from before there were chains.
 *
 * Chain: each record is stored as one line of JSON that includes the previous record's
 * hash (64 zero digits before the first), and `hash(n) = SHA-256(line n without its hash)`; the head's MAC is HMAC-SHA-256 under `HKDF(root, "audit/mac/v1")`,
 * over the chain's id and its ends. Whoever can write the store but does not hold the root
 * key cannot forge a head, so rewriting, dropping or reordering records — even all of a
 * chain's — is detected. A whole chain deleted together with its head is caught against
 * the positions this engine committed or verified, or an anchor kept outside the store
 * (`anchor()` names every chain), as the whole trail deleted always was.
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
  /** The chain that holds the record: `0` for the first chain, otherwise 16 hex digits (one per engine instance). */
  readonly chain: string
  /** Position in its chain, from 1. */
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
  /** The grant that authorized the call, when no policy did (see `createGrant`). */
  readonly grantId?: string
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
  /** The grant that authorized the call, when no policy did. */
  readonly grantId?: string | undefined
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

/** What one chain holds, as `verify()` found it. */
export interface AuditChainSummary {
  readonly chain: string
  readonly records: number
  readonly firstSeq: number
  readonly lastSeq: number
}

/**
 * `records` counts every chain's; `firstSeq`/`lastSeq` are the lowest first and highest
 * last position over the chains (with one chain, exactly its own). A problem names its chain.
 */
export type AuditVerification =
  | { readonly ok: true; readonly records: number; readonly firstSeq: number; readonly lastSeq: number; readonly chains: readonly AuditChainSummary[] }
  | { readonly ok: false; readonly chain: string; readonly seq: number; readonly problem: string }

/** The first chain's segments and head: a store's whole trail before engines had chains of their own. */
export const AUDIT_SEGMENT_PREFIX = 'audit/seg/'
export const AUDIT_HEAD_KEY = 'audit/head'
/** Heads of the other chains, one record each, and their segments under `audit/chain/<chain>/`. */
export const AUDIT_HEADS_PREFIX = 'audit/heads/'
export const AUDIT_CHAIN_PREFIX = 'audit/chain/'
/** Last-use times from before chains (sealed), and per chain (MAC'd, unsealed: appends never move the store digest). */
export const AUDIT_USED_PREFIX = 'audit/used/'
export const AUDIT_LAST_USED_PREFIX = 'audit/last-used/'
/** The id of the first chain. */
export const FIRST_CHAIN = '0'

/** The previous hash of the first record ever (64 zero digits). */
export const GENESIS = '0'.repeat(64)
