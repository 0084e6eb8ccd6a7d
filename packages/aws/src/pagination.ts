/**
 * AWS `Marker`/`Limit` pagination: over the engine's own cursors for keys and aliases, and
 * over a complete in-memory list for what one record holds (tags, rotations).
 *
 * ```ts
 * const page = await pageByMarker((p) => kms.listKeys(p).then((r) => ({ items: r.keys, nextMarker: r.nextMarker })), marker, 100)
 * // { items, nextMarker?: string }   — nextMarker present exactly when Truncated
 * ```
 *
 * Engine listings: the AWS marker is the engine's `nextMarker`, passed through. The engine
 * resumes after the last entry returned, reading only the index entries of the page (O(page)
 * at any store size); an entry that exists throughout a listing is returned exactly once
 * whatever is created or deleted between pages. A page of `Limit` entries takes
 * ⌈Limit/100⌉ engine calls (the engine's largest page is 100).
 *
 * In-memory lists: the marker is base64url JSON `{ a, o }` holding the sort key of the last
 * item returned (`a`) and its position + 1 (`o`).
 */
import { KmsError } from '@strongroom/core'
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

export type EngineListing<T> = (page: { pageSize: number; marker?: string }) => Promise<{ items: readonly T[]; nextMarker?: string | undefined }>

export function encodeMarker(marker: Marker): string {
  return Buffer.from(JSON.stringify({ a: marker.after, o: marker.offset })).toString('base64url')
}

function invalidMarker(): AwsError {
  return new AwsError('InvalidMarkerException', 'Marker is not a NextMarker this endpoint returned')
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
  throw invalidMarker()
}

/** Up to `limit` entries of an engine listing after `markerValue` (an engine `nextMarker`). */
export async function pageByMarker<T>(list: EngineListing<T>, markerValue: string | undefined, limit: number): Promise<Page<T>> {
  const items: T[] = []
  let marker = markerValue
  for (;;) {
    let page: Awaited<ReturnType<EngineListing<T>>>
    try {
      page = await list({ pageSize: Math.min(ENGINE_PAGE_SIZE, limit - items.length), ...(marker === undefined ? {} : { marker }) })
    } catch (error) {
      // The caller's marker is the only parameter the engine can find malformed here.
      if (marker !== undefined && marker === markerValue && KmsError.is(error, 'InvalidParameter')) throw invalidMarker()
      throw error
    }
    items.push(...page.items)
    if (page.nextMarker === undefined) return { items }
    marker = page.nextMarker
    if (items.length >= limit) return { items, nextMarker: marker }
  }
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
