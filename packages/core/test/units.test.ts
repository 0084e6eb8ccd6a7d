/** Unit tests of core's small pure modules: bytes, names, key-record invariants, transitions. */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  compareBytes, fromBase64, fromHex, isWellFormedText, toBase64, toHex, utf8Decode, utf8Encode,
  uuidFromBytes, uuidToBytes, uuidV4FromRandom,
} from '../src/bytes.js'
import { KmsError } from '../src/errors.js'
import { assertKeyRecord, assertKeyTransition, decodeKeyRecord, encodeKeyRecord, type KeyRecord } from '../src/key-record.js'
import { aliasArn, assertAliasName, keyArn, parseKeyReference } from '../src/names.js'
import * as t from '../src/transitions.js'
import { DAY_MS } from '../src/clock.js'

const KEY_ID = '11111111-2222-4333-8444-555555555555'
const VERSION_1 = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee'
const VERSION_2 = 'aaaaaaaa-bbbb-4ccc-8ddd-ffffffffffff'

function record(overrides: Partial<KeyRecord> = {}): KeyRecord {
  return {
    schema: 1, keyId: KEY_ID, region: 'local', account: '000000000000', description: '', keySpec: 'Aliyun_AES_256',
    keyUsage: 'ENCRYPT/DECRYPT', origin: 'Aliyun_KMS', keyState: 'Enabled', creationDate: 1000, deletionProtection: false,
    tags: {}, aliases: [], versions: [{ keyVersionId: VERSION_1, creationDate: 1000, wrappedMaterial: 'AQ==' }],
    ...overrides,
  }
}

function code(fn: () => unknown): string | undefined {
  try {
    fn()
  } catch (error) {
    return KmsError.is(error) ? error.code : (error as Error).name
  }
  return undefined
}

describe('bytes', () => {
  it('base64 matches Buffer for any bytes, and decodes strictly', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const b64 = toBase64(bytes)
      expect(b64).toBe(Buffer.from(bytes).toString('base64'))
      expect(fromBase64(b64)).toEqual(bytes)
    }))
    expect(fromBase64('abc')).toBeUndefined()
    expect(fromBase64('ab!=')).toBeUndefined()
    expect(fromBase64('a=bc')).toBeUndefined()
  })

  it('hex and UUID round trips; v4 UUIDs carry version and variant bits', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
      expect(fromHex(toHex(bytes))).toEqual(bytes)
      expect(uuidToBytes(uuidFromBytes(bytes))).toEqual(bytes)
      expect(uuidFromBytes(bytes)).toBe(Buffer.from(bytes).toString('hex').replace(/^(.{8})(.{4})(.{4})(.{4})(.{12})$/, '$1-$2-$3-$4-$5'))
      expect(uuidV4FromRandom(bytes.slice())).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    }))
    expect(() => uuidToBytes('NOT-A-UUID')).toThrow(RangeError)
  })

  it('compares bytes lexicographically, shorter first on a tie', () => {
    expect(compareBytes(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBeLessThan(0)
    expect(compareBytes(new Uint8Array([1]), new Uint8Array([1, 0]))).toBeLessThan(0)
    expect(compareBytes(new Uint8Array([2]), new Uint8Array([1, 9]))).toBeGreaterThan(0)
  })

  it('decodes UTF-8 strictly and detects lone surrogates', () => {
    expect(utf8Decode(utf8Encode('héllo 😀'))).toBe('héllo 😀')
    expect(() => utf8Decode(new Uint8Array([0xff]))).toThrow(TypeError)
    expect(isWellFormedText('a\uD83D\uDE00b')).toBe(true)
    expect(isWellFormedText('a\uD83Db')).toBe(false)
    expect(isWellFormedText('\uDE00')).toBe(false)
  })
})

describe('names', () => {
  it('parses key ids, key resource names, aliases and alias resource names', () => {
    expect(parseKeyReference(KEY_ID, 'local', '1')).toEqual({ kind: 'id', keyId: KEY_ID })
    expect(parseKeyReference(keyArn('local', '1', KEY_ID), 'local', '1')).toEqual({ kind: 'id', keyId: KEY_ID })
    expect(parseKeyReference('alias/orders', 'local', '1')).toEqual({ kind: 'alias', aliasName: 'alias/orders' })
    expect(parseKeyReference(aliasArn('local', '1', 'alias/a/b:c'), 'local', '1')).toEqual({ kind: 'alias', aliasName: 'alias/a/b:c' })
  })

  it('refuses malformed references and treats other regions or accounts as not found', () => {
    expect(code(() => parseKeyReference('orders', 'local', '1'))).toBe('InvalidParameter')
    expect(code(() => parseKeyReference('alias/', 'local', '1'))).toBe('InvalidParameter')
    expect(parseKeyReference(KEY_ID.toUpperCase(), 'local', '1')).toEqual({ kind: 'id', keyId: KEY_ID })
    expect(code(() => parseKeyReference(`${KEY_ID}0`, 'local', '1'))).toBe('InvalidParameter')
    expect(code(() => parseKeyReference(keyArn('elsewhere', '1', KEY_ID), 'local', '1'))).toBe('Forbidden.KeyNotFound')
    expect(code(() => parseKeyReference(aliasArn('local', '2', 'alias/x'), 'local', '1'))).toBe('Forbidden.AliasNotFound')
    expect(code(() => parseKeyReference(42, 'local', '1'))).toBe('TypeError')
  })

  it('validates alias names as the reference model does', () => {
    expect(code(() => assertAliasName('alias/ok_name-1:/x'))).toBeUndefined()
    expect(code(() => assertAliasName(`alias/${'a'.repeat(250)}`))).toBeUndefined()
    expect(code(() => assertAliasName(`alias/${'a'.repeat(251)}`))).toBe('InvalidParameter')
    expect(code(() => assertAliasName('alias/acs/reserved'))).toBe('InvalidParameter')
    expect(code(() => assertAliasName('alias/spa ce'))).toBe('InvalidParameter')
  })
})

