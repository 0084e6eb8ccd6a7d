/**
 * get and commit on single records: create, replace, delete, check, atomicity, revisions,
 * malformed input and value isolation.
 *
 * ```ts
 * recordTests(harness({ factory }))
 * ```
 */

import { expect } from '../expect.js'
import type { Mutation } from '@strongroom/core'
import { bytes, create, expectKmsError, hex, keysOf, put, putMutation, scanAll, text, type Harness } from '../harness.js'

export function recordTests(h: Harness): void {
  const { describe, it } = h.runner
  describe('get and commit', () => {
    it('get of a missing key resolves undefined', async () => {
      const storage = await h.open()
      expect(await storage.get('missing')).toBeUndefined()
    })

    it('put then get returns the same bytes and a positive integer revision', async () => {
      const storage = await h.open()
      const value = new Uint8Array([0, 1, 2, 254, 255])
      const { revisions } = await storage.commit([{ type: 'put', key: 'k', value, expectedRevision: null }])
      const revision = revisions.get('k')
      expect(Number.isSafeInteger(revision) && revision! > 0).toBe(true)
      const record = await storage.get('k')
      expect(record).toEqual({ key: 'k', value: new Uint8Array([0, 1, 2, 254, 255]), revision })
      expect(record?.value).toBeInstanceOf(Uint8Array)
    })

    it('commit result lists the new revision of every put and nothing else', async () => {
      const storage = await h.open()
      const d = await create(storage, 'd')
      const c = await create(storage, 'c')
      const { revisions } = await storage.commit([
        putMutation('a', 'a', null),
        putMutation('b', 'b', null),
        { type: 'check', key: 'c', expectedRevision: c },
        { type: 'delete', key: 'd', expectedRevision: d },
      ])
      expect([...revisions.keys()].sort()).toEqual(['a', 'b'])
      expect(revisions.get('a')).not.toBe(revisions.get('b'))
      expect((await storage.get('a'))?.revision).toBe(revisions.get('a'))
      expect((await storage.get('b'))?.revision).toBe(revisions.get('b'))
    })

    it('an empty value and a large value round-trip; a Buffer is accepted', async () => {
      const storage = await h.open()
      const large = new Uint8Array(256 * 1024).map((_, i) => (i * 7) & 0xff)
      await storage.commit([
        { type: 'put', key: 'empty', value: new Uint8Array(0), expectedRevision: null },
        { type: 'put', key: 'large', value: large, expectedRevision: null },
        // A view into a larger buffer, as Node's Buffer pool hands out.
        { type: 'put', key: 'view', value: new Uint8Array(new Uint8Array([9, 8, 7, 6]).buffer, 1, 2), expectedRevision: null },
      ])
      expect((await storage.get('empty'))?.value).toEqual(new Uint8Array(0))
      // Compared as one string: element-wise toEqual on 256 KiB takes half a second.
      expect(hex((await storage.get('large'))!.value)).toBe(hex(large))
      expect((await storage.get('view'))?.value).toEqual(new Uint8Array([8, 7]))
    })

    it('create (expectedRevision null) of an existing key is a Conflict and writes nothing', async () => {
      const storage = await h.open()
      const revision = await create(storage, 'k', 'first')
      await expectKmsError(storage.commit([putMutation('k', 'second', null)]), 'Conflict')
      const record = await storage.get('k')
      expect({ value: text(record!.value), revision: record!.revision }).toEqual({ value: 'first', revision })
    })

    it('replace with the current revision succeeds and changes the revision', async () => {
      const storage = await h.open()
      const first = await create(storage, 'k', 'first')
      const second = await put(storage, 'k', 'second', first)
      expect(second).not.toBe(first)
      const record = await storage.get('k')
      expect({ value: text(record!.value), revision: record!.revision }).toEqual({ value: 'second', revision: second })
    })

    it('replace with a stale revision is a Conflict and writes nothing', async () => {
      const storage = await h.open()
      const first = await create(storage, 'k', 'first')
      const second = await put(storage, 'k', 'second', first)
      await expectKmsError(storage.commit([putMutation('k', 'third', first)]), 'Conflict')
      const record = await storage.get('k')
      expect({ value: text(record!.value), revision: record!.revision }).toEqual({ value: 'second', revision: second })
    })

    it('replace of a missing key (expecting a revision) is a Conflict and creates nothing', async () => {
      const storage = await h.open()
      await expectKmsError(storage.commit([putMutation('k', 'v', 1)]), 'Conflict')
      expect(await storage.get('k')).toBeUndefined()
    })

    it('delete with the current revision removes the record', async () => {
      const storage = await h.open()
      const revision = await create(storage, 'k')
      const { revisions } = await storage.commit([{ type: 'delete', key: 'k', expectedRevision: revision }])
      expect(revisions.size).toBe(0)
      expect(await storage.get('k')).toBeUndefined()
    })

    it('delete with a wrong revision, or of a missing key, is a Conflict and deletes nothing', async () => {
      const storage = await h.open()
      const revision = await create(storage, 'k')
      await expectKmsError(storage.commit([{ type: 'delete', key: 'k', expectedRevision: revision + 1 }]), 'Conflict')
      expect((await storage.get('k'))?.revision).toBe(revision)
      await expectKmsError(storage.commit([{ type: 'delete', key: 'missing', expectedRevision: revision }]), 'Conflict')
    })

    it('a passing check writes nothing', async () => {
      const storage = await h.open()
      const revision = await create(storage, 'k', 'v')
      const { revisions } = await storage.commit([
        { type: 'check', key: 'k', expectedRevision: revision },
        { type: 'check', key: 'absent', expectedRevision: null },
      ])
      expect(revisions.size).toBe(0)
      expect(await storage.get('k')).toEqual({ key: 'k', value: bytes('v'), revision })
      expect(await storage.get('absent')).toBeUndefined()
    })

    it('a failing check is a Conflict and the rest of its commit is not written', async () => {
      const storage = await h.open()
      const revision = await create(storage, 'k')
      const failing: Mutation[] = [
        { type: 'check', key: 'k', expectedRevision: null },
        { type: 'check', key: 'k', expectedRevision: revision + 1 },
        { type: 'check', key: 'absent', expectedRevision: revision },
      ]
      for (const check of failing) {
        await expectKmsError(storage.commit([putMutation('other', 'x', null), check]), 'Conflict')
      }
      expect(await storage.get('other')).toBeUndefined()
      expect(keysOf(await scanAll(storage, ''))).toEqual(['k'])
    })

    it('a multi-key commit whose last mutation fails writes none of them (atomicity)', async () => {
      const storage = await h.open()
      const a = await create(storage, 'a', 'a1')
      const d = await create(storage, 'd', 'd1')
      const z = await create(storage, 'z', 'z1')
      await expectKmsError(
        storage.commit([
          putMutation('a', 'a2', a),
          putMutation('b', 'b1', null),
          { type: 'delete', key: 'd', expectedRevision: d },
          putMutation('z', 'z2', z + 1000),
        ]),
        'Conflict',
      )
      const after = await scanAll(storage, '')
      expect(after.map((r) => [r.key, text(r.value), r.revision])).toEqual([['a', 'a1', a], ['d', 'd1', d], ['z', 'z1', z]])
    })

    it('a multi-key commit applies every put and delete', async () => {
      const storage = await h.open()
      const a = await create(storage, 'a', 'a1')
      const d = await create(storage, 'd', 'd1')
      const { revisions } = await storage.commit([
        putMutation('a', 'a2', a),
        putMutation('b', 'b1', null),
        { type: 'delete', key: 'd', expectedRevision: d },
      ])
      const after = await scanAll(storage, '')
      expect(after.map((r) => [r.key, text(r.value), r.revision])).toEqual([['a', 'a2', revisions.get('a')], ['b', 'b1', revisions.get('b')]])
    })

    it('two mutations on one key in one commit are InvalidParameter and write nothing', async () => {
      const storage = await h.open()
      const revision = await create(storage, 'k', 'v')
      await expectKmsError(storage.commit([putMutation('new', 'n', null), putMutation('k', 'x', revision), { type: 'check', key: 'k', expectedRevision: revision }]), 'InvalidParameter')
      await expectKmsError(storage.commit([putMutation('k', 'x', revision), { type: 'delete', key: 'k', expectedRevision: revision }]), 'InvalidParameter')
      expect(await storage.get('k')).toEqual({ key: 'k', value: bytes('v'), revision })
      expect(await storage.get('new')).toBeUndefined()
    })

    it('malformed mutations and keys are InvalidParameter', async () => {
      const storage = await h.open()
      const malformed: unknown[] = [
        { type: 'put', key: '', value: bytes('v'), expectedRevision: null },
        // UTF-8 cannot encode a lone surrogate; accepting it would let two keys collide.
        { type: 'put', key: 'a\uD800', value: bytes('v'), expectedRevision: null },
        { type: 'put', key: 'k', value: 'not bytes', expectedRevision: null },
        { type: 'put', key: 'k', value: bytes('v') },
        { type: 'put', key: 'k', value: bytes('v'), expectedRevision: 0 },
        { type: 'put', key: 'k', value: bytes('v'), expectedRevision: -1 },
        { type: 'put', key: 'k', value: bytes('v'), expectedRevision: 1.5 },
        { type: 'put', key: 'k', value: bytes('v'), expectedRevision: '1' },
        { type: 'delete', key: 'k', expectedRevision: null },
        { type: 'check', key: 'k' },
        { type: 'upsert', key: 'k', value: bytes('v'), expectedRevision: null },
        { type: 'put', key: 42, value: bytes('v'), expectedRevision: null },
        null,
      ]
      for (const mutation of malformed) {
        await expectKmsError(storage.commit([mutation as Mutation]), 'InvalidParameter')
      }
      await expectKmsError(storage.get(''), 'InvalidParameter')
      await expectKmsError(storage.get('\uDC00'), 'InvalidParameter')
      expect(await scanAll(storage, '')).toEqual([])
    })

    it('keys may hold any well-formed characters, including NUL, separators and astral ones', async () => {
      const storage = await h.open()
      const keys = ['a\u0000b', '!', '!records!x', '\u007f', 'ключ', '鍵', '😀', '\uFFFF', ' ', 'a'.repeat(1000)]
      for (const key of keys) await create(storage, key, key)
      for (const key of keys) expect(text((await storage.get(key))!.value)).toBe(key)
      expect(new Set(keysOf(await scanAll(storage, '')))).toEqual(new Set(keys))
    })

    it('a revision changes on every put and is never reused, even after delete and recreate', async () => {
      const storage = await h.open()
      const seen: number[] = []
      for (let round = 0; round < 3; round++) {
        let revision = await create(storage, 'k', `create ${round}`)
        seen.push(revision)
        for (let update = 0; update < 3; update++) {
          revision = await put(storage, 'k', `update ${round}.${update}`, revision)
          seen.push(revision)
        }
        await storage.commit([{ type: 'delete', key: 'k', expectedRevision: revision }])
        await create(storage, `other ${round}`) // other keys advance in between
      }
      expect(seen.every((r) => Number.isSafeInteger(r) && r > 0)).toBe(true)
      expect(new Set(seen).size).toBe(seen.length)
      // So a writer still holding a revision of an earlier incarnation cannot touch the new one.
      const current = await create(storage, 'k', 'new incarnation')
      expect(seen).not.toContain(current)
      for (const stale of seen) await expectKmsError(storage.commit([putMutation('k', 'stale', stale)]), 'Conflict')
      expect(text((await storage.get('k'))!.value)).toBe('new incarnation')
    })

    it('values are isolated: mutating the input or a returned value never changes stored data', async () => {
      const storage = await h.open()
      const input = bytes('original')
      const pending = storage.commit([{ type: 'put', key: 'k', value: input, expectedRevision: null }])
      input.fill(0x21) // before the commit resolves
      await pending
      input.fill(0x22) // and after
      const first = (await storage.get('k'))!
      expect(text(first.value)).toBe('original')
      first.value.fill(0x23)
      expect(text((await storage.get('k'))!.value)).toBe('original')
      const [scanned] = (await storage.scan({ prefix: '' })).records
      scanned!.value.fill(0x24)
      expect(text((await storage.get('k'))!.value)).toBe('original')
      expect(text((await storage.scan({ prefix: 'k' })).records[0]!.value)).toBe('original')
      // Two reads do not share one buffer either.
      const [x, y] = await Promise.all([storage.get('k'), storage.get('k')])
      x!.value.fill(0)
      expect(text(y!.value)).toBe('original')
    })
  })
}
