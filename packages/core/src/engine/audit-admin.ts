/**
 * The audit trail's administration, for the engine owner only: `kms.audit`. Each entry
 * point refuses when auditing is off or the engine is closed, and commits what is pending
 * first, so a query or an export sees every call made before it.
 *
 * ```ts
 * const { records } = await kms.audit.query({ keyId, limit: 50 })
 * const anchor = await kms.audit.anchor()          // keep outside the store
 * const report = await kms.audit.verify({ anchor })
 * ```
 *
 * Pruning and resealing change the trail itself: each runs in turn with the engine's
 * commits and is recorded as a call of its own (PruneAuditTrail, ResealAuditTrail).
 */
import type { AuditAnchor, AuditPage, AuditQuery, AuditTrail, AuditVerification } from '../audit.js'
import { Call } from '../call.js'
import { KmsError } from '../errors.js'
import { ROOT_PRINCIPAL } from '../policy-store.js'
import { requestObject } from '../validate.js'
import type { Dispatcher } from './dispatcher.js'

export type { AuditAnchor }

/** The trail's administration, for the engine owner only. */
export interface KmsAudit {
  /** Records matching the filter, oldest first, a page at a time. */
  query(query?: AuditQuery): Promise<AuditPage>
  /** Every matching record as JSON lines (each ending in a newline), oldest first. */
  export(query?: Omit<AuditQuery, 'limit' | 'cursor'>): AsyncIterable<string>
  /**
   * Recomputes every chain (one per engine instance that wrote to the store) against its
   * MAC'd head and reports the first problem, its chain and where. A rollback (newer records
   * deleted and an older head put back, or a whole chain deleted) is caught against the
   * newest positions this engine committed or verified, or against an `anchor` you kept.
   */
  verify(options?: { readonly anchor?: AuditAnchor }): Promise<AuditVerification>
  /** Every chain's current end, to keep outside the store for `verify({ anchor })`. */
  anchor(): Promise<AuditAnchor>
  /** Deletes records older than `before` (whole commits at a time), in every chain; the rest still verifies. */
  prune(options: { readonly before: number | string | Date }): Promise<{ readonly removed: number }>
  /**
   * The explicit operator action after the engine refused to extend a head that failed its
   * check (forged, edited, deleted, rolled back): writes a new MAC'd head over each chain
   * that fails its check, as stored, if the chain itself is intact, and records the act
   * (`ResealAuditTrail`). Calls are accepted again afterwards. Run `verify()` first and keep
   * its report. `lastSeq`: the highest end among the chains resealed; `chains`: their ids.
   */
  reseal(): Promise<{ readonly lastSeq: number; readonly chains: readonly string[] }>
  /** Commits every pending record now. */
  flush(): Promise<void>
}

/** `kms.audit`, over the engine's trail. */
export function auditAdministration(engine: Dispatcher): KmsAudit {
  const admin = (): AuditTrail => {
    engine.assertOpen()
    if (engine.audit === undefined) throw new KmsError('Rejected.UnsupportedOperation', 'auditing is turned off for this engine (audit: false)')
    return engine.audit
  }
  const flush = (): Promise<void> => engine.flushAudit()
  return {
    // Async, so that a refusal (audit: false, engine closed) is a rejected promise, not a synchronous throw.
    query: async (query = {}) => admin().query(query, flush),
    export: async function* (query = {}) {
      yield* admin().export(query, flush)
    },
    verify: async (options = {}) => admin().verify(flush, options.anchor),
    anchor: async () => admin().anchor(flush),
    prune: async (options) => prune(engine, admin(), options),
    reseal: async () => reseal(engine, admin()),
    flush,
  }
}

async function prune(engine: Dispatcher, audit: AuditTrail, options: { readonly before: number | string | Date }): Promise<{ removed: number }> {
  requestObject(options, 'audit.prune')
  const before = options.before instanceof Date ? options.before.getTime() : typeof options.before === 'string' ? Date.parse(options.before) : options.before
  if (typeof before !== 'number' || !Number.isFinite(before)) throw new KmsError('InvalidParameter', 'before must be a time')
  await engine.flushAudit()
  const call = new Call('PruneAuditTrail', ROOT_PRINCIPAL, engine.requestId(), engine.clock.now())
  const removed = await engine.keys.exclusive(async () => {
    const retention = await audit.prepareRetention(before)
    // One commit per chain: a chain its engine extends meanwhile fails alone (Conflict: prune again).
    for (const batch of retention.batches) await engine.keys.commitDirect(batch)
    return retention.removed
  })
  engine.record(call)
  await engine.flushAudit()
  return { removed }
}

async function reseal(engine: Dispatcher, audit: AuditTrail): Promise<{ lastSeq: number; chains: readonly string[] }> {
  const call = new Call('ResealAuditTrail', ROOT_PRINCIPAL, engine.requestId(), engine.clock.now())
  const result = await engine.keys.exclusive(async () => {
    const resealed = await audit.prepareReseal()
    for (const batch of resealed.batches) await engine.keys.commitDirect(batch)
    return { lastSeq: resealed.lastSeq, chains: resealed.chains }
  })
  engine.record(call)
  await engine.flushAudit()
  return result
}