describe('key record invariants', () => {
  it('accepts a consistent record and round-trips it through storage encoding', () => {
    const r = record()
    expect(() => assertKeyRecord(r)).not.toThrow()
    expect(decodeKeyRecord(encodeKeyRecord(r), KEY_ID)).toEqual(r)
  })

  it.each<[string, Partial<KeyRecord>]>([
    ['deleteDate outside PendingDeletion', { deleteDate: 5 }],
    ['PendingDeletion without deleteDate', { keyState: 'PendingDeletion' }],
    ['an Enabled key without material', { versions: [] }],
    ['PendingImport with material', { keyState: 'PendingImport', origin: 'EXTERNAL' }],
    ['protected and pending deletion', { keyState: 'PendingDeletion', deleteDate: 5, deletionProtection: true }],
    ['rotation interval below 7 days', { rotationIntervalMs: 6 * DAY_MS }],
    ['duplicate versions', { versions: [{ keyVersionId: VERSION_1, creationDate: 1, wrappedMaterial: 'AQ==' }, { keyVersionId: VERSION_1, creationDate: 2, wrappedMaterial: 'AQ==' }] }],
    ['versions out of order', { versions: [{ keyVersionId: VERSION_1, creationDate: 5, wrappedMaterial: 'AQ==' }, { keyVersionId: VERSION_2, creationDate: 2, wrappedMaterial: 'AQ==' }] }],
    ['unsorted aliases', { aliases: ['alias/b', 'alias/a'] }],
  ])('refuses %s (CorruptRecord)', (_name, overrides) => {
    expect(code(() => assertKeyRecord(record(overrides)))).toBe('CorruptRecord')
  })

  it('refuses unreadable, foreign or future-schema records on read', () => {
    expect(code(() => decodeKeyRecord(utf8Encode('{'), KEY_ID))).toBe('CorruptRecord')
    expect(code(() => decodeKeyRecord(encodeKeyRecord({ ...record(), schema: 2 as 1 }), KEY_ID))).toBe('CorruptRecord')
    expect(code(() => decodeKeyRecord(encodeKeyRecord(record()), VERSION_1))).toBe('CorruptRecord')
  })

  it('lets versions only be appended: never dropped, rewritten or reordered', () => {
    const before = record()
    const appended = record({ versions: [...before.versions, { keyVersionId: VERSION_2, creationDate: 2000, wrappedMaterial: 'Ag==' }] })
    expect(() => assertKeyTransition(before, appended)).not.toThrow()
    expect(code(() => assertKeyTransition(appended, before))).toBe('InternalFailure')
    expect(code(() => assertKeyTransition(before, record({ versions: [{ ...before.versions[0]!, wrappedMaterial: 'Aw==' }] })))).toBe('InternalFailure')
    expect(code(() => assertKeyTransition(before, record({ keySpec: 'Aliyun_AES_128' })))).toBe('InternalFailure')
  })
})

describe('transitions are pure', () => {
  it('return new records and leave the input untouched', () => {
    const r = Object.freeze(record())
    const disabled = t.disableKey(r)
    expect(disabled.keyState).toBe('Disabled')
    expect(r.keyState).toBe('Enabled')
    expect(t.enableKey(disabled).keyState).toBe('Enabled')
    expect(t.disableKey(disabled)).toBe(disabled) // idempotent: no change, same record
  })

  it('schedule and cancel deletion compute and clear the purge date', () => {
    const pending = t.scheduleKeyDeletion(record(), 7, 10)
    expect(pending).toMatchObject({ keyState: 'PendingDeletion', deleteDate: 10 + 7 * DAY_MS })
    expect(t.isPurgeDue(pending, 10 + 7 * DAY_MS - 1)).toBe(false)
    expect(t.isPurgeDue(pending, 10 + 7 * DAY_MS)).toBe(true)
    const cancelled = t.cancelKeyDeletion(pending)
    expect(cancelled.keyState).toBe('Enabled')
    expect('deleteDate' in cancelled).toBe(false)
    expect(t.cancelKeyDeletion(t.scheduleKeyDeletion(record({ keyState: 'PendingImport', origin: 'EXTERNAL', versions: [] }), 7, 0)).keyState).toBe('PendingImport')
  })

  it('deletion protection blocks scheduling; rotation is due only for Enabled keys', () => {
    expect(code(() => t.scheduleKeyDeletion(t.setDeletionProtection(record(), true, 'prod'), 7, 0))).toBe('Forbidden.DeletionProtected')
    const rotating = t.updateRotationPolicy(record(), 7 * DAY_MS)
    expect(t.isRotationDue(rotating, 1000 + 7 * DAY_MS)).toBe(true)
    expect(t.isRotationDue(t.disableKey(rotating), 1000 + 7 * DAY_MS)).toBe(false)
    expect(t.isRotationDue(rotating, 999 + 7 * DAY_MS)).toBe(false)
  })

  it('tag and alias limits are enforced', () => {
    const tags = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, 'v']))
    const full = t.tagKey(record(), tags)
    expect(code(() => t.tagKey(full, { extra: 'v' }))).toBe('LimitExceeded')
    expect(t.tagKey(full, { k0: 'overwritten' }).tags['k0']).toBe('overwritten')
    expect(t.addAlias(record(), 'alias/b', 'createAlias').aliases).toEqual(['alias/b'])
    expect(t.removeAlias(t.addAlias(record(), 'alias/b', 'createAlias'), 'alias/b').aliases).toEqual([])
  })
})
