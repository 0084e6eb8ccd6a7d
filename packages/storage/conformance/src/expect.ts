/**
 * The suite's assertions: a small `expect` with the matchers it uses, so the suite runs
 * under any test runner (and in browsers) without vitest's or Node's assertion library.
 *
 * ```ts
 * expect(record?.revision, 'revision after put').toBe(revision)
 * expect(keysOf(records)).toEqual(['a', 'b'])
 * expect(history).not.toContain(revision)
 * ```
 *
 * `toEqual` is structural, like vitest's: plain objects by own enumerable keys (a key
 * holding `undefined` equals a missing key), arrays and byte arrays by elements (a Buffer
 * equals a Uint8Array with the same bytes), Maps and Sets by entries.
 */

export class AssertionError extends Error {
  override readonly name = 'AssertionError'
}

export interface Matchers {
  toBe(expected: unknown): void
  toEqual(expected: unknown): void
  toBeUndefined(): void
  toBeDefined(): void
  toBeInstanceOf(type: abstract new (...args: never[]) => unknown): void
  toBeLessThanOrEqual(bound: number): void
  toBeGreaterThan(bound: number): void
  toHaveLength(length: number): void
  toContain(item: unknown): void
}

export interface Expectation extends Matchers {
  readonly not: Matchers
}

export function expect(actual: unknown, message?: string): Expectation {
  const matchers = (negated: boolean): Matchers => {
    const check = (pass: boolean, claim: string): void => {
      if (pass === negated) {
        const label = message === undefined ? '' : `${message}: `
        throw new AssertionError(`${label}expected ${show(actual)} ${negated ? 'not ' : ''}${claim}`)
      }
    }
    return {
      toBe: (expected) => check(Object.is(actual, expected), `to be ${show(expected)}`),
      toEqual: (expected) => check(deepEqual(actual, expected), `to equal ${show(expected)}`),
      toBeUndefined: () => check(actual === undefined, 'to be undefined'),
      toBeDefined: () => check(actual !== undefined, 'to be defined'),
      toBeInstanceOf: (type) => check(actual instanceof type, `to be an instance of ${type.name}`),
      toBeLessThanOrEqual: (bound) => check(typeof actual === 'number' && actual <= bound, `to be <= ${bound}`),
      toBeGreaterThan: (bound) => check(typeof actual === 'number' && actual > bound, `to be > ${bound}`),
      toHaveLength: (length) => check((actual as { length?: unknown } | null)?.length === length, `to have length ${length}`),
      toContain: (item) => check(Array.isArray(actual) && actual.includes(item), `to contain ${show(item)}`),
    }
  }
  return { ...matchers(false), not: matchers(true) }
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!(a instanceof Uint8Array) || !(b instanceof Uint8Array) || a.length !== b.length) return false
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
    return true
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]))
  }
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map) || !(b instanceof Map) || a.size !== b.size) return false
    for (const [key, value] of a) if (!b.has(key) || !deepEqual(value, b.get(key))) return false
    return true
  }
  if (a instanceof Set || b instanceof Set) {
    if (!(a instanceof Set) || !(b instanceof Set) || a.size !== b.size) return false
    for (const item of a) if (!b.has(item)) return false
    return true
  }
  if (a instanceof Error || b instanceof Error) return false
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  for (const key of keys) {
    if (!deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false
  }
  return true
}

/** A short rendering for messages (the suite's values are test data, never secrets). */
function show(value: unknown): string {
  try {
    const text = JSON.stringify(value, (_, v: unknown) => {
      if (v instanceof Uint8Array) return `bytes(${v.length})`
      if (v instanceof Map) return Object.fromEntries(v)
      if (v instanceof Set) return [...v]
      if (v === undefined) return 'undefined'
      if (v instanceof Error) return `${v.name}: ${v.message}`
      return v
    })
    return text === undefined ? String(value) : text.length > 400 ? `${text.slice(0, 400)}…` : text
  } catch {
    return String(value)
  }
}
