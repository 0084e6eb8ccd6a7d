import { describe, expect, it } from 'vitest'
import { ERROR_CODES, Kms, KmsError, type KmsErrorCode, type StorageAdapter } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { rejectsWith } from './helpers.js'

describe('KmsError', () => {
  it('carries a registered code, its kind and HTTP status', () => {
    const err = new KmsError('InvalidCiphertext')
    expect(err.code).toBe('InvalidCiphertext')
    expect(err.kind).toBe('caller')
    expect(err.httpStatus).toBe(400)
    expect(err.message).toBe(ERROR_CODES.InvalidCiphertext.description)
    expect(KmsError.is(err, 'InvalidCiphertext')).toBe(true)
    expect(KmsError.is(err, 'IncorrectKey')).toBe(false)
    expect(KmsError.is(new Error('x'))).toBe(false)
  })

  it('refuses an unregistered code (precondition: registry is closed)', () => {
    expect(() => new KmsError('Nope' as never)).toThrow(TypeError)
  })

  it('keeps the cause', () => {
    const cause = new Error('disk full')
    expect(new KmsError('StorageFailure', undefined, { cause }).cause).toBe(cause)
  })
})

describe('KmsError by identity, not class (another copy of @strongroom/core)', () => {
  /** errors.ts loaded a second time: another module instance, so another KmsError class with the same brand. */
  async function foreignErrors(): Promise<typeof import('../src/errors.js')> {
    const specifier: string = '../src/errors.ts?copy'
    return (await import(/* @vite-ignore */ specifier)) as typeof import('../src/errors.js')
  }
  const BRAND = Symbol.for('strongroom.KmsError')

  it('recognises a KmsError of another copy, with its code, both ways', async () => {
    const foreign = await foreignErrors()
    expect(foreign.KmsError).not.toBe(KmsError)
    const conflict = new foreign.KmsError('Conflict')
    expect(KmsError.is(conflict)).toBe(true)
    expect(KmsError.is(conflict, 'Conflict')).toBe(true)
    expect(KmsError.is(conflict, 'StorageFailure')).toBe(false)
    expect(conflict instanceof KmsError).toBe(true)
    expect(foreign.KmsError.is(new KmsError('Closed'), 'Closed')).toBe(true)
  })

  it('recognises a plain Error carrying the brand, the name and a code; nothing less', () => {
    const branded = (fields: Record<string | symbol, unknown>) => Object.assign(new Error('x'), fields)
    expect(KmsError.is(branded({ [BRAND]: true, name: 'KmsError', code: 'Conflict' }), 'Conflict')).toBe(true)
    expect(KmsError.is({ [BRAND]: true, name: 'KmsError', code: 'Conflict' }, 'Conflict')).toBe(true)
    expect(KmsError.is(branded({ name: 'KmsError', code: 'Conflict' }))).toBe(false) // no brand: a look-alike
    expect(KmsError.is(branded({ [BRAND]: true, name: 'Error', code: 'Conflict' }))).toBe(false)
    expect(KmsError.is(branded({ [BRAND]: true, name: 'KmsError', code: 42 }))).toBe(false)
    expect(KmsError.is(branded({ [BRAND]: true, name: 'KmsError' }))).toBe(false)
    // A code a newer copy added: a KmsError all the same, but it matches no code of ours.
    const newer = branded({ [BRAND]: true, name: 'KmsError', code: 'Something.New' })
    expect(KmsError.is(newer)).toBe(true)
    expect(KmsError.is(newer, 'Conflict')).toBe(false)
    expect(KmsError.is(undefined)).toBe(false)
    expect(KmsError.is('Conflict')).toBe(false)
  })

  it('keeps the brand out of JSON and enumeration', () => {
    const error = new KmsError('Conflict')
    expect(Object.getOwnPropertySymbols(error)).toEqual([])
    expect(JSON.stringify(error)).not.toContain('strongroom')
  })

  /** A memory adapter whose next `conflicts` commits throw a Conflict made by another copy of core. */
  function conflictingStorage(foreign: typeof import('../src/errors.js')) {
    const inner = memoryStorage()
    const control = { conflicts: 0, commits: 0, error: 'Conflict' as KmsErrorCode }
    const adapter: StorageAdapter = {
      manifest: inner.manifest,
      get: (key) => inner.get(key),
      scan: (options) => inner.scan(options),
      commit(mutations) {
        control.commits++
        if (control.conflicts > 0) {
          control.conflicts--
          return Promise.reject(new foreign.KmsError(control.error, 'another writer got there first'))
        }
        return inner.commit(mutations)
      },
      watch: (listener) => inner.watch!(listener),
      close: () => inner.close(),
    }
    return { adapter, control }
  }

  it('the engine retries a foreign Conflict from storage (not StorageFailure) and keeps foreign codes', async () => {
    const { adapter, control } = conflictingStorage(await foreignErrors())
    const kms = await Kms.open({ storage: adapter })
    try {
      const { keyId } = (await kms.createKey()).keyMetadata
      control.conflicts = 2
      control.commits = 0
      await kms.disableKey({ keyId })
      expect(control.commits).toBe(3) // two refused, the third committed
      expect((await kms.describeKey({ keyId })).keyMetadata.keyState).toBe('Disabled')

      control.conflicts = 1
      control.error = 'CorruptRecord'
      const error = await rejectsWith(kms.enableKey({ keyId }), 'CorruptRecord')
      expect(error.kind).toBe('internal')
      expect((await kms.describeKey({ keyId })).keyMetadata.keyState).toBe('Disabled')
    } finally {
      await kms.close()
    }
  })
})
