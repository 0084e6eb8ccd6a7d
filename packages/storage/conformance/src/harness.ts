/**
 * What every group of the suite shares: fresh stores that are closed after each test, and
 * small helpers for bytes, UTF-8 ordering and expected errors.
 *
 * ```ts
 * const h = harness(runner, { factory })   // inside a describe(): registers the afterEach
 * h.runner.it('…', async () => { const storage = await h.open() })
 * ```
 */

import type { KmsErrorCode, Mutation, ScanPage, StorageAdapter, StoredRecord } from '@strongroom/core'
import { expect } from './expect.js'
import type { SkipTest, TestRunner } from './runner.js'

export interface HarnessFactories {
  readonly factory: () => Promise<StorageAdapter>
  readonly reopen?: ((old: StorageAdapter) => Promise<StorageAdapter>) | undefined
  readonly shared?: (() => Promise<readonly [StorageAdapter, StorageAdapter]>) | undefined
}

export interface Harness {
  /** Where the groups register their tests. */
  readonly runner: TestRunner
  /** A fresh, empty store, closed after the test. */
  open(): Promise<StorageAdapter>
  /** Close `old` and open the same store again; only when the adapter's test file gave `reopen`. */
  readonly reopen: ((old: StorageAdapter) => Promise<StorageAdapter>) | undefined
  /** Two instances over one store; only when `shared` was given. */
  readonly shared: (() => Promise<readonly [StorageAdapter, StorageAdapter]>) | undefined
}

/** Must be called inside a `describe` so the cleanup hook is scoped to it. */
export function harness(runner: TestRunner, factories: HarnessFactories): Harness {
  const opened: StorageAdapter[] = []
  const track = <T extends StorageAdapter>(storage: T): T => {
    opened.push(storage)
    return storage
  }

  runner.afterEach(async () => {
    // Reverse order: instances opened later may depend on earlier ones (shared databases).
    const adapters = opened.splice(0).reverse()
    for (const storage of adapters) await storage.close()
  })

  const { reopen, shared } = factories
  return {
    runner,
    open: async () => track(await factories.factory()),
    reopen: reopen && (async (old) => track(await reopen(old))),
    shared: shared && (async () => {
      const pair = await shared()
      track(pair[0])
      track(pair[1])
      return pair
    }),
  }
}

/** A test that runs when `condition` holds, and otherwise shows as skipped with `reason`. */
export function itIf(h: Harness, condition: boolean, reason: string, name: string, body: (skip: SkipTest) => Promise<void>): void {
  if (condition) h.runner.it(name, body)
  else h.runner.skip(name, reason)
}

const encoder = new TextEncoder()

export function bytes(text: string): Uint8Array {
  return encoder.encode(text)
}

/** The contract's key order: by UTF-8 bytes (not UTF-16 code units, not `localeCompare`). */
export function compareUtf8(a: string, b: string): number {
  const x = encoder.encode(a)
  const y = encoder.encode(b)
  const length = Math.min(x.length, y.length)
  for (let i = 0; i < length; i++) {
    if (x[i] !== y[i]) return x[i]! - y[i]!
  }
  return x.length - y.length
}

/** Asserts that `action` rejects (or throws) a KmsError with `code`, and returns it. */
export async function expectKmsError(action: Promise<unknown> | (() => unknown), code: KmsErrorCode): Promise<Error> {
  let error: unknown
  try {
    await (typeof action === 'function' ? action() : action)
  } catch (caught) {
    error = caught
  }
  // By name and code, not instanceof: an adapter may bundle its own copy of @strongroom/core.
  expect(error, `expected KmsError '${code}'`).toBeInstanceOf(Error)
  expect({ name: (error as Error).name, code: (error as { code?: unknown }).code }).toEqual({ name: 'KmsError', code })
  return error as Error
}

/** Creates `key` (it must not exist) and returns its revision. */
export async function create(storage: StorageAdapter, key: string, value: Uint8Array | string = key): Promise<number> {
  return put(storage, key, value, null)
}

/** One put and its new revision. */
export async function put(storage: StorageAdapter, key: string, value: Uint8Array | string, expectedRevision: number | null): Promise<number> {
  const { revisions } = await storage.commit([
    { type: 'put', key, value: typeof value === 'string' ? bytes(value) : value, expectedRevision },
  ])
  const revision = revisions.get(key)
  expect(revision).toBeDefined()
  return revision!
}

export function putMutation(key: string, value: string, expectedRevision: number | null): Mutation {
  return { type: 'put', key, value: bytes(value), expectedRevision }
}

/**
 * Every record under `prefix`, following cursors, asserting the paging rules that hold for
 * every adapter: a page never exceeds `limit`, and a cursor after a non-empty page is its
 * last key. (An adapter may return fewer records than asked, or a cursor when nothing
 * follows; the final empty page then has no cursor.)
 */
export async function scanAll(storage: StorageAdapter, prefix: string, limit?: number): Promise<StoredRecord[]> {
  const records: StoredRecord[] = []
  let after: string | undefined
  for (let pages = 1; ; pages++) {
    const page: ScanPage = await storage.scan({ prefix, ...(after === undefined ? {} : { after }), ...(limit === undefined ? {} : { limit }) })
    expect(page.records.length).toBeLessThanOrEqual(limit ?? 100)
    records.push(...page.records)
    if (page.cursor === undefined) return records
    const last = page.records[page.records.length - 1]
    if (last !== undefined) expect(page.cursor).toBe(last.key)
    // Guard against a cursor that never ends (empty pages forever).
    expect(pages, 'too many pages').toBeLessThanOrEqual(2 * records.length + 2)
    after = page.cursor
  }
}

/** Keys (and only keys) of records, for readable assertions. */
export function keysOf(records: readonly StoredRecord[]): string[] {
  return records.map((record) => record.key)
}

export function text(value: Uint8Array): string {
  return new TextDecoder().decode(value)
}

export function hex(value: Uint8Array): string {
  let out = ''
  for (const byte of value) out += byte.toString(16).padStart(2, '0')
  return out
}
