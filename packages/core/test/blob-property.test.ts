/**
 * Properties of the ciphertext blob (blob.ts) and the encryption context encoding
 * (context.ts), checked with fast-check through the public API.
 *
 * - decrypt(encrypt(x, ctx), ctx) = x for every plaintext of 1-6144 bytes and every context;
 * - any damage — a flipped bit anywhere, truncation, appended bytes, random or foreign
 *   bytes, another engine's blob, a different context — fails as exactly
 *   `KmsError('InvalidCiphertext')`, never another error and never a crash;
 * - the context encoding ignores insertion order, is injective, and sorts by UTF-8 bytes
 *   (neither UTF-16 code units nor localeCompare).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  BLOB_HEADER_LENGTH, BLOB_OVERHEAD, Kms, KmsError, encodeEncryptionContext, parseBlob, type EncryptionContext,
} from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'

// Modest by default (2 shared cores); raise with STRONGROOM_FC_RUNS=5000 when hunting.
const RUNS = Number(process.env["STRONGROOM_FC_RUNS"] ?? 150)

let kms: Kms
let keyId: string
/** An AES-128 key in the same engine (blob algorithm 0x02). */
let key128: string
/** A key with two versions, and a blob sealed under the first. */
let rotated: { keyId: string; v1: string; v2: string; blob: Uint8Array }
/** A second engine (its own ephemeral root key and store) and a blob of one of its keys. */
let foreign: Kms
let foreignBlob: Uint8Array

beforeAll(async () => {
  kms = await Kms.open({ storage: memoryStorage() })
  keyId = (await kms.createKey({ description: 'property' })).keyMetadata.keyId
  key128 = (await kms.createKey({ keySpec: 'Aliyun_AES_128' })).keyMetadata.keyId
  const r = (await kms.createKey()).keyMetadata
  const blob = (await kms.encrypt({ keyId: r.keyId, plaintext: bytes('first version') })).ciphertextBlob
  const v2 = (await kms.createKeyVersion({ keyId: r.keyId })).keyVersion.keyVersionId
  rotated = { keyId: r.keyId, v1: r.primaryKeyVersion!, v2, blob }
  foreign = await Kms.open({ storage: memoryStorage() })
  const foreignKey = (await foreign.createKey()).keyMetadata.keyId
  foreignBlob = (await foreign.encrypt({ keyId: foreignKey, plaintext: bytes('elsewhere') })).ciphertextBlob
})

afterAll(async () => {
  await kms.close()
  await foreign.close()
})

function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text)
}

function utf8(text: string): Buffer {
  return Buffer.from(text, 'utf8')
}

function uuidBytes(uuid: string): Uint8Array {
  return Uint8Array.from(Buffer.from(uuid.replaceAll('-', ''), 'hex'))
}

/** Passes only when the call rejects with exactly KmsError('InvalidCiphertext'). */
async function expectInvalidCiphertext(call: Promise<unknown>): Promise<void> {
  let outcome: unknown = 'resolved'
  try {
    await call
  } catch (error) {
    outcome = error
  }
  if (!(outcome instanceof KmsError && outcome.code === 'InvalidCiphertext')) {
    throw new Error(`expected KmsError(InvalidCiphertext), got ${outcome instanceof Error ? `${outcome.name}: ${String((outcome as KmsError).code ?? '')} ${outcome.message}` : String(outcome)}`)
  }
}

/** Canonical, comparable form of a context (absent and empty are the same context). */
function canonical(context: EncryptionContext | undefined): string {
  return JSON.stringify(Object.entries(context ?? {}).sort(([a], [b]) => Buffer.compare(utf8(a), utf8(b))))
}

// ---------------------------------------------------------------- arbitraries

/** Any well-formed Unicode (fast-check's `binary` unit: every code point, no lone surrogates). */
const anyText = (minLength: number, maxLength: number): fc.Arbitrary<string> => fc.string({ unit: 'binary', minLength, maxLength })

/** Context keys and values over a tiny alphabet, so near-collisions ({ab:'c'} vs {a:'bc'}) are common. */
const tinyText = (minLength: number, maxLength: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom('a', 'b', 'é', '\u0000', '\u{1F600}'), minLength, maxLength })

