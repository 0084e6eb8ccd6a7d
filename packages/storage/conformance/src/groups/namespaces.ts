/**
 * Isolation between sibling namespaces of one backing store (for example two sublevels of
 * one LevelDB): neither sees, conflicts with, nor is announced the other's records.
 *
 * ```ts
 * namespaceTests(runner, async () => ({ storage, sibling }))
 * ```
 */

import { expect } from '../expect.js'
import type { StorageAdapter, StorageChange } from '@strongroom/core'
import type { TestRunner } from '../runner.js'
import { create, keysOf, put, scanAll, text } from '../harness.js'

export type NamespacedFactory = () => Promise<{ readonly storage: StorageAdapter; readonly sibling: StorageAdapter }>

export function namespaceTests(runner: TestRunner, open: NamespacedFactory): void {
  const { describe, it } = runner
  describe('namespace isolation', () => {
    it('records of a sibling namespace are invisible to get and scan', async () => {
      const { storage, sibling } = await open()
      await create(storage, 'mine')
      await create(sibling, 'theirs')
      await create(sibling, 'm') // would show up under prefix 'm' if namespaces leaked
      expect(await storage.get('theirs')).toBeUndefined()
      expect(await sibling.get('mine')).toBeUndefined()
      expect(keysOf(await scanAll(storage, ''))).toEqual(['mine'])
      expect(keysOf(await scanAll(storage, 'm'))).toEqual(['mine'])
      expect(keysOf(await scanAll(sibling, ''))).toEqual(['m', 'theirs'])
    })

    it('the same key lives independently in each namespace; conflicts do not cross', async () => {
      const { storage, sibling } = await open()
      const mine = await create(storage, 'k', 'mine')
      const theirs = await create(sibling, 'k', 'theirs')
      // Each namespace judges expectations by its own record only.
      await storage.commit([{ type: 'check', key: 'only-sibling', expectedRevision: null }])
      await create(sibling, 'only-sibling')
      await storage.commit([{ type: 'check', key: 'only-sibling', expectedRevision: null }])
      await put(storage, 'k', 'mine 2', mine)
      await sibling.commit([{ type: 'delete', key: 'k', expectedRevision: theirs }])
      expect(text((await storage.get('k'))!.value)).toBe('mine 2')
      expect(await sibling.get('k')).toBeUndefined()
    })

    it('commits in a sibling namespace are not announced to watchers of this one', async (skip) => {
      const { storage, sibling } = await open()
      if (storage.watch === undefined) return skip('the adapter has no watch()')
      const calls: StorageChange[][] = []
      storage.watch((changes) => calls.push([...changes]))
      await create(sibling, 'k')
      const revision = await create(storage, 'k')
      expect(calls).toEqual([[{ key: 'k', revision }]])
    })
  })
}
