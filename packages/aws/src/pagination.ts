/**
 * AWS `Marker`/`Limit` pagination over the engine's `pageNumber`/`pageSize` listings.
 *
 * ```ts
 * const page = await pageAfter((p) => kms.listKeys(p).then((r) => ({ items: r.keys, totalCount: r.totalCount })),
 *   (k) => k.keyId, marker, 100)
 * // { items, nextMarker?: string }   — nextMarker present exactly when Truncated
 * ```
 *
 * A marker is opaque to callers: base64url JSON `{ a, o }` holding the sort key of the last
 * item returned (`a`) and its position + 1 (`o`). The engine lists keys and aliases in
 * sorted order, so the next page is "every item whose key sorts after `a`"; the offset only
 * says where to start looking. Starting one item early, and stepping back a page when that
 * item already sorts after `a` (items were deleted before the cursor), returns every item
 * that existed throughout exactly once, whatever is created or deleted between pages —
 * which plain offsets cannot promise. Each page costs ⌈limit/100⌉ + 1 engine calls.
 */
import { AwsError } from './errors.js'

/** The engine's largest page. */
const ENGINE_PAGE_SIZE = 100

export interface Marker {
  readonly after: string
  readonly offset: number
}

export interface Page<T> {
  readonly items: readonly T[]
  readonly nextMarker?: string
}

export type EngineListing<T> = (page: { pageNumber: number; pageSize: number }) => Promise<{ items: readonly T[]; totalCount: number }>

export function encodeMarker(marker: Marker): string {
  return Buffer.from(JSON.stringify({ a: marker.after, o: marker.offset })).toString('base64url')
}

export function decodeMarker(value: string | undefined): Marker | undefined {
  if (value === undefined) return undefined
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as { a?: unknown; o?: unknown }
    if (typeof parsed.a === 'string' && typeof parsed.o === 'number' && Number.isSafeInteger(parsed.o) && parsed.o >= 0) {
      return { after: parsed.a, offset: parsed.o }
    }
  } catch {
    // fall through: not one of our markers
  }
  throw new AwsError('InvalidMarkerException', 'Marker is not a NextMarker this endpoint returned')
}

/** One page of a sorted engine listing, after `marker`. */
export async function pageAfter<T>(list: EngineListing<T>, key: (item: T) => string, markerValue: string | undefined, limit: number): Promise<Page<T>> {
  const marker = decodeMarker(markerValue)
  let pageNumber = marker === undefined ? 1 : Math.floor(Math.max(0, marker.offset - 1) / ENGINE_PAGE_SIZE) + 1
  let page = await list({ pageNumber, pageSize: ENGINE_PAGE_SIZE })
  // Items deleted before the cursor shift the rest left: step back until the page starts at or before it.
  while (marker !== undefined && pageNumber > 1 && page.items.length > 0 && key(page.items[0]!) > marker.after) {
    pageNumber--
    page = await list({ pageNumber, pageSize: ENGINE_PAGE_SIZE })
  }
  const collected: { item: T; position: number }[] = []
  for (;;) {
    page.items.forEach((item, i) => {
      if (collected.length <= limit && (marker === undefined || key(item) > marker.after)) {
        collected.push({ item, position: (pageNumber - 1) * ENGINE_PAGE_SIZE + i })
      }
    })
    if (collected.length > limit || pageNumber * ENGINE_PAGE_SIZE >= page.totalCount || page.items.length === 0) break
    pageNumber++
    page = await list({ pageNumber, pageSize: ENGINE_PAGE_SIZE })
  }
  return paged(collected, limit, key)
}

/** One page of a complete, sorted in-memory list (tags, versions), after `marker`. */
export function pageOfList<T>(items: readonly T[], key: (item: T) => string, markerValue: string | undefined, limit: number): Page<T> {
  const marker = decodeMarker(markerValue)
  const collected: { item: T; position: number }[] = []
  items.forEach((item, position) => {
    if (collected.length <= limit && (marker === undefined || key(item) > marker.after)) collected.push({ item, position })
  })
  return paged(collected, limit, key)
}

/** `limit + 1` items were gathered when there is more: the extra one only proves truncation. */
function paged<T>(collected: readonly { item: T; position: number }[], limit: number, key: (item: T) => string): Page<T> {
  if (collected.length <= limit) return { items: collected.map((c) => c.item) }
  const last = collected[limit - 1]!
  return {
    items: collected.slice(0, limit).map((c) => c.item),
    nextMarker: encodeMarker({ after: key(last.item), offset: last.position + 1 }),
  }
}

/** The response members every AWS list operation ends with. */
export function truncation(page: Page<unknown>): { Truncated: boolean; NextMarker?: string } {
  return page.nextMarker === undefined ? { Truncated: false } : { Truncated: true, NextMarker: page.nextMarker }
}
