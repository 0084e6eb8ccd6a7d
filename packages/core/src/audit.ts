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
 * Six modules: `audit/records.ts` (what a record is, the storage layout, the options),
 * `audit/encoder.ts` (how a call becomes a stored line), `audit/chain.ts` (one chain: its
 * layout, head, verification, pruning, resealing), `audit/trail.ts` (the engine's own chain
 * and every chain of the store), `audit/query.ts` (reading back, chains merged) and
 * `audit/rekey.ts` (what a root-key change re-MACs).
 */
export * from './audit/records.js'
export { AuditTrail, type AuditAnchor, type AuditCommit, type AuditTrailOptions } from './audit/trail.js'
export { AUDIT_CONTEXT_LABEL, AUDIT_MAC_LABEL, auditHeadsVerify, lastUsedRemac, remacAuditHeads } from './audit/rekey.js'
