/**
 * Listing over index records in O(page): a page reads the index entries it returns (plus
 * the hidden ones it passes over) and decodes nothing else.
 *
 * ```ts
 * const page = await listIndex(ctx.keys, { prefix, paging: listingParams(request), hidden: (id) => due.has(id) })
 * // { items: [{ name, record }], nextMarker?, pageNumber }
 * ```
 *
 * Two ways to page, as the APIs modelled do:
 * - `marker` (AWS's `Marker`/`NextMarker`): the opaque `nextMarker` of the previous page; the
 *   next page is every entry that sorts after the last one returned, so an entry that exists
 *   throughout is returned exactly once whatever is created or deleted between pages;
 * - `pageNumber` (Alibaba's `PageNumber`/`PageSize`): the entries before the page are
 *   skipped by their storage keys alone (read, not opened or decoded), so page N costs
 *   O(N × pageSize) reads and O(pageSize) decryptions.
 *
 * A marker is base64 JSON `{ a, o }`: the sort key of the last entry returned and the
 * offset of the next one (which only fills the response's `pageNumber`).
 */
import { fromBase64, isWellFormedText, toBase64, utf8Decode, utf8Encode } from '../bytes.js'
import { KmsError } from '../errors.js'
import type { KeyStore } from '../key-store.js'
import type { StoredRecord } from '../storage.js'
import { integerParam } from '../validate.js'

export interface ListingParams {
  readonly pageSize: number
  readonly pageNumber: number
  /** Resume after this sort key (from a marker). */
  readonly after?: string
  readonly offset: number
}

const MAX_MARKER_LENGTH = 1024

/** `pageNumber` from 1, `pageSize` 1-100 (default 10), or `marker` from a previous page's `nextMarker`. */
export function listingParams(request: { pageNumber?: number; pageSize?: number; marker?: string | undefined }): ListingParams {
  const pageSize = request.pageSize === undefined ? 10 : integerParam(request.pageSize, 'pageSize', 1, 100)
  if (request.marker === undefined) {
    const pageNumber = request.pageNumber === undefined ? 1 : integerParam(request.pageNumber, 'pageNumber', 1, 1_000_000)
    return { pageSize, pageNumber, offset: (pageNumber - 1) * pageSize }
  }
  if (request.pageNumber !== undefined) throw new KmsError('InvalidParameter', 'pass either marker or pageNumber, not both')
  const { after, offset } = decodeMarker(request.marker)
  return { pageSize, pageNumber: Math.floor(offset / pageSize) + 1, after, offset }
}

export function encodeMarker(after: string, offset: number): string {
  return toBase64(utf8Encode(JSON.stringify({ a: after, o: offset })))
}

function decodeMarker(marker: unknown): { after: string; offset: number } {
  if (typeof marker === 'string' && marker.length > 0 && marker.length <= MAX_MARKER_LENGTH) {
    try {
      const bytes = fromBase64(marker)
      const parsed = (bytes === undefined ? {} : JSON.parse(utf8Decode(bytes))) as { a?: unknown; o?: unknown }
      if (typeof parsed.a === 'string' && parsed.a.length > 0 && isWellFormedText(parsed.a) && Number.isSafeInteger(parsed.o) && (parsed.o as number) >= 0) {
        return { after: parsed.a, offset: parsed.o as number }
      }
    } catch {
      // reported below
    }
  }
  throw new KmsError('InvalidParameter', 'marker is not a nextMarker this listing returned')
}

export interface IndexPage {
  readonly items: readonly { readonly name: string; readonly record: StoredRecord }[]
  readonly nextMarker?: string
  readonly pageNumber: number
}

/**
 * One page of the index entries under `prefix` (each named by its storage key after the
 * prefix), leaving out the `hidden` ones (asked with the record on the page, by name alone
 * while skipping earlier pages).
 */
export async function listIndex(
  keys: KeyStore,
  options: { readonly prefix: string; readonly paging: ListingParams; readonly hidden: (name: string, record?: StoredRecord) => boolean },
): Promise<IndexPage> {
  const { prefix, paging, hidden } = options
  let after = paging.after === undefined ? await skip(keys, prefix, paging.offset, hidden) : prefix + paging.after
  const items: { name: string; record: StoredRecord }[] = []
  // One more than the page proves there is a next page.
  while (items.length <= paging.pageSize) {
    const page = await keys.scanPage(prefix, after, paging.pageSize + 1 - items.length)
    for (const record of page.records) {
      const name = record.key.slice(prefix.length)
      if (!hidden(name, record) && items.length <= paging.pageSize) items.push({ name, record })
    }
    if (page.cursor === undefined || page.records.length === 0) break
    after = page.cursor
  }
  if (items.length <= paging.pageSize) return { items, pageNumber: paging.pageNumber }
  const shown = items.slice(0, paging.pageSize)
  return { items: shown, pageNumber: paging.pageNumber, nextMarker: encodeMarker(shown[shown.length - 1]!.name, paging.offset + paging.pageSize) }
}

/** The storage key after the first `count` visible entries (undefined: start at the beginning). */
async function skip(keys: KeyStore, prefix: string, count: number, hidden: (name: string) => boolean): Promise<string | undefined> {
  let after: string | undefined
  let skipped = 0
  while (skipped < count) {
    const page = await keys.scanNames(prefix, after, Math.min(1000, count - skipped))
    for (const key of page.keys) {
      if (skipped === count) break
      after = key
      if (!hidden(key.slice(prefix.length))) skipped++
    }
    if (page.cursor === undefined || page.keys.length === 0) break
  }
  return after
}

/**
 * One page of a list held in one record (a key's versions or aliases): with a marker, the
 * items after the one it names (or after its offset, when that item is gone).
 */
export function listPage<T>(items: readonly T[], name: (item: T) => string, paging: ListingParams): { items: T[]; nextMarker?: string; pageNumber: number } {
  let start = Math.min(paging.offset, items.length)
  if (paging.after !== undefined) {
    const at = items.findIndex((item) => name(item) === paging.after)
    if (at >= 0) start = at + 1
  }
  const shown = items.slice(start, start + paging.pageSize)
  const more = start + paging.pageSize < items.length
  return {
    items: shown, pageNumber: paging.pageNumber,
    ...(more && shown.length > 0 ? { nextMarker: encodeMarker(name(shown[shown.length - 1]!), start + paging.pageSize) } : {}),
  }
}
