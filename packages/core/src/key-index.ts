/**
 * Index records: what listings and maintenance read instead of every key record. They are
 * derived from key and alias records and written in the same atomic commit as the change
 * that moves them (key-store.ts), sealed like every record.
 *
 * ```
 * idx/key/<region>/<keyId>                        { schema, account }      one per key: listKeys
 * idx/alias/<region>/<aliasName>                  { schema, keyId }        one per alias: listAliases
 * idx/due/<region>/<kind>/<at, 15 digits>/<keyId> { schema }               purge | rotate | expire, by date
 * meta/count/<region>/keys|aliases                { schema, count }        totals, kept by the same commits
 * meta/count/policies                             { schema, count }        identity policies (store-wide)
 * meta/indexes                                    { schema, version }      the indexes are complete
 * ```
 *
 * A listing page reads `limit` small index records and nothing else; keys whose purge is
 * due are hidden by looking up the (short) `purge` schedule up to now, never by writing.
 * Maintenance reads each schedule up to now instead of every key.
 *
 * The counters are single records per region. Concurrent creates from several engines do
 * not contend on them more than they already do: every commit that writes a sealed record
 * also moves the store digest (`meta/seal-head`, sealed-storage.ts), so commits of engines
 * sharing a store are already serialised by optimistic concurrency on that one record.
 */
import { utf8Decode, utf8Encode } from './bytes.js'
import { KmsError } from './errors.js'
import { nextRotationDate, type KeyRecord } from './key-record.js'
import type { Mutation, StoredRecord } from './storage.js'

export const KEY_INDEX_PREFIX = 'idx/key/'
export const ALIAS_INDEX_PREFIX = 'idx/alias/'
export const DUE_INDEX_PREFIX = 'idx/due/'
export const COUNT_PREFIX = 'meta/count/'
/** Written once every index is complete; its absence makes `Kms.open` (re)build them. */
export const INDEXES_MARKER_KEY = 'meta/indexes'
export const INDEXES_VERSION = 1

/** The engine's own time-driven work on a key, each kept in a schedule ordered by date. */
export type DueKind = 'purge' | 'rotate' | 'expire'
export const DUE_KINDS: readonly DueKind[] = ['purge', 'expire', 'rotate']

/** Dates are written as 15 decimal digits, so byte order is date order (up to the year 33658). */
const DATE_DIGITS = 15

export function keyIndexKey(region: string, keyId: string): string {
  return `${KEY_INDEX_PREFIX}${region}/${keyId}`
}

export function aliasIndexKey(region: string, aliasName: string): string {
  return `${ALIAS_INDEX_PREFIX}${region}/${aliasName}`
}

export function dueIndexPrefix(region: string, kind: DueKind): string {
  return `${DUE_INDEX_PREFIX}${region}/${kind}/`
}

export function dueIndexKey(region: string, kind: DueKind, at: number, keyId: string): string {
  return `${dueIndexPrefix(region, kind)}${Math.max(0, Math.floor(at)).toString().padStart(DATE_DIGITS, '0')}/${keyId}`
}

/** The date and key id of a schedule entry's storage key (after its prefix). */
export function parseDueKey(prefix: string, storageKey: string): { at: number; keyId: string } {
  const rest = storageKey.slice(prefix.length)
  const at = Number(rest.slice(0, DATE_DIGITS))
  const keyId = rest.slice(DATE_DIGITS + 1)
  if (!Number.isSafeInteger(at) || rest[DATE_DIGITS] !== '/' || keyId.length === 0) {
    throw new KmsError('CorruptRecord', `schedule entry ${storageKey} is malformed`)
  }
  return { at, keyId }
}

export type CountKind = 'keys' | 'aliases'

export function countKey(region: string, kind: CountKind): string {
  return `${COUNT_PREFIX}${region}/${kind}`
}

/** Identity policies are store-wide (no region); a region name has no `/`, so this cannot collide. */
export const POLICY_COUNT_KEY = `${COUNT_PREFIX}policies`

/** When each of the key's time-driven changes falls due (none when it has none). */
export function dueDates(r: KeyRecord): { kind: DueKind; at: number }[] {
  const out: { kind: DueKind; at: number }[] = []
  if (r.keyState === 'PendingDeletion' && r.deleteDate !== undefined) out.push({ kind: 'purge', at: r.deleteDate })
  if (r.materialExpireTime !== undefined && r.versions.length > 0) out.push({ kind: 'expire', at: r.materialExpireTime })
  if (r.keyState === 'Enabled') {
    const next = nextRotationDate(r)
    if (next !== undefined) out.push({ kind: 'rotate', at: next })
  }
  return out
}

