/**
 * Byte helpers for the format: big-endian integers, comparison, strict UTF-8. Platform
 * neutral (no `Buffer`), like core.
 *
 * ```ts
 * writeUint32(header, 6, length)
 * readUint16(header, 46)            // the context length
 * ```
 */

export function writeUint16(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value >>> 8
  target[offset + 1] = value & 0xff
}

export function writeUint32(target: Uint8Array, offset: number, value: number): void {
  target[offset] = value >>> 24
  target[offset + 1] = (value >>> 16) & 0xff
  target[offset + 2] = (value >>> 8) & 0xff
  target[offset + 3] = value & 0xff
}

export function readUint16(source: Uint8Array, offset: number): number {
  return (source[offset]! << 8) | source[offset + 1]!
}

export function readUint32(source: Uint8Array, offset: number): number {
  // `>>> 0` keeps bit 31 as a positive number instead of a negative int32.
  return ((source[offset]! << 24) | (source[offset + 1]! << 16) | (source[offset + 2]! << 8) | source[offset + 3]!) >>> 0
}

/** Equality of public bytes (not constant-time; secrets go through the provider's timingSafeEqual). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true })

/** UTF-8 text, or `undefined` for malformed bytes (never U+FFFD substitutes). */
export function utf8DecodeStrict(bytes: Uint8Array): string | undefined {
  try {
    return strictDecoder.decode(bytes)
  } catch {
    return undefined
  }
}

/** Overwrites secret bytes. JS cannot reach copies the engine or the GC made elsewhere. */
export function wipe(bytes: Uint8Array | undefined): void {
  bytes?.fill(0)
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
