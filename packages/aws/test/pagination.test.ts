/**
 * Marker/Limit over the engine's page numbers: every item that exists throughout a
 * listing is returned exactly once, whatever is created or deleted between pages.
 */
import { describe, expect, it } from 'vitest'
import { AwsError } from '@strongroom/aws'
import { decodeMarker, pageAfter, pageOfList } from '../src/pagination.js'

/** A sorted collection listed the engine's way: pages of `pageSize`, numbered from 1. */
function engineListing(items: string[]) {
  return async ({ pageNumber, pageSize }: { pageNumber: number; pageSize: number }) => {
    const sorted = [...items].sort()
    return { items: sorted.slice((pageNumber - 1) * pageSize, pageNumber * pageSize), totalCount: sorted.length }
  }
}

const names = (n: number, prefix = 'k'): string[] => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`)

describe('pageAfter', () => {
  it('walks a listing larger than an engine page in small and large steps', async () => {
    const items = names(250)
    for (const limit of [1, 7, 100, 1000]) {
      const seen: string[] = []
      let marker: string | undefined
      do {
        const page = await pageAfter(engineListing(items), (x) => x, marker, limit)
        expect(page.items.length).toBeLessThanOrEqual(limit)
        seen.push(...page.items)
        marker = page.nextMarker
      } while (marker !== undefined)
      expect(seen).toEqual(items)
    }
  })

  it('returns every item that existed throughout exactly once, while others come and go', async () => {
    const items = names(300)
    const survivors = items.filter((_, i) => i % 3 !== 0)
    const seen: string[] = []
    let marker: string | undefined
    let round = 0
    do {
      const page = await pageAfter(engineListing(items), (x) => x, marker, 40)
      seen.push(...page.items)
      marker = page.nextMarker
      // Between pages: delete a doomed item already behind the cursor (shifting the rest left)
      // and one ahead of it; create new items both before and after the cursor.
      const doomedBehind = items.findIndex((x, i) => x <= (seen.at(-1) ?? '') && items.indexOf(x) === i && Number(x.slice(1)) % 3 === 0)
      if (doomedBehind >= 0) items.splice(doomedBehind, 1)
      const doomedAhead = items.findIndex((x) => x > (seen.at(-1) ?? '') && Number(x.slice(1)) % 3 === 0)
      if (doomedAhead >= 0) items.splice(doomedAhead, 1)
      items.push(`a-new-${round}`, `z-new-${round}`)
      round++
    } while (marker !== undefined)
    const seenSurvivors = seen.filter((x) => survivors.includes(x))
    expect(seenSurvivors).toEqual(survivors)
    expect(new Set(seen).size).toBe(seen.length)
  })

  it('refuses markers it did not issue', async () => {
    for (const bad of ['x', 'bm90IGpzb24', Buffer.from('{"a":1,"o":2}').toString('base64url'), Buffer.from('{"a":"k","o":-1}').toString('base64url')]) {
      expect(() => decodeMarker(bad)).toThrow(AwsError)
    }
    await expect(pageAfter(engineListing([]), (x) => x, 'garbage', 10)).rejects.toMatchObject({ type: 'InvalidMarkerException' })
  })
})

describe('pageOfList', () => {
  it('pages a complete list by sort key', () => {
    const first = pageOfList(['a', 'b', 'c'], (x) => x, undefined, 2)
    expect(first.items).toEqual(['a', 'b'])
    expect(pageOfList(['a', 'b', 'c'], (x) => x, first.nextMarker, 2)).toEqual({ items: ['c'] })
    // `b` deleted between pages: `c` is still next.
    expect(pageOfList(['a', 'c'], (x) => x, first.nextMarker, 2)).toEqual({ items: ['c'] })
  })
})
