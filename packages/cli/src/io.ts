/**
 * Small-value input and output for `encrypt` / `decrypt`: read at most a bound from a
 * file or stdin, write a file exclusively (no silent overwrite) with a chosen mode.
 *
 * ```ts
 * const bytes = await readInput(io, '-', 6145)       // stdin, refusing an interactive terminal
 * await writeOutput('secret.bin', bytes, { force: false, mode: 0o600 })
 * ```
 */
import { open, writeFile } from 'node:fs/promises'
import { UsageError } from './errors.js'
import type { Io } from './output.js'

/** Up to `limit` bytes of `path` (`-` or undefined: stdin). More input than that is cut at `limit`. */
export async function readInput(io: Io, path: string | undefined, limit: number, what: string): Promise<Uint8Array> {
  if (path === undefined || path === '-') {
    if (io.stdin.isTTY) throw new UsageError(`nothing to read: pipe the ${what} in, or pass --in FILE`)
    const parts: Buffer[] = []
    let length = 0
    for await (const chunk of io.stdin as AsyncIterable<Buffer | string>) {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      parts.push(bytes)
      length += bytes.length
      if (length >= limit) break
    }
    return new Uint8Array(Buffer.concat(parts).subarray(0, limit))
  }
  const handle = await open(path, 'r')
  try {
    const buffer = new Uint8Array(limit)
    let filled = 0
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, limit - filled, null)
      if (bytesRead === 0 || (filled += bytesRead) === limit) break
    }
    return buffer.subarray(0, filled)
  } finally {
    await handle.close()
  }
}

/**
 * Binary input that may also arrive as base64 text (a signature pasted into a file, a
 * blob saved from stdout): decoded when it is base64 text, else taken as raw bytes.
 * `rawMarker`: a first byte that proves the input is raw (engine blobs start with 0x01).
 */
export function rawOrBase64(input: Uint8Array, rawMarker?: number): Uint8Array {
  const text = Buffer.from(input).toString('latin1').trim()
  if (input[0] !== rawMarker && /^[A-Za-z0-9+/\s]+=*$/.test(text)) return new Uint8Array(Buffer.from(text, 'base64'))
  return input
}

/** Writes a whole file; without `force` an existing file is an error (EEXIST), never replaced. */
export async function writeOutput(path: string, data: Uint8Array, options: { force: boolean; mode: number }): Promise<void> {
  await writeFile(path, data, { flag: options.force ? 'w' : 'wx', mode: options.mode })
}
