/**
 * Time is injected: the engine never calls `Date.now()` itself, so tests can move past a
 * deletion window or a rotation interval without waiting.
 *
 * ```ts
 * const clock = new ManualClock('2026-01-01T00:00:00Z')
 * const kms = await Kms.open({ storage: memoryStorage(), clock })
 * clock.advance(8 * DAY_MS)   // the 7-day deletion window has passed
 * ```
 */

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number
}

export const SECOND_MS = 1000
export const DAY_MS = 86_400_000

export const systemClock: Clock = { now: () => Date.now() }

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  #now: number

  constructor(start: number | string | Date = 0) {
    this.#now = typeof start === 'number' ? start : new Date(start).getTime()
    if (!Number.isFinite(this.#now)) throw new RangeError('ManualClock start is not a valid time')
  }

  now(): number {
    return this.#now
  }

  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError('a clock only moves forward')
    this.#now += ms
  }

  set(time: number | string | Date): void {
    const t = typeof time === 'number' ? time : new Date(time).getTime()
    if (!Number.isFinite(t)) throw new RangeError('not a valid time')
    this.#now = t
  }
}

/** The reference model's date format: ISO 8601 UTC to the second, e.g. `2026-01-01T00:00:00Z`. */
export function formatDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z')
}
