import { describe, expect, it } from 'vitest'
import { EVERYTHING_CHANGED, type StorageChange } from '@strongroom/core'
import { MAX_PAYLOAD_BYTES, MAX_PAYLOADS, channelName, decodeNotification, encodeChanges } from '../src/notify.js'

const bytes = (text: string): number => new TextEncoder().encode(text).length

describe('notification payloads', () => {
  it('round-trip changes, deletes and unusual keys', () => {
    const changes: StorageChange[] = [{ key: 'key/1', revision: 7 }, { key: 'a\u0000"\\😀é', revision: null }]
    const [payload, ...rest] = encodeChanges('origin-1', changes)
    expect(rest).toEqual([])
    expect(decodeNotification(payload!)).toEqual({ origin: 'origin-1', changes })
  })

  it('split under the size limit (counted in UTF-8 bytes) and lose no change', () => {
    const changes = Array.from({ length: 500 }, (_, i) => ({ key: `key/${i}/${'é'.repeat(30)}`, revision: i + 1 }))
    const payloads = encodeChanges('o', changes)
    expect(payloads.length).toBeGreaterThan(1)
    for (const payload of payloads) expect(bytes(payload)).toBeLessThanOrEqual(MAX_PAYLOAD_BYTES)
    expect(payloads.flatMap((p) => decodeNotification(p)!.changes)).toEqual(changes)
  })

  it('become one EVERYTHING_CHANGED for a key too long or too many payloads', () => {
    const long = encodeChanges('o', [{ key: 'k'.repeat(MAX_PAYLOAD_BYTES), revision: 1 }])
    expect(long.map((p) => decodeNotification(p))).toEqual([{ origin: 'o', changes: [EVERYTHING_CHANGED] }])
    const many = Array.from({ length: (MAX_PAYLOADS + 1) * 40 }, (_, i) => ({ key: `${i}`.padEnd(200, 'x'), revision: i + 1 }))
    expect(encodeChanges('o', many).map((p) => decodeNotification(p))).toEqual([{ origin: 'o', changes: [EVERYTHING_CHANGED] }])
  })

  it('anything malformed from a well-formed sender means "everything"; foreign payloads are ignored', () => {
    expect(decodeNotification('not json')).toBeUndefined()
    expect(decodeNotification('{"c":[]}')).toBeUndefined()
    expect(decodeNotification('{"o":"x","c":[["",1]]}')).toEqual({ origin: 'x', changes: [EVERYTHING_CHANGED] })
    expect(decodeNotification('{"o":"x","c":[["k",0]]}')).toEqual({ origin: 'x', changes: [EVERYTHING_CHANGED] })
    expect(decodeNotification('{"o":"x","c":"k"}')).toEqual({ origin: 'x', changes: [EVERYTHING_CHANGED] })
  })

  it('channel names are short lower-case identifiers, one per table', () => {
    const name = channelName('strongroom.records')
    expect(name).toMatch(/^strongroom_[0-9a-f]{16}$/)
    expect(channelName('strongroom.records')).toBe(name)
    expect(channelName('strongroom.records2')).not.toBe(name)
  })
})
