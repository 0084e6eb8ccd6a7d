/**
 * The byte helpers only the envelope needs: a total UTF-8 decode for parsing, Map keys for
 * bytes, and uninitialised output memory for multi-MiB results. The general ones (big-endian
 * integers, comparison, wiping) are `@strongroom/crypto`'s. Platform neutral (no `Buffer`
 * required), like core.
 *
 * ```ts
 * utf8DecodeStrict(contextBytes)       // string, or undefined for malformed UTF-8
 * cache.get(bytesKey(wrappedDataKey))
 * ```
 */
import { utf8Decode } from '@strongroom/crypto'

/** UTF-8 text, or `undefined` for malformed bytes (never U+FFFD substitutes). */
export function utf8DecodeStrict(bytes: Uint8Array): string | undefined {
  try {
    return utf8Decode(bytes)
  } catch {
    return undefined
  }
}

/** A Map key for bytes: one char per byte, cheap and collision-free for equal lengths and contents. */
export function bytesKey(bytes: Uint8Array): string {
  let out = ''
  for (let i = 0; i < bytes.length; i += 4096) {
    out += String.fromCharCode(...bytes.subarray(i, i + 4096))
  }
  return out
}

interface NodeBuffer {
  allocUnsafeSlow(length: number): Uint8Array
}

/**
 * Memory for an output that the caller overwrites completely, uninitialised where the
 * platform offers it (Node's Buffer): zero-filling a 1 MiB output costs about a tenth of
 * encrypting it. Returns a plain Uint8Array view either way. Only for buffers every byte
 * of which is written before anyone reads them — stale memory must never leak out.
 */
export function allocateForOverwrite(length: number): Uint8Array {
  const buffer = (globalThis as { Buffer?: NodeBuffer }).Buffer
  if (buffer === undefined || length < 4096) return new Uint8Array(length)
  const bytes = buffer.allocUnsafeSlow(length)
  return new Uint8Array(bytes.buffer, bytes.byteOffset, length)
}
