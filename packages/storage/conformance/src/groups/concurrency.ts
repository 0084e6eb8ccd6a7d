/**
 * Optimistic concurrency under racing commits: of the commits expecting one revision,
 * exactly one wins and the rest are Conflicts; commits on different keys do not interfere.
 *
 * ```ts
 * concurrencyTests(harness({ factory, shared }))
 * ```
 */

import { expect } from '../expect.js'
import type { Mutation, StorageAdapter } from '@strongroom/core'
import { create, expectKmsError, putMutation, text, itIf, type Harness } from '../harness.js'

const RACERS = 20

export function concurrencyTests(h: Harness): void {
  const { describe, it } = h.runner
  describe('concurrency', () => {
    it(`${RACERS} racing replaces expecting the same revision: exactly one wins, the rest Conflict`, async () => {
      const storage = await h.open()
      const revision = await create(storage, 'k', 'start')
      const winner = await race([storage], (i) => putMutation('k', `racer ${i}`, revision))
      await expectEverywhere([storage], 'k', `racer ${winner}`)
    })

    it(`${RACERS} racing creates of one key: exactly one wins`, async () => {
      const storage = await h.open()
      const winner = await race([storage], (i) => putMutation('k', `racer ${i}`, null))
      await expectEverywhere([storage], 'k', `racer ${winner}`)
    })

    it(`${RACERS} racing deletes of one record: exactly one wins`, async () => {
      const storage = await h.open()
      const revision = await create(storage, 'k')
      await race([storage], () => ({ type: 'delete', key: 'k', expectedRevision: revision }))
      await expectEverywhere([storage], 'k', undefined)
    })

    it(`${RACERS} concurrent commits on different keys all succeed`, async () => {
      const storage = await h.open()
      const results = await Promise.all(
        Array.from({ length: RACERS }, (_, i) => storage.commit([putMutation(`k${i}`, `v${i}`, null), putMutation(`j${i}`, `w${i}`, null)])),
      )
      for (let i = 0; i < RACERS; i++) {
        expect((await storage.get(`k${i}`))?.revision).toBe(results[i]!.revisions.get(`k${i}`))
        expect(text((await storage.get(`j${i}`))!.value)).toBe(`w${i}`)
      }
    })

    itIf(h, h.shared !== undefined, 'no shared() factory given', 'racing commits through two instances over one store: exactly one wins', async () => {
      const [one, two] = await h.shared!()
      const revision = await create(one, 'k', 'start')
      expect((await two.get('k'))?.revision).toBe(revision)
      const winner = await race([one, two], (i) => putMutation('k', `racer ${i}`, revision))
      await expectEverywhere([one, two], 'k', `racer ${winner}`)
      const creator = await race([one, two], (i) => putMutation('fresh', `racer ${i}`, null))
      await expectEverywhere([one, two], 'fresh', `racer ${creator}`)
    })
  })
}

/**
 * Starts RACERS commits at once, alternating over `instances`, and asserts that exactly
 * one fulfils and every other rejects with Conflict. Returns the winner's index.
 */
async function race(instances: readonly StorageAdapter[], mutation: (i: number) => Mutation): Promise<number> {
  const outcomes = await Promise.allSettled(
    Array.from({ length: RACERS }, (_, i) => instances[i % instances.length]!.commit([mutation(i)])),
  )
  const winners: number[] = []
  for (const [i, outcome] of outcomes.entries()) {
    if (outcome.status === 'fulfilled') winners.push(i)
    else await expectKmsError(Promise.reject(outcome.reason), 'Conflict')
  }
  expect(winners).toHaveLength(1)
  return winners[0]!
}

/** Every instance sees the same record. */
async function expectEverywhere(instances: readonly StorageAdapter[], key: string, value: string | undefined): Promise<void> {
  for (const storage of instances) {
    const record = await storage.get(key)
    expect(record === undefined ? undefined : text(record.value)).toBe(value)
  }
}
