/**
 * Shared fixtures: a real engine on memory storage with a few keys. No mocks: the
 * envelope talks to the engine through its public API, as applications do.
 */
import { Kms, type KmsOptions } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'

export interface Fixture {
  readonly kms: Kms
  /** Three enabled AES-256 keys; `alias/a`, `alias/b`, `alias/c` point at them. */
  readonly keys: readonly [string, string, string]
}

export async function openFixture(options: Partial<KmsOptions> = {}): Promise<Fixture> {
  const kms = await Kms.open({ storage: memoryStorage(), ...options })
  const ids: string[] = []
  for (const name of ['a', 'b', 'c']) {
    const { keyMetadata } = await kms.createKey({ description: `envelope test ${name}` })
    await kms.createAlias({ aliasName: `alias/${name}`, keyId: keyMetadata.keyId })
    ids.push(keyMetadata.keyId)
  }
  return { kms, keys: ids as unknown as [string, string, string] }
}

/** Deterministic pseudo-random bytes (fast, not secret): xorshift32 from a seed. */
export function pseudoRandomBytes(length: number, seed = 1): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed >>> 0 || 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out[i] = x & 0xff
  }
  return out
}

export async function collect(source: AsyncIterable<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = []
  for await (const part of source) parts.push(part)
  return concat(parts)
}

export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

/** Byte equality without vitest's element-by-element deep diff, which takes seconds on large arrays. */
export function expectSameBytes(actual: Uint8Array, expected: Uint8Array): void {
  if (actual.length !== expected.length || Buffer.compare(actual, expected) !== 0) {
    throw new Error(`bytes differ: ${actual.length} bytes vs ${expected.length} expected`)
  }
}