const contextOf = (text: (min: number, max: number) => fc.Arbitrary<string>): fc.Arbitrary<Record<string, string>> =>
  fc.dictionary(text(1, 12), text(0, 24), { maxKeys: 6 })

const anyContext = fc.oneof(contextOf(anyText), contextOf(tinyText))
const optionalContext = fc.option(anyContext, { nil: undefined })
const plaintext = fc.uint8Array({ minLength: 1, maxLength: 6144 })
const smallPlaintext = fc.uint8Array({ minLength: 1, maxLength: 256 })

/** A context near `base`: one key added, removed, renamed or re-valued, or a key/value boundary moved. */
function nearContext(base: Record<string, string> | undefined): fc.Arbitrary<Record<string, string> | undefined> {
  const entries = Object.entries(base ?? {})
  const options: fc.Arbitrary<Record<string, string> | undefined>[] = [
    fc.constant(undefined),
    anyContext,
    fc.tuple(anyText(1, 8), anyText(0, 8)).map(([k, v]) => ({ ...base, [k]: v })),
  ]
  if (entries.length > 0) {
    options.push(
      fc.nat(entries.length - 1).map((i) => Object.fromEntries(entries.filter((_, j) => j !== i))),
      fc.tuple(fc.nat(entries.length - 1), anyText(0, 8)).map(([i, v]) => Object.fromEntries(entries.map((e, j) => (j === i ? [e[0], v] : e)))),
      // Move the first character of the value to the end of the key, or the reverse.
      // (Split by code point, never inside a surrogate pair.)
      fc.nat(entries.length - 1).map((i) => Object.fromEntries(entries.map(([k, v], j) => {
        if (j !== i) return [k, v]
        const key = [...k]
        const [first, ...rest] = [...v]
        if (first !== undefined) return [k + first, rest.join('')]
        return key.length > 1 ? [key.slice(0, -1).join(''), key.slice(-1).join('') + v] : [k + 'x', v]
      }))),
    )
  }
  return fc.oneof(...options)
}

// ---------------------------------------------------------------- blobs

describe('blob round trip', () => {
  it('decrypt(encrypt(x, ctx), ctx) returns x for any plaintext (1-6144 bytes) and context', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(0, 1), plaintext, optionalContext, async (which, x, context) => {
      const key = which === 0 ? keyId : key128
      const { ciphertextBlob, keyVersionId } = await kms.encrypt({ keyId: key, plaintext: x, ...(context ? { encryptionContext: context } : {}) })
      expect(ciphertextBlob.length).toBe(x.length + BLOB_OVERHEAD)
      const parsed = parseBlob(ciphertextBlob)!
      expect(parsed.keyId).toBe(key)
      expect(parsed.keyVersionId).toBe(keyVersionId)
      expect(parsed.algorithm).toBe(which === 0 ? 1 : 2)
      const back = await kms.decrypt({ ciphertextBlob, ...(context ? { encryptionContext: context } : {}) })
      expect(back.plaintext).toEqual(x)
      expect(back.keyId).toBe(key)
    }), { numRuns: RUNS })
  })

  it('an empty context and an absent one are the same context', async () => {
    await fc.assert(fc.asyncProperty(smallPlaintext, fc.boolean(), async (x, emptyFirst) => {
      const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: x, ...(emptyFirst ? { encryptionContext: {} } : {}) })
      const back = await kms.decrypt({ ciphertextBlob, ...(emptyFirst ? {} : { encryptionContext: {} }) })
      expect(back.plaintext).toEqual(x)
    }), { numRuns: 20 })
  })

  it('blobs of an older key version still decrypt after rotation', async () => {
    const back = await kms.decrypt({ ciphertextBlob: rotated.blob })
    expect(back.keyVersionId).toBe(rotated.v1)
    expect(back.plaintext).toEqual(bytes('first version'))
  })
})