function dueKeys(r: KeyRecord | undefined | null): Set<string> {
  return new Set(r == null ? [] : dueDates(r).map((d) => dueIndexKey(r.region, d.kind, d.at, r.keyId)))
}

export interface KeyIndexEntry {
  readonly schema: 1
  readonly account: string
}

export interface AliasIndexEntry {
  readonly schema: 1
  readonly keyId: string
}

export function encodeJson(value: unknown): Uint8Array {
  return utf8Encode(JSON.stringify(value))
}

export function decodeJson<T extends { schema?: unknown }>(stored: StoredRecord, what: string): T {
  let value: T
  try {
    value = JSON.parse(utf8Decode(stored.value)) as T
  } catch (cause) {
    throw new KmsError('CorruptRecord', `${what} ${stored.key} is unreadable`, { cause })
  }
  if (value === null || typeof value !== 'object' || value.schema !== 1) throw new KmsError('CorruptRecord', `${what} ${stored.key} is inconsistent`)
  return value
}

export function decodeCount(stored: StoredRecord | undefined): number {
  if (stored === undefined) return 0
  const { count } = decodeJson<{ schema: 1; count: unknown }>(stored, 'counter')
  if (!Number.isSafeInteger(count) || (count as number) < 0) throw new KmsError('CorruptRecord', `counter ${stored.key} is inconsistent`)
  return count as number
}

/** A staged change of a key or alias record, as the index sees it. */
export type IndexedChange =
  | { readonly kind: 'key'; readonly before: KeyRecord | undefined; readonly after: KeyRecord | null }
  | { readonly kind: 'alias'; readonly region: string; readonly aliasName: string; readonly before: string | undefined; readonly after: string | null }
  /** A record only counted (an identity policy created or deleted). */
  | { readonly kind: 'counted'; readonly counter: string; readonly by: 1 | -1 }

/**
 * The index mutations that keep the indexes in step with `changes`, to commit with them.
 * `read` gives the current revision of index records the change replaces or deletes (an
 * entry found missing is not deleted: a store is never stuck on an index it lacks).
 */
export async function indexMutations(
  changes: Iterable<IndexedChange>, read: (key: string) => Promise<StoredRecord | undefined>,
): Promise<Mutation[]> {
  const out: Mutation[] = []
  const counts = new Map<string, number>()
  const bump = (key: string, by: number): void => {
    counts.set(key, (counts.get(key) ?? 0) + by)
  }
  const remove = async (key: string): Promise<void> => {
    const current = await read(key)
    if (current !== undefined) out.push({ type: 'delete', key, expectedRevision: current.revision })
  }
  for (const change of changes) {
    if (change.kind === 'counted') {
      bump(change.counter, change.by)
    } else if (change.kind === 'key') {
      const { before, after } = change
      if (before === undefined && after !== null) {
        out.push({ type: 'put', key: keyIndexKey(after.region, after.keyId), value: encodeJson({ schema: 1, account: after.account }), expectedRevision: null })
        bump(countKey(after.region, 'keys'), 1)
      } else if (before !== undefined && after === null) {
        await remove(keyIndexKey(before.region, before.keyId))
        bump(countKey(before.region, 'keys'), -1)
      }
      const was = dueKeys(before)
      const now = dueKeys(after)
      for (const key of was) if (!now.has(key)) await remove(key)
      for (const key of now) if (!was.has(key)) out.push({ type: 'put', key, value: encodeJson({ schema: 1 }), expectedRevision: null })
    } else {
      const { region, aliasName, before, after } = change
      const key = aliasIndexKey(region, aliasName)
      if (after === null) {
        if (before !== undefined) {
          await remove(key)
          bump(countKey(region, 'aliases'), -1)
        }
      } else if (before !== after) {
        const current = before === undefined ? undefined : await read(key)
        out.push({ type: 'put', key, value: encodeJson({ schema: 1, keyId: after }), expectedRevision: current?.revision ?? null })
        if (before === undefined) bump(countKey(region, 'aliases'), 1)
      }
    }
  }
  for (const [key, by] of counts) {
    if (by === 0) continue
    const current = await read(key)
    const count = Math.max(0, decodeCount(current) + by)
    out.push({ type: 'put', key, value: encodeJson({ schema: 1, count }), expectedRevision: current?.revision ?? null })
  }
  return out
}
