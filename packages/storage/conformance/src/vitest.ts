/**
 * The suite on vitest, its default runner: the same `storageConformanceSuite` with
 * `runner` optional.
 *
 * ```ts
 * import { storageConformanceSuite } from '@strongroom/storage-conformance/vitest'
 *
 * storageConformanceSuite({ name: 'my-adapter', factory: async () => myStorage(await freshDatabase()) })
 * ```
 *
 * Only this entry point imports vitest, so the package does not need it otherwise.
 */

import { afterEach, describe, it } from 'vitest'
import type { TestRunner } from './runner.js'
import { storageConformanceSuite as suiteOn, type StorageConformanceOptions } from './suite.js'

export const vitestRunner: TestRunner = {
  describe: (name, body) => {
    describe(name, body)
  },
  it: (name, body) => {
    it(name, (context) => body((reason) => context.skip(reason)))
  },
  skip: (name, reason) => {
    it.skip(`${name} (skipped: ${reason})`, () => {})
  },
  afterEach: (hook) => {
    afterEach(hook)
  },
}

export type VitestConformanceOptions = Omit<StorageConformanceOptions, 'runner'> & { readonly runner?: TestRunner }

export function storageConformanceSuite(options: VitestConformanceOptions): void {
  suiteOn({ ...options, runner: options.runner ?? vitestRunner })
}
