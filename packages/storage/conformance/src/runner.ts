/**
 * The test runner the suite registers its tests with: vitest, node:test, mocha, or any
 * runner with nested suites and per-test cleanup. The suite needs four things only.
 *
 * ```ts
 * import { describe, it, afterEach } from 'node:test'
 *
 * const runner: TestRunner = {
 *   describe: (name, body) => { describe(name, body) },
 *   it: (name, body) => { it(name, (t) => body((reason) => t.skip(reason))) },
 *   skip: (name, reason) => { it(name, { skip: reason }, () => {}) },
 *   afterEach: (hook) => { afterEach(hook) },
 * }
 * ```
 *
 * Ready-made runners: `@strongroom/storage-conformance/vitest` (also the suite with vitest
 * as its default runner) and `@strongroom/storage-conformance/node-test`. For mocha:
 * `it: (name, body) => it(name, function () { return body(() => this.skip()) })`.
 */

/** Marks the running test as skipped, with the reason; the test body returns right after. */
export type SkipTest = (reason: string) => void

export interface TestRunner {
  /** A group of tests; hooks registered inside it apply to its tests only. */
  describe(name: string, body: () => void): void
  /** One test. `skip` marks it skipped at run time (e.g. when the manifest rules it out). */
  it(name: string, body: (skip: SkipTest) => Promise<void>): void
  /** A test known to be skipped when the suite is registered, shown with its reason. */
  skip(name: string, reason: string): void
  /** Runs after every test of the enclosing `describe`. */
  afterEach(hook: () => Promise<void>): void
}
