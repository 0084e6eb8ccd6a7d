/**
 * watch (optional in the contract; skipped for adapters without it): every applied commit
 * is announced once, synchronously, to every listener on the backing store.
 *
 * ```ts
 * watchTests(harness({ factory, shared }))
 * ```
 */

import { expect } from '../expect.js'
import type { StorageAdapter, StorageChange } from '@strongroom/core'
import { create, expectKmsError, putMutation, itIf, type Harness } from '../harness.js'

type Watchable = StorageAdapter & Required<Pick<StorageAdapter, 'watch'>>

/** Records every call of a listener. */
function recorder(storage: Watchable) {
  const calls: StorageChange[][] = []
  const unsubscribe = storage.watch((changes) => {
    calls.push([...changes].sort((x, y) => (x.key < y.key ? -1 : 1)))
  })
  return { calls, unsubscribe }
}

function hasWatch(storage: StorageAdapter): storage is Watchable {
  return typeof storage.watch === 'function'
}

export function watchTests(h: Harness): void {
  const { describe, it } = h.runner
  describe('watch', () => {
    it('announces each commit once, with new revisions and null for deletes, before commit resolves', async (skip) => {
      const storage = await h.open()
      if (!hasWatch(storage)) return skip('the adapter has no watch()')
      const { calls } = recorder(storage)
      const d = await create(storage, 'd')
      const c = await create(storage, 'c')
      const a = await create(storage, 'a')
      expect(calls).toEqual([[{ key: 'd', revision: d }], [{ key: 'c', revision: c }], [{ key: 'a', revision: a }]])

      let callsWhenResolved = -1
      const { revisions } = await storage
        .commit([putMutation('b', 'b', null), putMutation('a', 'a2', a), { type: 'delete', key: 'c', expectedRevision: c }, { type: 'check', key: 'd', expectedRevision: d }])
        .then((result) => {
          callsWhenResolved = calls.length
          return result
        })
      expect(callsWhenResolved).toBe(4)
      expect(calls[3]).toEqual([
        { key: 'a', revision: revisions.get('a') },
        { key: 'b', revision: revisions.get('b') },
        { key: 'c', revision: null },
      ])
    })

    it('a rejected commit announces nothing', async (skip) => {
      const storage = await h.open()
      if (!hasWatch(storage)) return skip('the adapter has no watch()')
      const revision = await create(storage, 'k')
      const { calls } = recorder(storage)
      await expectKmsError(storage.commit([putMutation('x', 'x', null), putMutation('k', 'v', revision + 1)]), 'Conflict')
      await expectKmsError(storage.commit([putMutation('x', 'x', null), putMutation('x', 'y', null)]), 'InvalidParameter')
      expect(calls).toEqual([])
    })

    it('unsubscribe stops one listener, is idempotent, and leaves the others subscribed', async (skip) => {
      const storage = await h.open()
      if (!hasWatch(storage)) return skip('the adapter has no watch()')
      const first = recorder(storage)
      const second = recorder(storage)
      const one = await create(storage, 'one')
      first.unsubscribe()
      first.unsubscribe()
      const two = await create(storage, 'two')
      expect(first.calls).toEqual([[{ key: 'one', revision: one }]])
      expect(second.calls).toEqual([[{ key: 'one', revision: one }], [{ key: 'two', revision: two }]])
    })

    itIf(h, h.shared !== undefined, 'no shared() factory given', 'a commit through one instance is announced to listeners on the other', async (skip) => {
      const [one, two] = await h.shared!()
      if (!hasWatch(one) || !hasWatch(two)) return skip('the adapter has no watch()')
      const onOne = recorder(one)
      const onTwo = recorder(two)
      const a = await create(one, 'a')
      const b = await create(two, 'b')
      await two.commit([{ type: 'delete', key: 'a', expectedRevision: a }])
      const expected = [[{ key: 'a', revision: a }], [{ key: 'b', revision: b }], [{ key: 'a', revision: null }]]
      expect(onOne.calls).toEqual(expected)
      expect(onTwo.calls).toEqual(expected)
    })

    itIf(h, h.shared !== undefined, 'no shared() factory given', 'closing an instance drops its listeners; the other keeps announcing', async (skip) => {
      const [one, two] = await h.shared!()
      if (!hasWatch(one) || !hasWatch(two)) return skip('the adapter has no watch()')
      const onOne = recorder(one)
      const onTwo = recorder(two)
      await one.close()
      const revision = await create(two, 'k')
      expect(onOne.calls).toEqual([])
      expect(onTwo.calls).toEqual([[{ key: 'k', revision }]])
    })
  })
}
