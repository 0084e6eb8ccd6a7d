import { KmsError } from '@strongroom/core'
import { describe, expect, it } from 'vitest'
import { EXIT_ENVIRONMENT, EXIT_KMS, describeFailure } from '../src/errors.js'

describe('describeFailure', () => {
  it('a keystore held by another process is an environment problem (exit 3) with its stable code', () => {
    const failure = describeFailure(new KmsError('KeystoreInUse', 'classic-level: the database is in use by another process'))
    expect(failure).toEqual({ status: EXIT_ENVIRONMENT, code: 'KeystoreInUse', message: expect.stringMatching(/in use by another process/) })
  })

  it('other KMS errors exit 1 with their code and message', () => {
    expect(describeFailure(new KmsError('Rejected.Disabled', 'key k is Disabled'))).toEqual({ status: EXIT_KMS, code: 'Rejected.Disabled', message: 'key k is Disabled' })
  })
})
