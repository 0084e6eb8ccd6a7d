/**
 * Reading the audit trail back: records of every chain matching a filter, merged by time
 * (then chain, then position), a page at a time, and every matching record as JSON lines. An unreadable segment is skipped here (queries show what
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

/** Where a record sorts: by time, then chain, then position in its chain. */
type Order = readonly [time: number, chain: string, seq: number]

function compare(a: Order, b: Order): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1
  return a[2] - b[2]
}

const CURSOR = /^(-?[0-9]{1,16})\.(0|[0-9a-f]{16})\.([0-9]{1,16})$/

function parseCursor(cursor: string): Order {
  const match = CURSOR.exec(cursor)
  if (match === null) throw new KmsError('InvalidParameter', 'cursor is not a cursor from a previous page')
  return [Number(match[1]), match[2]!, Number(match[3])]
}

/**
 * Records matching `q` from every chain's segments, ordered by time, then chain, then
 * position, at most `q.limit` (default 100). The cursor names the last record returned, so
 * a page starts right after it whichever chains grew meanwhile.
 */
export async function queryRecords(segments: AsyncIterable<{ readonly chain: string; readonly lines: readonly ParsedLine[] | undefined }>, q: AuditQuery): Promise<AuditPage> {
  const limit = q.limit ?? 100
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new KmsError('InvalidParameter', 'limit must be an integer from 1 to 1000')
  const from = toTime(q.from, 'from')
  const to = toTime(q.to, 'to')
  const after = q.cursor === undefined ? undefined : parseCursor(q.cursor)
  let found: { order: Order; line: ParsedLine }[] = []
  const keepFirst = (): void => {
    found.sort((a, b) => compare(a.order, b.order))
    found = found.slice(0, limit + 1)
  }
  for await (const { chain, lines } of segments) {
    // An unreadable segment is reported by verify(); queries show what can be read.
    for (const line of lines ?? []) {
      const f = line.fields
      const order: Order = [f[2], chain, f[0]]
      if (after !== undefined && compare(order, after) <= 0) continue
      if (q.keyId !== undefined && f[8] !== q.keyId && f[10] !== q.keyId) continue
      if (q.principal !== undefined && f[4] !== q.principal) continue
      if (q.action !== undefined && f[3] !== q.action) continue
      if (from !== undefined && f[2] < from) continue
      if (to !== undefined && f[2] >= to) continue
      found.push({ order, line })
      // Only the first limit + 1 can be on this page (one more says there is a next).
      if (found.length > 4 * (limit + 1)) keepFirst()
    }
  }
  keepFirst()
  const page = found.slice(0, limit)
  const records: AuditRecord[] = page.map(({ order, line }) => toRecord(line.fields, order[1]))
  const last = page[page.length - 1]?.order
  return found.length > limit && last !== undefined ? { records, nextCursor: `${last[0]}.${last[1]}.${last[2]}` } : { records }
}

/** Every record matching `q` as JSON lines (each ending in a newline), in query order, through `query` a page at a time. */
export async function* exportRecords(query: (q: AuditQuery) => Promise<AuditPage>, q: Omit<AuditQuery, 'limit' | 'cursor'>): AsyncGenerator<string> {
  let cursor: string | undefined
  do {
    const page = await query({ ...q, limit: 1000, ...(cursor === undefined ? {} : { cursor }) })
    for (const r of page.records) yield JSON.stringify(r) + '\n'
    cursor = page.nextCursor
  } while (cursor !== undefined)
}
