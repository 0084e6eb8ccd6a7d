/**
 * How Strongroom records are laid out inside the abstract-level database an adapter is given.
 *
 * ```text
 * !records!<UTF-8 key>   →  <revision: 8 bytes big-endian> ‖ <value bytes>
 * !meta!sequence         →  <last revision issued: 8 bytes big-endian>
 * ```
 *
 * ```ts
 * const stored = encodeRecord(value)            // header left blank until the revision is known
 * setRevision(stored, 42)
 * decodeRecord('key/1', stored)                 // { key: 'key/1', revision: 42, value }
 * ```
 *
 * Why bytes and not strings: LevelDB's default comparator and memory-level's default
 * `storeEncoding: 'buffer'` order keys by bytes, so with `'view'` encodings keys sort by
 * their UTF-8 bytes as the contract requires. JavaScript string comparison orders by UTF-16
 * code units, which disagrees above U+FFFF (`'\uFFFD' < '😀'` in UTF-8, not in UTF-16).
 *
 * Why the `!name!` namespaces: they follow abstract-level's sublevel convention, so
 * `db.sublevel('records', { keyEncoding: 'view', valueEncoding: 'view' })` reads the same
 * entries when debugging, and the sequence can never appear in a scan of `!records!`.
 *
 * Why the revision lives in the value: `get` and `scan` then cost one read per record.
 */

import { KmsError } from '@strongroom/core'

const encoder = new TextEncoder()
/** `fatal`: a key that is not valid UTF-8 is a corrupt entry, never silently replaced by U+FFFD. */
const decoder = new TextDecoder('utf-8', { fatal: true })

/** Bytes of the revision header in front of every stored value. */
export const REVISION_BYTES = 8

/** Namespace of user records. */
const RECORDS = encoder.encode('!records!')
/** The store-wide revision sequence, outside every user key so no scan can return it. */
export const SEQUENCE_KEY: Uint8Array = encoder.encode('!meta!sequence')

/** Stored key of a user key. */
export function encodeKey(key: string): Uint8Array {
  return withRecordsPrefix(encoder.encode(key))
}

/** User key of a stored key read from the `!records!` range. */
export function decodeKey(stored: Uint8Array): string {
  try {
    return decoder.decode(stored.subarray(RECORDS.length))
  } catch (cause) {
    throw new KmsError('CorruptRecord', 'a stored key is not valid UTF-8', { cause })
  }
}

/** Iterator bounds for the keys starting with `prefix` and strictly after `after`. */
export function scanRange(prefix: string, after?: string): { gte?: Uint8Array; gt?: Uint8Array; lt: Uint8Array } {
  const low = encodeKey(prefix)
  // Every key with this prefix sorts before the prefix with its last byte incremented. The
  // last byte is never 0xFF (UTF-8 never uses it, and `!records!` ends in '!'), so it cannot overflow.
  const high = low.slice()
  high[high.length - 1]! += 1
  if (after !== undefined) {
    const resume = encodeKey(after)
    // `after` below the prefix range resumes nowhere earlier than the range itself.
    if (compareBytes(resume, low) >= 0) return { gt: resume, lt: high }
  }
  return { gte: low, lt: high }
}

/**
 * A fresh stored value for `value` with a blank revision header. Copying here is what
 * isolates the store from a caller who mutates its array after `commit` is called.
 */
export function encodeRecord(value: Uint8Array): Uint8Array {
  const stored = new Uint8Array(REVISION_BYTES + value.byteLength)
  stored.set(value, REVISION_BYTES)
  return stored
}

/** Fill in the revision header of a value made by `encodeRecord`. */
export function setRevision(stored: Uint8Array, revision: number): void {
  writeUint64(stored, revision)
}

/** Revision of a stored value. */
export function readRevision(key: string, stored: Uint8Array): number {
  const revision = stored.byteLength < REVISION_BYTES ? 0 : readUint64(stored)
  if (revision === 0) throw new KmsError('CorruptRecord', `record '${key}' has no valid revision header`)
  return revision
}

/**
 * The record a stored value holds. The value is copied into a plain `Uint8Array`: backends
 * such as memory-level hand out the very buffer they store, and the caller may keep or
 * mutate what it receives.
 */
export function decodeRecord(key: string, stored: Uint8Array): { key: string; revision: number; value: Uint8Array } {
  return { key, revision: readRevision(key, stored), value: new Uint8Array(stored.subarray(REVISION_BYTES)) }
}

export function encodeSequence(sequence: number): Uint8Array {
  const stored = new Uint8Array(REVISION_BYTES)
  writeUint64(stored, sequence)
  return stored
}

export function decodeSequence(stored: Uint8Array | undefined): number {
  if (stored === undefined) return 0
  const sequence = stored.byteLength === REVISION_BYTES ? readUint64(stored) : 0
  if (sequence === 0) throw new KmsError('CorruptRecord', 'the revision sequence is corrupt')
  return sequence
}

/** Orders byte strings the way LevelDB's bytewise comparator does. */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const length = Math.min(a.length, b.length)
  for (let i = 0; i < length; i++) {
    if (a[i] !== b[i]) return a[i]! - b[i]!
  }
  return a.length - b.length
}

function withRecordsPrefix(key: Uint8Array): Uint8Array {
  const stored = new Uint8Array(RECORDS.length + key.length)
  stored.set(RECORDS, 0)
  stored.set(key, RECORDS.length)
  return stored
}

/** Big-endian so a dump of the store reads naturally; only safe integers are ever written. */
function writeUint64(target: Uint8Array, value: number): void {
  const view = new DataView(target.buffer, target.byteOffset, REVISION_BYTES)
  view.setUint32(0, Math.floor(value / 2 ** 32))
  view.setUint32(4, value >>> 0)
}

/** 0 (invalid) when the number would not be a safe integer. */
function readUint64(source: Uint8Array): number {
  const view = new DataView(source.buffer, source.byteOffset, REVISION_BYTES)
  const high = view.getUint32(0)
  return high > 0x1f_ffff ? 0 : high * 2 ** 32 + view.getUint32(4)
}
