/**
 * Property-based test: random sequences of commits, gets and scans give the same answers
 * as a plain Map model, including which commits conflict.
 *
 * ```ts
 * modelTests(harness({ factory }))
 * ```
 *
 * Few keys and a bias towards correct expectations, so sequences mix successes and
 * conflicts on the same records, including delete-and-recreate. Runs are modest so a
 * durable backend with fsync'd commits stays within a second or two.
 */

import fc from 'fast-check'
import { expect } from '../expect.js'
import type { Mutation, StorageAdapter } from '@strongroom/core'
import { compareUtf8, scanAll, type Harness } from '../harness.js'

const KEYS = ['a', 'a/1', 'a0', 'a\u0000', 'b', 'é', '\uFFFD', '😀']
const PREFIXES = ['', 'a', 'a/', 'é', '\uFFFD', 'z']
const RUNS = 25

type Expectation = 'current' | 'absent' | 'stale' | 'bogus'
interface MutationPlan { type: Mutation['type']; key: string; expectation: Expectation; value: Uint8Array }
type Command =
  | { kind: 'commit'; mutations: MutationPlan[] }
  | { kind: 'get'; key: string }
  | { kind: 'scan'; prefix: string; limit: number }

const key = fc.constantFrom(...KEYS)
const mutation: fc.Arbitrary<MutationPlan> = fc.record({
  type: fc.constantFrom<Mutation['type']>('put', 'put', 'delete', 'check'),
  key,
  expectation: fc.constantFrom<Expectation>('current', 'current', 'current', 'absent', 'stale', 'bogus'),
  value: fc.uint8Array({ maxLength: 8 }),
})
const command: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('commit' as const), mutations: fc.uniqueArray(mutation, { minLength: 1, maxLength: 4, selector: (m) => m.key }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('get' as const), key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('scan' as const), prefix: fc.constantFrom(...PREFIXES), limit: fc.integer({ min: 1, max: 4 }) }) },
)

interface ModelRecord { readonly value: Uint8Array; readonly revision: number }

export function modelTests(h: Harness): void {
  const { describe, it } = h.runner
  describe('model', () => {
    it('random commits, gets and scans agree with a Map model (fast-check)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 30 }), async (commands) => {
          const storage = await h.open()
          try {
            await check(storage, commands)
          } finally {
            await storage.close()
          }
        }),
        { numRuns: RUNS },
      )
    })
  })
}

async function check(storage: StorageAdapter, commands: readonly Command[]): Promise<void> {
  const model = new Map<string, ModelRecord>()
  /** Every revision each key has ever had: a new one must never repeat them. */
  const history = new Map<string, number[]>()
  const everyRevision: number[] = []

  for (const cmd of commands) {
    if (cmd.kind === 'get') {
      const record = await storage.get(cmd.key)
      const expected = model.get(cmd.key)
      expect(record && { value: record.value, revision: record.revision }).toEqual(expected && { ...expected })
    } else if (cmd.kind === 'scan') {
      expect(await scanAll(storage, cmd.prefix, cmd.limit)).toEqual(modelScan(model, cmd.prefix))
    } else {
      const mutations = cmd.mutations.map((m) => toMutation(m, model, history, everyRevision))
      const succeeds = mutations.every((m) => m.expectedRevision === (model.get(m.key)?.revision ?? null))
      let result: Awaited<ReturnType<StorageAdapter['commit']>> | undefined
      try {
        result = await storage.commit(mutations)
      } catch (error) {
        expect((error as { code?: unknown }).code, 'only a Conflict may reject a well-formed commit').toBe('Conflict')
      }
      expect(result !== undefined, `commit should ${succeeds ? 'succeed' : 'conflict'}: ${JSON.stringify(mutations.map((m) => [m.type, m.key, m.expectedRevision]))}`).toBe(succeeds)
      if (result === undefined) continue
      const puts = mutations.filter((m) => m.type === 'put')
      expect([...result.revisions.keys()].sort()).toEqual(puts.map((m) => m.key).sort())
      for (const m of mutations) {
        if (m.type === 'put') {
          const revision = result.revisions.get(m.key)!
          expect(Number.isSafeInteger(revision) && revision > 0).toBe(true)
          const seen = history.get(m.key) ?? []
          expect(seen, `revision ${revision} of '${m.key}' reused`).not.toContain(revision)
          history.set(m.key, [...seen, revision])
          everyRevision.push(revision)
          model.set(m.key, { value: m.value.slice(), revision })
        } else if (m.type === 'delete') {
          model.delete(m.key)
        }
      }
    }
  }
  expect(await scanAll(storage, '', 1000)).toEqual(modelScan(model, ''))
}

function toMutation(plan: MutationPlan, model: Map<string, ModelRecord>, history: Map<string, number[]>, everyRevision: number[]): Mutation {
  const current = model.get(plan.key)?.revision ?? null
  let expected: number | null
  switch (plan.expectation) {
    case 'current':
      expected = current
      break
    case 'absent':
      expected = null
      break
    case 'stale': {
      // An earlier revision of this key, else one some other key had.
      const older = (history.get(plan.key) ?? []).filter((r) => r !== current)
      expected = older[older.length - 1] ?? everyRevision[0] ?? null
      break
    }
    case 'bogus':
      expected = 2 ** 40 + everyRevision.length
      break
  }
  switch (plan.type) {
    case 'put':
      return { type: 'put', key: plan.key, value: plan.value, expectedRevision: expected }
    case 'check':
      return { type: 'check', key: plan.key, expectedRevision: expected }
    case 'delete':
      // A delete cannot expect absence; expecting some number keeps it well-formed (and failing).
      return { type: 'delete', key: plan.key, expectedRevision: expected ?? current ?? 2 ** 40 }
  }
}

function modelScan(model: Map<string, ModelRecord>, prefix: string) {
  return [...model.entries()]
    .filter(([k]) => k.startsWith(prefix))
    .sort(([x], [y]) => compareUtf8(x, y))
    .map(([k, record]) => ({ key: k, value: record.value, revision: record.revision }))
}
