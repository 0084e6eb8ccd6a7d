/**
 * Marker/Limit over the engine's cursors (a real engine on memory storage): every key that
 * exists throughout a listing is returned exactly once, whatever is created or deleted
 * between pages.
 */
import { describe, expect, it } from 'vitest'
import { DAY_MS, Kms, ManualClock } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { AwsError } from '@strongroom/aws'
import { decodeMarker, pageByMarker, pageOfList } from '../src/pagination.js'

async function engineWith(n: number, clock = new ManualClock('2026-01-01T00:00:00Z')): Promise<{ kms: Kms; ids: string[] }> {
  const kms = await Kms.open({ storage: memoryStorage(), audit: false, clock })
  const ids: string[] = []
  for (let i = 0; i < n; i++) ids.push((await kms.createKey()).keyMetadata.keyId)
  return { kms, ids: ids.sort() }
}

const keysOf = (kms: Kms) => async (p: { pageSize: number; marker?: string }) => {
  const r = await kms.listKeys(p)
  return { items: r.keys.map((k) => k.keyId), nextMarker: r.nextMarker }
}

describe('pageByMarker', () => {
  it('walks a listing larger than an engine page in small and large steps', async () => {
    const { kms, ids } = await engineWith(250)
    for (const limit of [1, 7, 100, 1000]) {
      const seen: string[] = []
      let marker: string | undefined
      do {
        const page = await pageByMarker(keysOf(kms), marker, limit)
        expect(page.items.length).toBeLessThanOrEqual(limit)
        seen.push(...page.items)
        marker = page.nextMarker
      } while (marker !== undefined)
      expect(seen).toEqual(ids)
    }
    await kms.close()
  })

  it('returns every key that existed throughout exactly once, while others come and go', async () => {
    const clock = new ManualClock('2026-01-01T00:00:00Z')
    const { kms, ids } = await engineWith(120, clock)
    const doomed = new Set(ids.filter((_, i) => i % 3 === 0))
    const survivors = ids.filter((id) => !doomed.has(id))
    const seen: string[] = []
    let marker: string | undefined
    do {
      const page = await pageByMarker(keysOf(kms), marker, 20)
      seen.push(...page.items)
      marker = page.nextMarker
      // Between pages: delete a doomed key behind the cursor and one ahead of it (their
      // window ends and maintenance purges them), and create a new key.
      const last = seen.at(-1) ?? ''
      for (const id of [[...doomed].find((x) => x <= last), [...doomed].find((x) => x > last)]) {
        if (id === undefined) continue
        doomed.delete(id)
        await kms.scheduleKeyDeletion({ keyId: id, pendingWindowInDays: 7 })
      }
      clock.advance(8 * DAY_MS)
      await kms.maintenance()
      await kms.createKey()
    } while (marker !== undefined)
    expect(seen.filter((x) => survivors.includes(x))).toEqual(survivors)
    expect(new Set(seen).size).toBe(seen.length)
    await kms.close()
  })

  it('refuses markers it did not issue', async () => {
    for (const bad of ['x', 'bm90IGpzb24', Buffer.from('{"a":1,"o":2}').toString('base64url'), Buffer.from('{"a":"k","o":-1}').toString('base64url')]) {
      expect(() => decodeMarker(bad)).toThrow(AwsError)
    }
    const { kms } = await engineWith(0)
    for (const bad of ['garbage', Buffer.from('{"a":1,"o":2}').toString('base64')]) {
      await expect(pageByMarker(keysOf(kms), bad, 10)).rejects.toMatchObject({ type: 'InvalidMarkerException' })
    }
    await kms.close()
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
