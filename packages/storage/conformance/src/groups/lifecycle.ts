/**
 * close, and (for adapters whose manifest says `durable`, given a `reopen`) what survives
 * closing and reopening the store.
 *
 * ```ts
 * lifecycleTests(harness({ factory, reopen }))
 * ```
 */

import { expect } from '../expect.js'
import type { StorageAdapter } from '@strongroom/core'
import { create, expectKmsError, put, putMutation, scanAll, text, type Harness } from '../harness.js'

export function lifecycleTests(h: Harness): void {
  const { describe, it } = h.runner
  describe('close', () => {
    it('after close every operation fails with Closed, and close is idempotent', async () => {
      const storage = await h.open()
      await create(storage, 'k')
      await storage.close()
      await expectKmsError(() => storage.get('k'), 'Closed')
      await expectKmsError(() => storage.scan({ prefix: '' }), 'Closed')
      await expectKmsError(() => storage.commit([putMutation('x', 'x', null)]), 'Closed')
      if (storage.watch !== undefined) await expectKmsError(() => storage.watch!(() => {}), 'Closed')
      await storage.close()
      await Promise.all([storage.close(), storage.close()])
    })

    it('commits in flight when close is called settle, each with its result or Closed', async () => {
      const storage = await h.open()
      const pending = Promise.allSettled(Array.from({ length: 10 }, (_, i) => storage.commit([putMutation(`k${i}`, 'v', null)])))
      await storage.close()
      for (const outcome of await pending) {
        if (outcome.status === 'rejected') await expectKmsError(Promise.reject(outcome.reason), 'Closed')
      }
    })
  })

  if (h.reopen === undefined) return h.runner.skip('durability', 'no reopen() factory given')
  const reopen = h.reopen
  describe('durability', () => {

    it('every acknowledged commit survives closing and reopening the store', async (skip) => {
      let storage = await h.open()
      if (!storage.manifest.durable) return skip('manifest.durable is false')
      const a = await create(storage, 'a', 'a1')
      const c = await create(storage, 'c', 'c1')
      await put(storage, 'a', 'a2', a)
      await storage.commit([putMutation('b', 'b1', null), putMutation('é', 'e1', null), { type: 'delete', key: 'c', expectedRevision: c }])
      const before = await scanAll(storage, '')
      expect(before.map((r) => [r.key, text(r.value)])).toEqual([['a', 'a2'], ['b', 'b1'], ['é', 'e1']])

      storage = await reopen(storage)
      expect(await scanAll(storage, '')).toEqual(before)
      expect(await storage.get('c')).toBeUndefined()
      // Expectations keep working against the reopened store.
      await expectKmsError(storage.commit([putMutation('a', 'stale', a)]), 'Conflict')
      await put(storage, 'a', 'a3', before[0]!.revision)
      await create(storage, 'c', 'c2')
    })

    it('revisions are never reused across reopen, also for a deleted and recreated key', async (skip) => {
      let storage = await h.open()
      if (!storage.manifest.durable) return skip('manifest.durable is false')
      // 'k' is written first so it holds the store's earliest revisions: a sequence that
      // restarts after reopen would hand them out again.
      const history: number[] = []
      let revision = await create(storage, 'k')
      history.push(revision)
      for (let i = 0; i < 3; i++) history.push((revision = await put(storage, 'k', `v${i}`, revision)))
      const other = await create(storage, 'other')
      await storage.commit([{ type: 'delete', key: 'k', expectedRevision: revision }])

      storage = await reopen(storage)
      const recreated = await create(storage, 'k')
      expect(history).not.toContain(recreated)
      const updated = await put(storage, 'other', 'v2', other)
      expect([other, ...history]).not.toContain(updated)
      storage = await reopen(storage)
      const again = await put(storage, 'k', 'v3', recreated)
      expect([...history, recreated]).not.toContain(again)
    })

    it('commits in flight while the store is closed are either durable or rejected with Closed', async (skip) => {
      const storage = await h.open()
      if (!storage.manifest.durable) return skip('manifest.durable is false')
      const pending = Promise.allSettled(Array.from({ length: 10 }, (_, i) => storage.commit([putMutation(`k${i}`, `v${i}`, null)])))
      const reopened: StorageAdapter = await reopen(storage)
      for (const [i, outcome] of (await pending).entries()) {
        if (outcome.status === 'rejected') {
          await expectKmsError(Promise.reject(outcome.reason), 'Closed')
        } else {
          const record = await reopened.get(`k${i}`)
          expect(record && { value: text(record.value), revision: record.revision }).toEqual({ value: `v${i}`, revision: outcome.value.revisions.get(`k${i}`) })
        }
      }
    })
  })
}