describe('returned blobs', () => {
  it('decrypt accepts a blob at any offset inside a larger buffer', async () => {
    await fc.assert(fc.asyncProperty(smallPlaintext, fc.nat(64), fc.nat(64), async (x, before, after) => {
      const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: x })
      const host = new Uint8Array(before + ciphertextBlob.length + after).fill(0xa5)
      host.set(ciphertextBlob, before)
      const back = await kms.decrypt({ ciphertextBlob: host.subarray(before, before + ciphertextBlob.length) })
      expect(back.plaintext).toEqual(x)
    }), { numRuns: 50 })
  })

  it('changing one returned blob in place does not change another', async () => {
    const a = (await kms.encrypt({ keyId, plaintext: bytes('a') })).ciphertextBlob
    const b = (await kms.encrypt({ keyId, plaintext: bytes('b') })).ciphertextBlob
    const bBefore = b.slice()
    a.fill(0)
    expect(b).toEqual(bBefore)
    expect((await kms.decrypt({ ciphertextBlob: b })).plaintext).toEqual(bytes('b'))
  })

  // Regression: blobs were once views on a shared 64 KiB slab, and transferring one blob's
  // ArrayBuffer (postMessage / structuredClone with a transfer list, Electron IPC) emptied
  // every other blob from that slab. Every blob now owns its buffer.
  it('transferring one blob\'s buffer leaves the caller\'s other blobs intact', async () => {
    const own = await Kms.open({ storage: memoryStorage() })
    const key = (await own.createKey()).keyMetadata.keyId
    const a = (await own.encrypt({ keyId: key, plaintext: bytes('a') })).ciphertextBlob
    const b = (await own.encrypt({ keyId: key, plaintext: bytes('b') })).ciphertextBlob
    const bBefore = b.slice()
    structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] })
    try {
      expect(b.byteLength).toBe(bBefore.length)
      expect(b).toEqual(bBefore)
    } finally {
      await own.close()
    }
  })

  // Regression (same cause): after such a transfer, later encryptions failed with
  // "Cannot perform Construct on a detached ArrayBuffer" for the engine's lifetime.
  it('transferring one blob\'s buffer does not break later encryption', async () => {
    const own = await Kms.open({ storage: memoryStorage() })
    const key = (await own.createKey()).keyMetadata.keyId
    const a = (await own.encrypt({ keyId: key, plaintext: bytes('a') })).ciphertextBlob
    structuredClone(a.buffer, { transfer: [a.buffer as ArrayBuffer] })
    try {
      const c = await own.encrypt({ keyId: key, plaintext: bytes('c') })
      expect((await own.decrypt({ ciphertextBlob: c.ciphertextBlob })).plaintext).toEqual(bytes('c'))
    } finally {
      await own.close()
    }
  })
})

