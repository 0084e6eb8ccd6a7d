/**
 * The conformance suite every Strongroom storage adapter passes. It registers its tests
 * with the test runner it is given (see runner.ts); an adapter's own test file is a few lines:
 *
 * ```ts
 * import { storageConformanceSuite } from '@strongroom/storage-conformance/vitest'   // vitest by default
 *
 * storageConformanceSuite({
 *   name: 'my-adapter',
 *   factory: async () => myStorage(await freshDatabase()),
 * })
 * ```
 *
 * With another runner: `import { storageConformanceSuite } from '@strongroom/storage-conformance'`
 * and pass `runner` (e.g. `nodeTestRunner` from `@strongroom/storage-conformance/node-test`).
 *
 * The suite branches only on the adapter's `manifest` (durability tests need `durable`),
 * on whether it implements the optional `watch`, and on which optional factories are given.
 * With `namespaced`, the whole suite runs again inside a namespace, plus isolation tests —
 * the way abstract-level's suite re-runs itself on a sublevel.
 */

import type { StorageAdapter } from '@strongroom/core'
import { harness, type HarnessFactories } from './harness.js'
import type { TestRunner } from './runner.js'
import { concurrencyTests } from './groups/concurrency.js'
import { engineTests } from './groups/engine.js'
import { lifecycleTests } from './groups/lifecycle.js'
import { modelTests } from './groups/model.js'
import { namespaceTests } from './groups/namespaces.js'
import { recordTests } from './groups/records.js'
import { scanTests } from './groups/scan.js'
import { watchTests } from './groups/watch.js'

export interface StorageConformanceOptions {
  /** Registers the tests: vitest, node:test, mocha… (see `TestRunner`). */
  readonly runner: TestRunner
  /** Names the top-level `describe`. */
  readonly name: string
  /** A fresh, empty, isolated store for each test. The suite closes what it opens. */
  readonly factory: () => Promise<StorageAdapter>
  /**
   * Close `old` and open the same store again (same files, same database). Enables the
   * durability tests, which run when `manifest.durable` is true. Must also accept the
   * adapters that `namespaced` returns.
   */
  readonly reopen?: (old: StorageAdapter) => Promise<StorageAdapter>
  /** Two adapters over sibling namespaces of one backing store (e.g. two sublevels). */
  readonly namespaced?: () => Promise<{ readonly storage: StorageAdapter; readonly sibling: StorageAdapter }>
  /**
   * Two adapter instances over one backing store, for cross-instance concurrency and watch.
   * Closing the first must leave the second usable.
   */
  readonly shared?: () => Promise<readonly [StorageAdapter, StorageAdapter]>
}

export function storageConformanceSuite(options: StorageConformanceOptions): void {
  const { runner } = options
  const { describe, afterEach } = runner
  describe(`storage conformance: ${options.name}`, () => {
    runGroups(runner, { factory: options.factory, reopen: options.reopen, shared: options.shared })

    const namespaced = options.namespaced
    if (namespaced === undefined) return
    describe('inside a namespace', () => {
      // The namespaced adapters' siblings stay open beside them during each test.
      const others: StorageAdapter[] = []
      afterEach(async () => {
        for (const storage of others.splice(0)) await storage.close()
      })
      runGroups(runner, {
        factory: async () => {
          const { storage, sibling } = await namespaced()
          others.push(sibling)
          return storage
        },
        reopen: options.reopen,
      })
      namespaceTests(runner, async () => {
        const pair = await namespaced()
        others.push(pair.storage, pair.sibling)
        return pair
      })
    })
  })
}

function runGroups(runner: TestRunner, factories: HarnessFactories): void {
  const h = harness(runner, factories)
  recordTests(h)
  scanTests(h)
  concurrencyTests(h)
  modelTests(h)
  watchTests(h)
  lifecycleTests(h)
  engineTests(h)
}
