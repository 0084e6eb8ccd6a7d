import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Lru } from '@strongroom/crypto'

describe('Lru', () => {
  it('evicts the least recently used entry beyond capacity, telling onEvict', () => {
    const evicted: Array<[string, number]> = []
    const cache = new Lru<string, number>(2, (k, v) => evicted.push([k, v]))
    cache.set('a', 1)
    cache.set('b', 2)
    expect(cache.get('a')).toBe(1) // a is now newer than b
    cache.set('c', 3)
    expect(evicted).toEqual([['b', 2]])
    expect([...cache.keys()]).toEqual(['a', 'c'])
    expect(cache.peek('a')).toBe(1)
    cache.set('d', 4) // peek did not refresh a
    expect(evicted).toEqual([['b', 2], ['a', 1]])
  })

  it('replacing and deleting do not call onEvict; clear empties', () => {
    const evicted: string[] = []
    const cache = new Lru<string, number>(3, (k) => evicted.push(k))
    cache.set('a', 1)
    cache.set('a', 2)
    expect(cache.get('a')).toBe(2)
    expect(cache.delete('a')).toBe(true)
    expect(cache.delete('a')).toBe(false)
    cache.set('b', 1)
    cache.clear()
    expect(cache.size).toBe(0)
    expect(evicted).toEqual([])
  })

  it('refuses a capacity below one', () => {
    expect(() => new Lru(0)).toThrow(RangeError)
  })

  it('property: behaves like a reference model (a list ordered by use)', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), key: fc.integer({ min: 0, max: 6 }), value: fc.integer() }),
      fc.record({ kind: fc.constant('get' as const), key: fc.integer({ min: 0, max: 6 }) }),
      fc.record({ kind: fc.constant('delete' as const), key: fc.integer({ min: 0, max: 6 }) }),
    )
    fc.assert(fc.property(fc.integer({ min: 1, max: 4 }), fc.array(op, { maxLength: 60 }), (capacity, ops) => {
      const cache = new Lru<number, number>(capacity)
      let model: Array<[number, number]> = []
      for (const o of ops) {
        if (o.kind === 'set') {
          model = model.filter(([k]) => k !== o.key)
          model.push([o.key, o.value])
          if (model.length > capacity) model.shift()
          cache.set(o.key, o.value)
        } else if (o.kind === 'get') {
          const hit = model.find(([k]) => k === o.key)
          if (hit !== undefined) model = [...model.filter(([k]) => k !== o.key), hit]
          expect(cache.get(o.key)).toBe(hit?.[1])
        } else {
          model = model.filter(([k]) => k !== o.key)
          cache.delete(o.key)
        }
        expect([...cache.keys()]).toEqual(model.map(([k]) => k))
      }
    }))
  })
})
