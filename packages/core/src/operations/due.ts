/**
 * The engine's schedules (key-index.ts): which keys' purge, material expiry or rotation is
 * due by a date, read in date order and only as far as that date.
 *
 * ```ts
 * for await (const { keyId } of dueEntries(ctx.keys, ctx.region, 'purge', now)) await ctx.purge(keyId)
 * const hidden = await duePurges(ctx.keys, ctx.region, now)   // keys a listing leaves out
 * ```
 */
import { dueIndexPrefix, parseDueKey, type DueKind } from '../key-index.js'
import type { KeyStore } from '../key-store.js'

const PAGE = 100

/** The schedule's entries due by `now`, oldest first, a page at a time. */
export async function* dueEntries(keys: KeyStore, region: string, kind: DueKind, now: number): AsyncGenerator<{ at: number; keyId: string }> {
  const prefix = dueIndexPrefix(region, kind)
  let after: string | undefined
  for (;;) {
    const page = await keys.scanPage(prefix, after, PAGE)
    for (const record of page.records) {
      const entry = parseDueKey(prefix, record.key)
      if (entry.at > now) return
      yield entry
    }
    if (page.cursor === undefined || page.records.length === 0) return
    after = page.cursor
  }
}

/**
 * Keys whose pending window has ended but that are not purged yet: listings hide them.
 * As many as maintenance has left behind (none when it runs on its timer).
 */
export async function duePurges(keys: KeyStore, region: string, now: number): Promise<Set<string>> {
  const due = new Set<string>()
  for await (const { keyId } of dueEntries(keys, region, 'purge', now)) due.add(keyId)
  return due
}