describe('damaged blobs fail as InvalidCiphertext, nothing else', () => {
  it('flipping any single bit anywhere in the blob', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(0, 1), smallPlaintext, optionalContext, fc.nat(), async (which, x, context, at) => {
      const ctx = context ? { encryptionContext: context } : {}
      const { ciphertextBlob } = await kms.encrypt({ keyId: which === 0 ? keyId : key128, plaintext: x, ...ctx })
      const bit = at % (ciphertextBlob.length * 8)
      const damaged = ciphertextBlob.slice()
      damaged[bit >> 3]! ^= 1 << (bit & 7)
      await expectInvalidCiphertext(kms.decrypt({ ciphertextBlob: damaged, ...ctx }))
    }), { numRuns: RUNS })
  })

  it('flipping any single bit of the 62-byte header (every header bit, exhaustively)', async () => {
    const context = { tenant: 'acme' }
    const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: bytes('header'), encryptionContext: context })
    for (let bit = 0; bit < BLOB_HEADER_LENGTH * 8; bit++) {
      const damaged = ciphertextBlob.slice()
      damaged[bit >> 3]! ^= 1 << (bit & 7)
      await expectInvalidCiphertext(kms.decrypt({ ciphertextBlob: damaged, encryptionContext: context }))
    }
  })

  it('truncating to any shorter length, including 0', async () => {
    await fc.assert(fc.asyncProperty(smallPlaintext, optionalContext, fc.nat(), async (x, context, n) => {
      const ctx = context ? { encryptionContext: context } : {}
      const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: x, ...ctx })
      await expectInvalidCiphertext(kms.decrypt({ ciphertextBlob: ciphertextBlob.slice(0, n % ciphertextBlob.length), ...ctx }))
    }), { numRuns: RUNS })
    await expectInvalidCiphertext(kms.decrypt({ ciphertextBlob: new Uint8Array(0) }))
  })

  it('appending bytes', async () => {
    await fc.assert(fc.asyncProperty(smallPlaintext, optionalContext, fc.uint8Array({ minLength: 1, maxLength: 64 }), async (x, context, extra) => {
      const ctx = context ? { encryptionContext: context } : {}
      const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: x, ...ctx })
      await expectInvalidCiphertext(kms.decrypt({ ciphertextBlob: Buffer.concat([ciphertextBlob, extra]), ...ctx }))
    }), { numRuns: RUNS })
  })

  it('random bytes of any length', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (blob) => {
      await expectInvalidCiphertext(kms.decrypt({ ciphertextBlob: blob }))
    }), { numRuns: RUNS })
  })

  it('random bytes that parse as a version-1 blob (0x01, a known algorithm, 78+ bytes)', async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom(1, 2), fc.uint8Array({ minLength: BLOB_OVERHEAD - 2, maxLength: 400 }), async (algorithm, rest) => {
      const blob = Uint8Array.from([1, algorithm, ...rest])
      expect(parseBlob(blob)).toBeDefined()
      await expectInvalidCiphertext(kms.decrypt({ ciphertextBlob: blob }))
    }), { numRuns: RUNS })
  })

  it('random bytes behind a header naming a real key and version of this engine', async () => {
    const { keyVersionId } = await kms.encrypt({ keyId, plaintext: bytes('x') })
    await fc.assert(fc.asyncProperty(fc.constantFrom(1, 2), fc.uint8Array({ minLength: 28 + 16, maxLength: 300 }), async (algorithm, rest) => {
      const blob = Uint8Array.from([1, algorithm, ...uuidBytes(keyId), ...uuidBytes(keyVersionId), ...rest])
      await expectInvalidCiphertext(kms.decrypt({ ciphertextBlob: blob }))
    }), { numRuns: RUNS })
  })

  it('the other algorithm byte (AES-128 ↔ AES-256) on a genuine blob', async () => {
    for (const key of [keyId, key128]) {
      const { ciphertextBlob } = await kms.encrypt({ keyId: key, plaintext: bytes('algorithm') })
      const swapped = ciphertextBlob.slice()
      swapped[1] = swapped[1] === 1 ? 2 : 1
      await expectInvalidCiphertext(kms.decrypt({ ciphertextBlob: swapped }))
    }
  })

  it('another existing version of the same key written into the header', async () => {
    const swapped = rotated.blob.slice()
    swapped.set(uuidBytes(rotated.v2), 18)
    await expectInvalidCiphertext(kms.decrypt({ ciphertextBlob: swapped }))
  })

  it('a blob made by another engine (another root key and store), as is and with this engine\'s key ids', async () => {
    await expectInvalidCiphertext(kms.decrypt({ ciphertextBlob: foreignBlob }))
    const own = await kms.encrypt({ keyId, plaintext: bytes('mine') })
    await expectInvalidCiphertext(foreign.decrypt({ ciphertextBlob: own.ciphertextBlob }))
    // The same key and version ids cannot occur in two engines; forge them to reach authentication.
    const forged = foreignBlob.slice()
    forged.set(uuidBytes(keyId), 2)
    forged.set(uuidBytes(own.keyVersionId), 18)
    await expectInvalidCiphertext(kms.decrypt({ ciphertextBlob: forged }))
  })

  it('reEncrypt rejects damaged blobs the same way', async () => {
    await fc.assert(fc.asyncProperty(smallPlaintext, fc.nat(), async (x, at) => {
      const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: x })
      const bit = at % (ciphertextBlob.length * 8)
      const damaged = ciphertextBlob.slice()
      damaged[bit >> 3]! ^= 1 << (bit & 7)
      await expectInvalidCiphertext(kms.reEncrypt({ ciphertextBlob: damaged, destinationKeyId: key128 }))
    }), { numRuns: 50 })
  })
})

