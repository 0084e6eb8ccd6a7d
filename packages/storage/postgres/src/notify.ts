/**
 * What a commit announces to the other processes on one table, through PostgreSQL's
 * LISTEN/NOTIFY: the changed keys and their new revisions, as JSON.
 *
 * ```ts
 * for (const payload of encodeChanges(origin, changes)) await session.query('SELECT pg_notify($1, $2)', [channel, payload])
 * const message = decodeNotification(payload)   // { origin, changes } or { origin, everything: true }
 * ```
 *
 * A NOTIFY payload must stay under 8000 bytes. Changes are split into several payloads
 * (each sent in the commit's transaction, so all or none are delivered, right after
 * COMMIT); a commit with more than MAX_PAYLOADS of them, or a key too long for one payload,
 * is announced as "everything may have changed", which makes every engine drop its whole
 * cache — correct, only slower.
 *
 * `origin` identifies the hub (one per client object and table in a process) that made the
 * commit: its own listeners were told synchronously, so it ignores its own notifications.
 */

import { EVERYTHING_CHANGED, type StorageChange } from '@strongroom/core'

/** PostgreSQL refuses payloads of 8000 bytes or more; keep a margin. */
export const MAX_PAYLOAD_BYTES = 7900
/** Beyond this many payloads for one commit, announce "everything" instead. */
export const MAX_PAYLOADS = 32

export type Notification =
  | { readonly origin: string; readonly changes: readonly StorageChange[] }

const encoder = new TextEncoder()

/** The channel of one table: a fixed-length identifier (PostgreSQL allows 63 bytes). */
export function channelName(qualifiedTable: string): string {
  // FNV-1a, 64 bits: a stable, short name; tables whose names collide only share
  // notifications (extra cache evictions), never records.
  let hash = 0xcbf29ce484222325n
  for (const byte of encoder.encode(qualifiedTable)) {
    hash ^= BigInt(byte)
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn
  }
  return `strongroom_${hash.toString(16).padStart(16, '0')}`
}

export function encodeChanges(origin: string, changes: readonly StorageChange[]): string[] {
  const header = `{"o":${JSON.stringify(origin)},"c":[`
  const payloads: string[] = []
  let entries: string[] = []
  let size = header.length + 2
  for (const { key, revision } of changes) {
    const entry = JSON.stringify([key, revision])
    const entrySize = encoder.encode(entry).length + 1
    if (header.length + 2 + entrySize > MAX_PAYLOAD_BYTES) return [everything(origin)]
    if (size + entrySize > MAX_PAYLOAD_BYTES) {
      payloads.push(`${header}${entries.join(',')}]}`)
      entries = []
      size = header.length + 2
    }
    entries.push(entry)
    size += entrySize
  }
  if (entries.length > 0) payloads.push(`${header}${entries.join(',')}]}`)
  return payloads.length > MAX_PAYLOADS ? [everything(origin)] : payloads
}

function everything(origin: string): string {
  return `{"o":${JSON.stringify(origin)},"all":true}`
}

/** A notification, or undefined for a payload this code did not write (ignored). */
export function decodeNotification(payload: string): Notification | undefined {
  let message: unknown
  try {
    message = JSON.parse(payload)
  } catch {
    return undefined
  }
  if (typeof message !== 'object' || message === null) return undefined
  const { o: origin, c: entries, all } = message as { o?: unknown; c?: unknown; all?: unknown }
  if (typeof origin !== 'string') return undefined
  // Anything unexpected is treated as "everything changed": dropping caches is always safe.
  if (all === true || !Array.isArray(entries)) return { origin, changes: [EVERYTHING_CHANGED] }
  const changes: StorageChange[] = []
  for (const entry of entries) {
    const [key, revision] = Array.isArray(entry) ? entry : []
    const wellFormed = typeof key === 'string' && key !== '' && (revision === null || (Number.isSafeInteger(revision) && revision > 0))
    if (!wellFormed) return { origin, changes: [EVERYTHING_CHANGED] }
    changes.push(Object.freeze({ key, revision: revision as number | null }))
  }
  return { origin, changes }
}
