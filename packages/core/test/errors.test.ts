import { describe, expect, it } from 'vitest'
import { ERROR_CODES, KmsError } from '@strongroom/core'

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
