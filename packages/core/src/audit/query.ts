/**
 * Reading the audit trail back: records matching a filter, a page at a time, and every
 * matching record as JSON lines. An unreadable segment is skipped here (queries show what
 * can be read); `verify()` reports it.
 *
 * ```ts
 * const { records, nextCursor } = await queryRecords(segments, { keyId, action: 'Encrypt', limit: 50 })
 * ```
 */
import { KmsError } from '../errors.js'
import { toRecord, type ParsedLine } from './encoder.js'
import type { AuditPage, AuditQuery, AuditRecord } from './records.js'

function toTime(value: number | string | Date | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  const t = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value)
  if (!Number.isFinite(t)) throw new KmsError('InvalidParameter', `${name} is not a valid time`)
  return t
}

/** Records matching `q` from the chain's segments, oldest first, at most `q.limit` (default 100). */
export async function queryRecords(segments: AsyncIterable<{ readonly lines: readonly ParsedLine[] | undefined }>, q: AuditQuery): Promise<AuditPage> {
  const limit = q.limit ?? 100
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new KmsError('InvalidParameter', 'limit must be an integer from 1 to 1000')
  const from = toTime(q.from, 'from')
  const to = toTime(q.to, 'to')
  let afterSeq = 0
  if (q.cursor !== undefined) {
    if (!/^[0-9]{1,16}$/.test(q.cursor)) throw new KmsError('InvalidParameter', 'cursor is not a cursor from a previous page')
    afterSeq = Number(q.cursor)
  }
  const records: AuditRecord[] = []
  for await (const { lines } of segments) {
    // An unreadable segment is reported by verify(); queries show what can be read.
    for (const line of lines ?? []) {
      const r = toRecord(line.fields)
      if (r.seq <= afterSeq) continue
      if (q.keyId !== undefined && r.keyId !== q.keyId && r.sourceKeyId !== q.keyId) continue
      if (q.principal !== undefined && r.principal !== q.principal) continue
      if (q.action !== undefined && r.eventName !== q.action) continue
      const t = Date.parse(r.eventTime)
      if (from !== undefined && t < from) continue
      if (to !== undefined && t >= to) continue
      if (records.length === limit) return { records, nextCursor: String(records[records.length - 1]!.seq) }
      records.push(r)
    }
  }
  return { records }
}

/** Every record matching `q` as JSON lines (each ending in a newline), oldest first, through `query` a page at a time. */
export async function* exportRecords(query: (q: AuditQuery) => Promise<AuditPage>, q: Omit<AuditQuery, 'limit' | 'cursor'>): AsyncGenerator<string> {
  let cursor: string | undefined
  do {
    const page = await query({ ...q, limit: 1000, ...(cursor === undefined ? {} : { cursor }) })
    for (const r of page.records) yield JSON.stringify(r) + '\n'
    cursor = page.nextCursor
  } while (cursor !== undefined)
}
