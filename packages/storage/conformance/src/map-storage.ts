/**
 * The reference adapter: the smallest one that passes the conformance suite — one Map, one
 * revision counter, no `watch`, not durable. It proves the suite assumes nothing beyond the
 * contract, shows implementers the whole contract on one page (see the README's "How to
 * write a storage adapter"), and serves as a model to compare another adapter with.
 *
 * ```ts
 * import { mapStorage, storageConformanceSuite } from '@strongroom/storage-conformance'
 * storageConformanceSuite({ runner, name: 'map', factory: async () => mapStorage() })
 * ```
 */

import { KmsError, type Mutation, type StorageAdapter, type StoredRecord } from '@strongroom/core'

const encoder = new TextEncoder()
const LONE_SURROGATE = /\p{Surrogate}/u

function compareUtf8(a: string, b: string): number {
  const x = encoder.encode(a)
  const y = encoder.encode(b)
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!
  return x.length - y.length
}

function assertText(value: unknown, what: string, allowEmpty: boolean): asserts value is string {
  if (typeof value !== 'string' || (!allowEmpty && value === '') || LONE_SURROGATE.test(value)) {
    throw new KmsError('InvalidParameter', `invalid ${what}`)
  }
}

export function mapStorage(): StorageAdapter {
  const records = new Map<string, { value: Uint8Array; revision: number }>()
  // Store-wide, so a deleted-and-recreated key never gets an old revision back.
  let sequence = 0
  let closed = false
  const assertOpen = () => {
    if (closed) throw new KmsError('Closed')
  }

  return {
    manifest: { name: 'map', durable: false, atomic: true, sharedAcrossProcesses: false },

    async get(key) {
      assertOpen()
      assertText(key, 'key', false)
      const record = records.get(key)
      // Copies out, so callers cannot change what is stored.
      return record && { key, value: record.value.slice(), revision: record.revision }
    },

    async scan({ prefix, after, limit = 100 }) {
      assertOpen()
      assertText(prefix, 'prefix', true)
      if (after !== undefined) assertText(after, 'after', true)
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new KmsError('InvalidParameter', 'invalid limit')
      const keys = [...records.keys()]
        .filter((key) => key.startsWith(prefix) && (after === undefined || compareUtf8(key, after) > 0))
        .sort(compareUtf8)
      const page: StoredRecord[] = keys.slice(0, limit).map((key) => {
        const record = records.get(key)!
        return { key, value: record.value.slice(), revision: record.revision }
      })
      return keys.length > limit ? { records: page, cursor: page[page.length - 1]!.key } : { records: page }
    },

    async commit(mutations: readonly Mutation[]) {
      assertOpen()
      // Validate everything, then check every expectation, then apply: no await in between,
      // so on one thread nothing can interleave and no lock is needed.
      const keys = new Set<string>()
      for (const m of mutations) {
        if (typeof m !== 'object' || m === null) throw new KmsError('InvalidParameter', 'invalid mutation')
        assertText(m.key, 'key', false)
        if (keys.has(m.key)) throw new KmsError('InvalidParameter', 'two mutations on one key')
        keys.add(m.key)
        const revisionOk = (Number.isSafeInteger(m.expectedRevision) && m.expectedRevision! > 0) || (m.expectedRevision === null && m.type !== 'delete')
        if (!revisionOk || !['put', 'delete', 'check'].includes(m.type)) throw new KmsError('InvalidParameter', 'invalid mutation')
        if (m.type === 'put' && !(m.value instanceof Uint8Array)) throw new KmsError('InvalidParameter', 'invalid value')
      }
      for (const m of mutations) {
        if ((records.get(m.key)?.revision ?? null) !== m.expectedRevision) throw new KmsError('Conflict')
      }
      const revisions = new Map<string, number>()
      for (const m of mutations) {
        if (m.type === 'put') {
          records.set(m.key, { value: m.value.slice(), revision: ++sequence })
          revisions.set(m.key, sequence)
        } else if (m.type === 'delete') {
          records.delete(m.key)
        }
      }
      return { revisions }
    },

    async close() {
      closed = true
    },
  }
}