describe('a different encryption context fails as InvalidCiphertext', () => {
  it('any different context (independent, key added/removed/changed, boundary moved, given vs absent)', async () => {
    const pair = optionalContext.chain((a) => fc.tuple(fc.constant(a), nearContext(a)))
    await fc.assert(fc.asyncProperty(smallPlaintext, pair, async (x, [used, given]) => {
      fc.pre(canonical(used) !== canonical(given))
      const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: x, ...(used ? { encryptionContext: used } : {}) })
      await expectInvalidCiphertext(kms.decrypt({ ciphertextBlob, ...(given ? { encryptionContext: given } : {}) }))
    }), { numRuns: RUNS })
  })

  it.each([
    ['{ab:"c"} vs {a:"bc"}', { ab: 'c' }, { a: 'bc' }],
    ['{a:"bc"} vs {ab:"c"}', { a: 'bc' }, { ab: 'c' }],
    ['an added key', { tenant: 'acme' }, { tenant: 'acme', region: 'eu' }],
    ['a removed key', { tenant: 'acme', region: 'eu' }, { tenant: 'acme' }],
    ['a changed value', { tenant: 'acme' }, { tenant: 'acmf' }],
    ['an empty value vs a missing key', { tenant: 'acme', x: '' }, { tenant: 'acme' }],
    ['keys swapped with values', { a: 'b' }, { b: 'a' }],
    ['a context given when none was used', undefined, { tenant: 'acme' }],
    ['no context when one was used', { tenant: 'acme' }, undefined],
  ] as const)('%s', async (_name, used, given) => {
    const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: bytes('ctx'), ...(used ? { encryptionContext: used } : {}) })
    await expectInvalidCiphertext(kms.decrypt({ ciphertextBlob, ...(given ? { encryptionContext: given } : {}) }))
    // …while the right context still opens it.
    const back = await kms.decrypt({ ciphertextBlob, ...(used ? { encryptionContext: used } : {}) })
    expect(back.plaintext).toEqual(bytes('ctx'))
  })
})

// ---------------------------------------------------------------- context encoding

/** Parses the canonical encoding (context.ts) back into entries, failing on any leftover or short byte. */
function decodeContext(encoded: Uint8Array): [Buffer, Buffer][] {
  if (encoded.length === 0) return []
  const buf = Buffer.from(encoded)
  const count = buf.readUInt16BE(0)
  let offset = 2
  const take = (): Buffer => {
    const length = buf.readUInt16BE(offset)
    const out = buf.subarray(offset + 2, offset + 2 + length)
    if (out.length !== length) throw new Error('truncated encoding')
    offset += 2 + length
    return out
  }
  const entries: [Buffer, Buffer][] = []
  for (let i = 0; i < count; i++) entries.push([take(), take()])
  if (offset !== buf.length) throw new Error('trailing bytes in encoding')
  return entries
}

function keyOrder(context: EncryptionContext): string[] {
  return decodeContext(encodeEncryptionContext(context)).map(([k]) => k.toString('utf8'))
}

