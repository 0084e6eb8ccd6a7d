/**
 * scan: UTF-8 byte order, prefix bounds, `after`, pagination and limit validation.
 *
 * ```ts
 * scanTests(harness({ factory }))
 * ```
 */

import { expect } from '../expect.js'
import type { ScanOptions } from '@strongroom/core'
import { bytes, compareUtf8, expectKmsError, keysOf, scanAll, text, type Harness } from '../harness.js'

/**
 * In ascending UTF-8 byte order, written out rather than computed so a wrong comparator
 * cannot hide. Note '\uFFFD' < '𝄞' < '😀' here, while UTF-16 (JS `<`) puts both astral
 * characters first; and 'a😀' sits inside prefix 'a', which a '\uFFFF' upper bound misses.
 */
const ORDERED = [
  'a', 'a\u0000', 'a\u0000z', 'a/', 'a/1', 'a/10', 'a/2', 'a0', 'ab', 'a😀',
  'b', 'e', 'z', '\u007f', 'é', 'éa', 'ê', '\u0800', '\uFFFD', '𝄞', '😀', '😀x',
]

export function scanTests(h: Harness): void {
  const { describe, it } = h.runner
  describe('scan', () => {
    async function seeded() {
      const storage = await h.open()
      // Inserted in a scrambled order, in several commits.
      const scrambled = [...ORDERED].sort((x, y) => (x.length * 31 + x.charCodeAt(0)) % 7 - (y.length * 31 + y.charCodeAt(0)) % 7)
      for (let i = 0; i < scrambled.length; i += 5) {
        await storage.commit(scrambled.slice(i, i + 5).map((key) => ({ type: 'put' as const, key, value: bytes(`v:${key}`), expectedRevision: null })))
      }
      return storage
    }

    const page = async (options: ScanOptions, storage: Awaited<ReturnType<typeof seeded>>) => keysOf((await storage.scan(options)).records)

    it('returns records in ascending UTF-8 byte order, with their values and revisions', async () => {
      expect([...ORDERED].sort(compareUtf8)).toEqual(ORDERED)
      const storage = await seeded()
      const records = await scanAll(storage, '')
      expect(keysOf(records)).toEqual(ORDERED)
      for (const record of records) {
        expect(text(record.value)).toBe(`v:${record.key}`)
        expect((await storage.get(record.key))?.revision).toBe(record.revision)
      }
    })

    it('returns exactly the keys that start with the prefix', async () => {
      const storage = await seeded()
      const cases: Record<string, string[]> = {
        a: ['a', 'a\u0000', 'a\u0000z', 'a/', 'a/1', 'a/10', 'a/2', 'a0', 'ab', 'a😀'],
        'a/': ['a/', 'a/1', 'a/10', 'a/2'],
        'a/1': ['a/1', 'a/10'],
        'a\u0000': ['a\u0000', 'a\u0000z'],
        é: ['é', 'éa'],
        '\uFFFD': ['\uFFFD'],
        '😀': ['😀', '😀x'],
        c: [],
        '~': [],
        '😀xy': [],
      }
      for (const [prefix, expected] of Object.entries(cases)) {
        expect({ prefix, keys: await page({ prefix }, storage) }).toEqual({ prefix, keys: expected })
      }
      expect(await page({ prefix: '' }, storage)).toEqual(ORDERED)
    })

    it('a page that returns everything left carries no cursor', async () => {
      const storage = await seeded()
      expect((await storage.scan({ prefix: 'c' })).cursor).toBeUndefined()
      expect((await storage.scan({ prefix: 'a/', limit: 10 })).cursor).toBeUndefined()
    })

    it('after is exclusive and need not be an existing key', async () => {
      const storage = await seeded()
      expect(await page({ prefix: 'a', after: 'a/1' }, storage)).toEqual(['a/10', 'a/2', 'a0', 'ab', 'a😀'])
      expect(await page({ prefix: 'a', after: 'a/15' }, storage)).toEqual(['a/2', 'a0', 'ab', 'a😀'])
      expect(await page({ prefix: 'a', after: 'a' }, storage)).toEqual(['a\u0000', 'a\u0000z', 'a/', 'a/1', 'a/10', 'a/2', 'a0', 'ab', 'a😀'])
      expect(await page({ prefix: '', after: '\uFFFD' }, storage)).toEqual(['𝄞', '😀', '😀x'])
    })

    it('after below the prefix range starts at the range; after beyond it returns nothing', async () => {
      const storage = await seeded()
      expect(await page({ prefix: 'é', after: 'a' }, storage)).toEqual(['é', 'éa'])
      expect(await page({ prefix: 'é', after: '' }, storage)).toEqual(['é', 'éa'])
      expect(await page({ prefix: 'a/', after: 'b' }, storage)).toEqual([])
      expect((await storage.scan({ prefix: 'a/', after: 'b' })).cursor).toBeUndefined()
    })

    it('following cursors visits every record exactly once, in order, for any limit', async () => {
      const storage = await h.open()
      const keys = Array.from({ length: 25 }, (_, i) => `p/${String(i).padStart(2, '0')}`)
      await storage.commit([...keys, 'p', 'o/9', 'q/0', 'p0'].map((key) => ({ type: 'put' as const, key, value: bytes(key), expectedRevision: null })))
      for (const limit of [1, 2, 7, 24, 25, 26, 1000]) {
        expect({ limit, keys: keysOf(await scanAll(storage, 'p/', limit)) }).toEqual({ limit, keys })
      }
      expect(keysOf(await scanAll(storage, 'p/'))).toEqual(keys)
    })

    it('the default page holds at most 100 records and has a cursor when more follow', async () => {
      const storage = await h.open()
      const keys = Array.from({ length: 150 }, (_, i) => `m/${String(i).padStart(3, '0')}`)
      await storage.commit(keys.map((key) => ({ type: 'put' as const, key, value: bytes(key), expectedRevision: null })))
      const first = await storage.scan({ prefix: 'm/' })
      expect(first.records.length).toBeGreaterThan(0)
      expect(first.records.length).toBeLessThanOrEqual(100)
      expect(first.cursor).toBeDefined()
      expect(keysOf(await scanAll(storage, 'm/', 1000))).toEqual(keys)
    })

    it('limit must be an integer from 1 to 1000 (InvalidParameter otherwise)', async () => {
      const storage = await seeded()
      for (const limit of [0, -1, 1.5, 1001, Number.NaN, Number.POSITIVE_INFINITY, '10']) {
        await expectKmsError(storage.scan({ prefix: '', limit: limit as number }), 'InvalidParameter')
      }
      expect((await storage.scan({ prefix: '', limit: 1 })).records).toHaveLength(1)
      expect(keysOf((await storage.scan({ prefix: '', limit: 1000 })).records)).toEqual(ORDERED)
    })

    it('a malformed prefix or after is InvalidParameter', async () => {
      const storage = await h.open()
      await expectKmsError(storage.scan({ prefix: 42 } as unknown as ScanOptions), 'InvalidParameter')
      await expectKmsError(storage.scan({ prefix: 'a\uD800' }), 'InvalidParameter')
      await expectKmsError(storage.scan({ prefix: '', after: '\uDFFF' }), 'InvalidParameter')
    })

    it('reflects updates and deletes', async () => {
      const storage = await h.open()
      const { revisions } = await storage.commit(['x/1', 'x/2', 'x/3'].map((key) => ({ type: 'put' as const, key, value: bytes('old'), expectedRevision: null })))
      const { revisions: updated } = await storage.commit([
        { type: 'delete', key: 'x/2', expectedRevision: revisions.get('x/2')! },
        { type: 'put', key: 'x/3', value: bytes('new'), expectedRevision: revisions.get('x/3')! },
      ])
      const records = await scanAll(storage, 'x/')
      expect(records.map((r) => [r.key, text(r.value), r.revision])).toEqual([
        ['x/1', 'old', revisions.get('x/1')],
        ['x/3', 'new', updated.get('x/3')],
      ])
    })
  })
}
