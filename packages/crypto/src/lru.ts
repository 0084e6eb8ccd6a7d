/**
 * A small least-recently-used map: the one cache shape the workspace needs (parsed keys,
 * loaded keys, derived subkeys, context MACs, data keys). Bounded by entry count and,
 * optionally, by total weight (e.g. bytes: `{ maxWeight, weigh }`); the entry used longest
 * ago goes first until both bounds hold. `onEvict` sees every value that leaves — pushed out,
 * replaced by a different value, deleted or cleared — so a cache of secrets wipes them
 * in one place.
 *
 * ```ts
 * const keys = new Lru<string, Uint8Array>(100, (key) => key.fill(0))
 * keys.set('a', material)
 * keys.get('a')     // the value, now the most recently used
 * keys.peek('a')    // the value, order unchanged
 * keys.delete('a')  // true; onEvict wiped it
 * const sized = new Lru<string, Uint8Array>(10_000, undefined, { maxWeight: 1 << 20, weigh: (v) => v.length })
 * ```
 *
 * A `Map` finds the entry; the recency order is a doubly linked list through the entries.
 * Re-inserting a hit into the `Map` instead (delete + set, to use its insertion order) is
 * the usual shortcut, and a trap: V8 leaves each deleted entry in its hash chain until the
 * table is rebuilt, so re-inserting one hot key again and again makes every operation on
 * that key slower with the table's size (~0.2 µs at 10 entries, ~2 µs at 500, ~40 µs at
 * 5000 on Node 20). Here a hit moves a few pointers and the `Map` is only written on
 * `set` and `delete`; a hit on the newest entry moves nothing.
 * Values are never `undefined` (`get` returns `undefined` for a miss).
 */

interface Entry<K, V> {
  readonly key: K
  value: V
  weight: number
  /** The entry used just before this one (towards the oldest). */
  older: Entry<K, V> | undefined
  /** The entry used just after this one (towards the newest). */
  newer: Entry<K, V> | undefined
}

export interface LruWeight<V> {
  /** The most total weight kept; a single value heavier than this is not kept at all. */
  readonly maxWeight: number
  /** A value's weight (a non-negative number, e.g. its bytes), taken when it is set. */
  readonly weigh: (value: V) => number
}

export class Lru<K, V> {
  readonly #map = new Map<K, Entry<K, V>>()
  readonly #onEvict: ((value: V, key: K) => void) | undefined
  #newest: Entry<K, V> | undefined
  #oldest: Entry<K, V> | undefined
  readonly maxSize: number
  readonly #weight: LruWeight<V> | undefined
  #totalWeight = 0

  /**
   * `maxSize`: entries kept, an integer ≥ 1; `onEvict`: called with every value that leaves;
   * `weight`: an optional second bound on the sum of the values' weights.
   */
  constructor(maxSize: number, onEvict?: (value: V, key: K) => void, weight?: LruWeight<V>) {
    if (!Number.isSafeInteger(maxSize) || maxSize < 1) throw new RangeError('maxSize must be an integer of at least 1')
    if (weight !== undefined && !(weight.maxWeight > 0)) throw new RangeError('maxWeight must be positive')
    this.maxSize = maxSize
    this.#onEvict = onEvict
    this.#weight = weight
  }

  get size(): number {
    return this.#map.size
  }

  /** The sum of the weights of the values kept (0 without a weight bound). */
  get weight(): number {
    return this.#totalWeight
  }

  /** The value, made the most recently used; `undefined` when absent. */
  get(key: K): V | undefined {
    const entry = this.#map.get(key)
    if (entry === undefined) return undefined
    if (entry !== this.#newest) {
      this.#unlink(entry)
      this.#linkNewest(entry)
    }
    return entry.value
  }

  /** The value without changing the order; `undefined` when absent. */
  peek(key: K): V | undefined {
    return this.#map.get(key)?.value
  }

  has(key: K): boolean {
    return this.#map.has(key)
  }

  /**
   * Stores `value` as the most recently used. A different value it replaces goes to
   * `onEvict`, then the oldest entry if the cache is over its size.
   */
  set(key: K, value: V): this {
    const weight = this.#weigh(value)
    const existing = this.#map.get(key)
    if (existing !== undefined) {
      const previous = existing.value
      existing.value = value
      this.#totalWeight += weight - existing.weight
      existing.weight = weight
      if (existing !== this.#newest) {
        this.#unlink(existing)
        this.#linkNewest(existing)
      }
      if (previous !== value) this.#onEvict?.(previous, key)
    } else {
      const entry: Entry<K, V> = { key, value, weight, older: undefined, newer: undefined }
      this.#map.set(key, entry)
      this.#totalWeight += weight
      this.#linkNewest(entry)
    }
    while (this.#map.size > this.maxSize || (this.#weight !== undefined && this.#totalWeight > this.#weight.maxWeight && this.#oldest !== undefined)) {
      this.#remove(this.#oldest!)
    }
    return this
  }

  #weigh(value: V): number {
    if (this.#weight === undefined) return 0
    const weight = this.#weight.weigh(value)
    if (!(weight >= 0) || !Number.isFinite(weight)) throw new RangeError('a weight must be a finite non-negative number')
    return weight
  }

  /** Removes the entry (its value goes to `onEvict`); false when there was none. */
  delete(key: K): boolean {
    const entry = this.#map.get(key)
    if (entry === undefined) return false
    this.#remove(entry)
    return true
  }

  /** Removes every entry, each value to `onEvict`, oldest first. */
  clear(): void {
    let entry = this.#oldest
    this.#map.clear()
    this.#totalWeight = 0
    this.#oldest = undefined
    this.#newest = undefined
    const onEvict = this.#onEvict
    for (; entry !== undefined; entry = entry.newer) onEvict?.(entry.value, entry.key)
  }

  /** Keys, oldest first. */
  *keys(): IterableIterator<K> {
    for (let entry = this.#oldest; entry !== undefined; entry = entry.newer) yield entry.key
  }

  /** Values, oldest first. */
  *values(): IterableIterator<V> {
    for (let entry = this.#oldest; entry !== undefined; entry = entry.newer) yield entry.value
  }

  #remove(entry: Entry<K, V>): void {
    this.#map.delete(entry.key)
    this.#totalWeight -= entry.weight
    this.#unlink(entry)
    this.#onEvict?.(entry.value, entry.key)
  }

  #unlink(entry: Entry<K, V>): void {
    const { older, newer } = entry
    if (older === undefined) this.#oldest = newer
    else older.newer = newer
    if (newer === undefined) this.#newest = older
    else newer.older = older
    entry.older = undefined
    entry.newer = undefined
  }

  #linkNewest(entry: Entry<K, V>): void {
    const newest = this.#newest
    entry.older = newest
    if (newest === undefined) this.#oldest = entry
    else newest.newer = entry
    this.#newest = entry
  }
}
