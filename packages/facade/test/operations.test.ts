import { describe, expect, it } from 'vitest'
import { findOperation, type UnsupportedOperation } from '@strongroom/facade'

describe('findOperation', () => {
  const table: Record<string, { run: string } | UnsupportedOperation> = { Encrypt: { run: 'encrypt' }, CreateGrant: { unsupported: 'no grants' } }

  it('finds served and unsupported rows, and nothing for names the table does not own', () => {
    expect(findOperation(table, 'Encrypt')).toEqual({ run: 'encrypt' })
    expect(findOperation(table, 'CreateGrant')).toEqual({ unsupported: 'no grants' })
    for (const name of ['Decrypt', 'toString', 'constructor', '__proto__', 'hasOwnProperty', '']) expect(findOperation(table, name)).toBeUndefined()
  })
})
