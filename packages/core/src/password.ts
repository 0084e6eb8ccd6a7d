/**
 * Random passwords (the reference model's GetRandomPassword): characters drawn uniformly
 * from the included classes, at least one of each when asked, placed in random order.
 *
 * ```ts
 * randomPassword(random, { length: 24, exclude: 'lI1O0', lowercase: true, uppercase: true, numbers: true,
 *                          punctuation: false, requireEachIncludedType: true })
 * ```
 *
 * Uniform choice uses rejection sampling on 32-bit draws (no modulo bias); the order is a
 * Fisher-Yates shuffle, so the required characters are not at predictable positions.
 */
import type { RandomSource } from '@strongroom/crypto'
import { KmsError } from './errors.js'

const CLASSES = {
  lowercase: 'abcdefghijklmnopqrstuvwxyz',
  uppercase: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  numbers: '0123456789',
  punctuation: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
} as const

export interface PasswordOptions {
  readonly length: number
  /** Characters never to use. */
  readonly exclude: string
  readonly lowercase: boolean
  readonly uppercase: boolean
  readonly numbers: boolean
  readonly punctuation: boolean
  /** At least one character of every included class. */
  readonly requireEachIncludedType: boolean
}

/** A uniform integer in [0, n). */
function uniform(random: RandomSource, n: number): number {
  const limit = Math.floor(2 ** 32 / n) * n
  const word = new Uint8Array(4)
  for (;;) {
    random.fill(word)
    const v = ((word[0]! << 24) | (word[1]! << 16) | (word[2]! << 8) | word[3]!) >>> 0
    if (v < limit) return v % n
  }
}

export function randomPassword(random: RandomSource, o: PasswordOptions): string {
  const classes = (Object.keys(CLASSES) as (keyof typeof CLASSES)[])
    .filter((name) => o[name])
    .map((name) => [...CLASSES[name]].filter((c) => !o.exclude.includes(c)))
    .filter((chars) => chars.length > 0)
  const pool = classes.flat()
  if (pool.length === 0) throw new KmsError('InvalidParameter', 'every character class is excluded: nothing is left to make a password from')
  if (o.requireEachIncludedType && classes.length > o.length) {
    throw new KmsError('InvalidParameter', `passwordLength ${o.length} is too short to include all ${classes.length} character classes`)
  }
  const chars = o.requireEachIncludedType ? classes.map((c) => c[uniform(random, c.length)]!) : []
  while (chars.length < o.length) chars.push(pool[uniform(random, pool.length)]!)
  for (let i = chars.length - 1; i > 0; i--) {
    const j = uniform(random, i + 1)
    ;[chars[i], chars[j]] = [chars[j]!, chars[i]!]
  }
  return chars.join('')
}
