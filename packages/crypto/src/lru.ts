/**
 * The one small least-recently-used cache of the workspace: a Map, whose iteration order is
 * insertion order, so the first key is the least recently used. Every bounded cache here
 * (loaded keys, parsed key objects, decryption subkeys, context MACs) sits on it.
 *
 * ```ts
 * const cache = new Lru<string, KeyObject>(128, (key, value) => wipe(value))
 * cache.set(id, object)
 * cache.get(id)   // the object, now most recently used
 * ```
 *
 * `get` moves a hit to the newest position only when it is not already there: a hot entry
 * (one key used call after call) costs one Map lookup, not a delete and a re-insert.
 */
export class Lru<K, V> {
  readonly #map = new Map<K, V>()
  readonly #capacity: number
  readonly #onEvict: ((key: K, value: V) => void) | undefined
  #newest: K | undefined

  constructor(capacity: number, onEvict?: (key: K, value: V) => void) {
    // Precondition: a cache holds at least one entry.
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('an LRU cache needs a capacity of at least 1')
    this.#capacity = capacity
    this.#onEvict = onEvict
  }

  get size(): number {
    return this.#map.size
  }

  /** The value, marked most recently used; `undefined` when absent. */
  get(key: K): V | undefined {
    const value = this.#map.get(key)
    if (value !== undefined && key !== this.#newest) {
      this.#map.delete(key)
      this.#map.set(key, value)
      this.#newest = key
    }
    return value
  }

  /** The value without marking it used. */
  peek(key: K): V | undefined {
    return this.#map.get(key)
  }

  has(key: K): boolean {
    return this.#map.has(key)
  }

  /** Inserts or replaces (the replaced value is not passed to `onEvict`: the caller has it), then evicts the oldest beyond capacity. */
  set(key: K, value: V): void {
    this.#map.delete(key)
    this.#map.set(key, value)
    this.#newest = key
    while (this.#map.size > this.#capacity) {
      const oldest = this.#map.keys().next().value as K
      const evicted = this.#map.get(oldest) as V
      this.#map.delete(oldest)
      this.#onEvict?.(oldest, evicted)
    }
  }

  /** Removes an entry (not passed to `onEvict`); true when it was there. */
  delete(key: K): boolean {
    if (key === this.#newest) this.#newest = undefined
    return this.#map.delete(key)
  }

  clear(): void {
    this.#map.clear()
    this.#newest = undefined
  }

  values(): IterableIterator<V> {
    return this.#map.values()
  }

  keys(): IterableIterator<K> {
    return this.#map.keys()
  }
}
