/**
 * The suite on Node's built-in test runner (`node --test`), without vitest.
 *
 * ```ts
 * import { storageConformanceSuite } from '@strongroom/storage-conformance'
 * import { nodeTestRunner } from '@strongroom/storage-conformance/node-test'
 *
 * storageConformanceSuite({ runner: nodeTestRunner, name: 'my-adapter', factory: async () => myStorage() })
 * ```
 */

import { afterEach, describe, it } from 'node:test'
import type { TestRunner } from './runner.js'

export const nodeTestRunner: TestRunner = {
  describe: (name, body) => {
    void describe(name, body)
  },
  it: (name, body) => {
    // node:test's skip() marks the test and returns; the suite's tests return right after it.
    void it(name, (context) => body((reason) => context.skip(reason)))
  },
  skip: (name, reason) => {
    void it(name, { skip: reason }, () => {})
  },
  afterEach: (hook) => {
    afterEach(hook)
  },
}
