import { describe, expect, it } from 'vitest'
import { defaultCryptoProvider } from '@strongroom/crypto'
import { nodeCryptoProvider } from '@strongroom/crypto/node'

describe('defaultCryptoProvider', () => {
  it('resolves #platform-provider to the node provider under vitest on Node', () => {
    expect(defaultCryptoProvider().name).toBe('node')
    expect(defaultCryptoProvider()).toBe(nodeCryptoProvider())
  })

  it('returns one cached instance per process', () => {
    expect(defaultCryptoProvider()).toBe(defaultCryptoProvider())
  })
})
