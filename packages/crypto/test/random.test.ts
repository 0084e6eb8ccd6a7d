import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { pooledRandom, seededRandom, type CryptoProvider } from '@strongroom/crypto'
import { nobleCryptoProvider } from '@strongroom/crypto/noble'
import { nodeCryptoProvider } from '@strongroom/crypto/node'
import { toHex } from './vectors.js'

const node = nodeCryptoProvider()
const noble = nobleCryptoProvider()

/** A provider whose randomFill writes a recognisable never-zero counter and records each call. */
function countingProvider() {
  let next = 0
  const calls: Uint8Array[] = []
  const provider: CryptoProvider = {
    ...node,
    randomFill(target) {
      calls.push(target)
      for (let i = 0; i < target.length; i++) target[i] = (next++ % 255) + 1
      return target
    },
  }
  return { provider, calls }
}

describe('pooledRandom', () => {
  it('hands out distinct values', () => {
    const random = pooledRandom(node)
    const seen = new Set<string>()
    for (let i = 0; i < 2000; i++) seen.add(toHex(random.fill(new Uint8Array(12))))
    expect(seen.size).toBe(2000)
  })

  it('hands out the pool in order, never twice, and zeroes what it handed out', () => {
    const { provider, calls } = countingProvider()
    const random = pooledRandom(provider, 32)
    const first = random.fill(new Uint8Array(12))
    expect(calls).toHaveLength(1)
    const pool = calls[0]!
    expect(first).toEqual(Uint8Array.from({ length: 12 }, (_, i) => i + 1))
    expect(pool.subarray(0, 12)).toEqual(new Uint8Array(12))
    expect(pool.subarray(12).every((b) => b !== 0)).toBe(true)
    expect(random.fill(new Uint8Array(20))).toEqual(Uint8Array.from({ length: 20 }, (_, i) => i + 13))
    expect(pool).toEqual(new Uint8Array(32))
    expect(calls).toHaveLength(1)
    // Pool exhausted: the next draw refills it with fresh bytes (the counter moved on).
    expect(random.fill(new Uint8Array(1))).toEqual(Uint8Array.of(33))
    expect(calls).toHaveLength(2)
  })

  it('refills when a draw is larger than what is left; large draws are zeroed too', () => {
    const { provider, calls } = countingProvider()
    const random = pooledRandom(provider, 200)
    random.fill(new Uint8Array(150))
    const pool = calls[0]!
    expect(pool.subarray(0, 150)).toEqual(new Uint8Array(150))
    expect(pool.subarray(150).every((b) => b !== 0)).toBe(true)
    const second = random.fill(new Uint8Array(100)) // only 50 left: refill
    expect(calls).toHaveLength(2)
    expect(second[0]).toBe(201) // fresh bytes, not the 50 left over
    expect(pool.subarray(0, 100)).toEqual(new Uint8Array(100))
  })

  it('sends a request larger than the pool straight to the provider', () => {
    const { provider, calls } = countingProvider()
    const random = pooledRandom(provider, 64)
    const big = new Uint8Array(65)
    expect(random.fill(big)).toBe(big)
    expect(calls).toEqual([big])
    const real = pooledRandom(node, 64).fill(new Uint8Array(100_000))
    expect(real.subarray(-1000).some((b) => b !== 0)).toBe(true)
  })

  it('a target of length 0 is returned as is and consumes nothing', () => {
    const { provider, calls } = countingProvider()
    const random = pooledRandom(provider, 16)
    const empty = new Uint8Array(0)
    expect(random.fill(empty)).toBe(empty)
    expect(calls).toHaveLength(0)
  })

  it('rejects misuse: TypeError for a bad provider or target, RangeError for a bad pool size', () => {
    expect(() => pooledRandom({} as CryptoProvider)).toThrow(TypeError)
    expect(() => pooledRandom(node, 0)).toThrow(RangeError)
    expect(() => pooledRandom(node, 1.5)).toThrow(RangeError)
    expect(() => pooledRandom(node).fill([0, 0] as unknown as Uint8Array)).toThrow(TypeError)
  })
})

describe('seededRandom (tests only)', () => {
  const draw = (seed: string | Uint8Array, length: number, provider?: CryptoProvider) =>
    seededRandom(seed, provider).fill(new Uint8Array(length))

  it('known answer: seed "strongroom", first 32 bytes (catches any change to the construction)', () => {
    const expected = 'ec798877efab68055f5ea9a9213915bc4849302fc9e6b33ea86dacc11ff88c1f'
    expect(toHex(draw('strongroom', 32, node))).toBe(expected)
    expect(toHex(draw('strongroom', 32, noble))).toBe(expected)
  })

  it('is deterministic for a seed', () => {
    expect(draw('fixture', 100)).toEqual(draw('fixture', 100))
  })

  it('different seeds give different streams', () => {
    expect(draw('fixture-a', 32)).not.toEqual(draw('fixture-b', 32))
    expect(draw('', 32)).not.toEqual(draw(new Uint8Array(1), 32))
  })

  it('string seeds are their UTF-8 bytes', () => {
    const seed = 'ключ-ç-🔑'
    expect(draw(seed, 48)).toEqual(draw(new TextEncoder().encode(seed), 48))
  })

  it('is the same stream whichever provider computes the HMAC', () => {
    expect(draw('cross', 1000, noble)).toEqual(draw('cross', 1000, node))
  })

  it('is a byte stream: fill(10) + fill(22) equals the first 32 bytes of fill(32)', () => {
    const split = seededRandom('split', node)
    const a = split.fill(new Uint8Array(10))
    const b = split.fill(new Uint8Array(22))
    expect([...a, ...b]).toEqual([...draw('split', 32, node)])
  })

  it('property: any split of the draws yields the same stream', () => {
    const whole = draw('property', 2000, node)
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 100 }), { maxLength: 20 }), (sizes) => {
        const random = seededRandom('property', node)
        let offset = 0
        for (const size of sizes) {
          expect(random.fill(new Uint8Array(size))).toEqual(whole.subarray(offset, offset + size))
          offset += size
        }
      }),
      { numRuns: 100 },
    )
  })

  it('TypeError for a seed that is neither bytes nor a string', () => {
    expect(() => seededRandom(42 as unknown as string)).toThrow(TypeError)
  })
})
