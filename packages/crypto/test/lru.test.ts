import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Lru } from '@strongroom/crypto'

function tracked(maxSize: number) {
  const evicted: [string, number][] = []
  const lru = new Lru<string, number>(maxSize, (value, key) => evicted.push([key, value]))
  return { lru, evicted }
}

describe('Lru', () => {
  it('rejects a size that is not a positive integer', () => {
    for (const size of [0, -1, 1.5, Number.NaN, Infinity]) expect(() => new Lru(size)).toThrow(RangeError)
  })

  it('evicts the least recently used entry when full, and tells onEvict', () => {
    const { lru, evicted } = tracked(3)
    lru.set('a', 1).set('b', 2).set('c', 3)
    expect(lru.get('a')).toBe(1) // a is now the newest: b is the oldest
    lru.set('d', 4)
    expect(evicted).toEqual([['b', 2]])
    expect([...lru.keys()]).toEqual(['c', 'a', 'd'])
    expect([...lru.values()]).toEqual([3, 1, 4])
    expect(lru.size).toBe(3)
    expect(lru.has('b')).toBe(false)
  })

  it('peek reads without making the entry recent', () => {
    const { lru, evicted } = tracked(2)
    lru.set('a', 1).set('b', 2)
    expect(lru.peek('a')).toBe(1)
    expect(lru.peek('zz')).toBeUndefined()
    lru.set('c', 3)
    expect(evicted).toEqual([['a', 1]])
  })

  it('a miss changes nothing', () => {
    const { lru } = tracked(2)
    lru.set('a', 1).set('b', 2)
    expect(lru.get('zz')).toBeUndefined()
    expect([...lru.keys()]).toEqual(['a', 'b'])
  })

  it('set on an existing key makes it the newest; a different value it replaces goes to onEvict, the same one does not', () => {
    const { lru, evicted } = tracked(2)
    lru.set('a', 1).set('b', 2)
    lru.set('a', 1)
    expect(evicted).toEqual([])
    expect([...lru.keys()]).toEqual(['b', 'a'])
    lru.set('b', 20)
    expect(evicted).toEqual([['b', 2]])
    expect([...lru.keys()]).toEqual(['a', 'b'])
    expect(lru.get('b')).toBe(20)
  })

  it('delete and clear hand every value to onEvict', () => {
    const { lru, evicted } = tracked(4)
    lru.set('a', 1).set('b', 2).set('c', 3)
    expect(lru.delete('b')).toBe(true)
    expect(lru.delete('b')).toBe(false)
    expect(evicted).toEqual([['b', 2]])
    lru.clear()
    expect(evicted).toEqual([['b', 2], ['a', 1], ['c', 3]])
    expect(lru.size).toBe(0)
    expect([...lru.keys()]).toEqual([])
    lru.set('d', 4)
    expect([...lru.keys()]).toEqual(['d'])
  })

  it('works without onEvict, down to a single entry', () => {
    const lru = new Lru<number, string>(1)
    lru.set(1, 'one')
    lru.set(2, 'two')
    expect(lru.get(1)).toBeUndefined()
    expect(lru.get(2)).toBe('two')
    lru.delete(2)
    lru.clear()
    expect(lru.size).toBe(0)
  })

  it('behaves like a reference model under any sequence of operations', () => {
    type Op = { op: 'get' | 'peek' | 'set' | 'delete' | 'clear'; key: number; value: number }
    const op = fc.record({
      op: fc.constantFrom<Op['op']>('get', 'peek', 'set', 'set', 'delete', 'clear'),
      key: fc.integer({ min: 0, max: 7 }),
      value: fc.integer({ min: 0, max: 3 }),
    })
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.array(op, { maxLength: 60 }), (maxSize, ops) => {
      const evicted: number[] = []
      const lru = new Lru<number, number>(maxSize, (value) => evicted.push(value))
      // The model: an array of [key, value], oldest first.
      let model: [number, number][] = []
      const modelEvicted: number[] = []
      for (const { op, key, value } of ops) {
        const at = model.findIndex(([k]) => k === key)
        if (op === 'get') {
          expect(lru.get(key)).toBe(at < 0 ? undefined : model[at]![1])
          if (at >= 0) model.push(...model.splice(at, 1))
        } else if (op === 'peek') {
          expect(lru.peek(key)).toBe(at < 0 ? undefined : model[at]![1])
        } else if (op === 'set') {
          lru.set(key, value)
          if (at >= 0) {
            const [[, previous]] = model.splice(at, 1) as [[number, number]]
            if (previous !== value) modelEvicted.push(previous)
          }
          model.push([key, value])
          if (model.length > maxSize) modelEvicted.push(model.shift()![1])
        } else if (op === 'delete') {
          expect(lru.delete(key)).toBe(at >= 0)
          if (at >= 0) modelEvicted.push(model.splice(at, 1)[0]![1])
        } else {
          lru.clear()
          modelEvicted.push(...model.map(([, v]) => v))
          model = []
        }
        expect([...lru.keys()]).toEqual(model.map(([k]) => k))
        expect([...lru.values()]).toEqual(model.map(([, v]) => v))
        expect(lru.size).toBe(model.length)
        expect(evicted).toEqual(modelEvicted)
      }
    }))
  })

  it('with a weight bound, evicts the least recently used until the total weight fits, and never keeps a value heavier than it', () => {
    const evicted: string[] = []
    const lru = new Lru<string, string>(100, (v) => evicted.push(v), { maxWeight: 10, weigh: (v) => v.length })
    lru.set('a', 'aaaa').set('b', 'bbbb')
    expect(lru.weight).toBe(8)
    lru.get('a')
    lru.set('c', 'ccc')
    expect([...lru.keys()]).toEqual(['a', 'c'])
    expect(evicted).toEqual(['bbbb'])
    expect(lru.weight).toBe(7)
    lru.set('a', 'a')
    expect(lru.weight).toBe(4)
    lru.set('huge', 'x'.repeat(11))
    expect(lru.has('huge')).toBe(false)
    expect(evicted.at(-1)).toBe('x'.repeat(11))
    lru.delete('c')
    expect(lru.weight).toBe(0)
    lru.set('d', 'dd')
    lru.clear()
    expect(lru.weight).toBe(0)
    expect(() => new Lru(1, undefined, { maxWeight: 0, weigh: () => 1 })).toThrow(RangeError)
    expect(() => new Lru<string, number>(5, undefined, { maxWeight: 5, weigh: () => Number.NaN }).set('a', 1)).toThrow(RangeError)
  })
})