describe('encodeEncryptionContext', () => {
  const entriesArb = (text: (min: number, max: number) => fc.Arbitrary<string>): fc.Arbitrary<[string, string][]> =>
    fc.uniqueArray(fc.tuple(text(1, 12), text(0, 16)), { selector: (e) => e[0], maxLength: 8 })

  it('does not depend on insertion order', () => {
    const arb = fc.oneof(entriesArb(anyText), entriesArb(tinyText))
      .chain((entries) => fc.tuple(fc.constant(entries), fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length })))
    fc.assert(fc.property(arb, ([entries, shuffled]) => {
      expect(encodeEncryptionContext(Object.fromEntries(shuffled))).toEqual(encodeEncryptionContext(Object.fromEntries(entries)))
      expect(encodeEncryptionContext(Object.fromEntries([...entries].reverse()))).toEqual(encodeEncryptionContext(Object.fromEntries(entries)))
    }), { numRuns: 300 })
  })

  it('gives distinct contexts distinct encodings, and equal ones equal encodings', () => {
    const dict = fc.oneof(contextOf(tinyText), contextOf(anyText))
    fc.assert(fc.property(fc.oneof(fc.tuple(dict, dict), dict.chain((a) => fc.tuple(fc.constant(a), nearContext(a).map((b) => b ?? {})))), ([a, b]) => {
      const same = Buffer.from(encodeEncryptionContext(a)).equals(encodeEncryptionContext(b))
      expect(same).toBe(canonical(a) === canonical(b))
    }), { numRuns: 300 })
  })

  it('decodes back to exactly the context, keys strictly ascending by UTF-8 bytes', () => {
    fc.assert(fc.property(fc.oneof(contextOf(anyText), contextOf(tinyText)), (context) => {
      const entries = decodeContext(encodeEncryptionContext(context))
      const expected = Object.entries(context).map(([k, v]) => [utf8(k), utf8(v)] as const).sort(([a], [b]) => Buffer.compare(a, b))
      expect(entries).toEqual(expected)
      for (let i = 1; i < entries.length; i++) expect(Buffer.compare(entries[i - 1]![0], entries[i]![0])).toBeLessThan(0)
    }), { numRuns: 300 })
  })

  it('sorts by UTF-8 bytes, not UTF-16 code units: U+FF61 (EF BD A1) before U+1F600 (F0 9F 98 80)', () => {
    const halfwidth = '\uFF61'
    const emoji = '\u{1F600}'
    // Precondition: the two orders really disagree on this pair.
    expect(emoji < halfwidth).toBe(true)
    expect(Buffer.compare(utf8(halfwidth), utf8(emoji))).toBeLessThan(0)
    expect(keyOrder({ [emoji]: '1', [halfwidth]: '2' })).toEqual([halfwidth, emoji])
    expect(keyOrder({ [halfwidth]: '2', [emoji]: '1' })).toEqual([halfwidth, emoji])
  })

  it('sorts by UTF-8 bytes for any keys mixing high BMP and astral characters', () => {
    const high = fc.string({
      unit: fc.oneof(fc.integer({ min: 0xe000, max: 0xffff }), fc.integer({ min: 0x10000, max: 0x10ffff })).map((c) => String.fromCodePoint(c)),
      minLength: 1, maxLength: 3,
    })
    fc.assert(fc.property(fc.uniqueArray(high, { minLength: 2, maxLength: 6 }), (keys) => {
      const order = keyOrder(Object.fromEntries(keys.map((k) => [k, ''])))
      expect(order).toEqual([...keys].sort((a, b) => Buffer.compare(utf8(a), utf8(b))))
    }), { numRuns: 200 })
  })

  it('does not sort with localeCompare', () => {
    // localeCompare: a < B, é < f, a < Z; bytes: B (42) < a (61), f (66) < é (C3 A9), Z (5A) < a.
    expect('a'.localeCompare('B')).toBeLessThan(0)
    expect(keyOrder({ a: '', B: '' })).toEqual(['B', 'a'])
    expect(keyOrder({ 'é': '', f: '' })).toEqual(['f', 'é'])
    expect(keyOrder({ a: '', Z: '' })).toEqual(['Z', 'a'])
    expect(keyOrder({ ab: '', a: '', 'a\u0000': '' })).toEqual(['a', 'a\u0000', 'ab'])
  })

  it('encodes the documented example byte for byte, and an empty or absent context as zero bytes', () => {
    expect(Buffer.from(encodeEncryptionContext({ tenant: 'acme' })).toString('hex'))
      .toBe('0001' + '0006' + utf8('tenant').toString('hex') + '0004' + utf8('acme').toString('hex'))
    expect(encodeEncryptionContext(undefined).length).toBe(0)
    expect(encodeEncryptionContext({}).length).toBe(0)
    expect(encodeEncryptionContext({ ab: 'c' })).not.toEqual(encodeEncryptionContext({ a: 'bc' }))
  })
})
