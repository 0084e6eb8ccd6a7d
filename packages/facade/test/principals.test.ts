import { describe, expect, it } from 'vitest'
import { NO_AUTHORIZATION_MESSAGE, PrincipalClients, principalResolver } from '@strongroom/facade'

interface Client { readonly who: string }

describe('PrincipalClients', () => {
  it('runs an anonymous caller as the owner, and a principal on kms.as(principal), cached', () => {
    const calls: string[] = []
    const engine = { who: 'owner', as: (principal: string): Client => (calls.push(principal), { who: principal }) }
    const clients = new PrincipalClients<Client>(engine, (message) => new Error(message))
    expect(clients.for(undefined)).toBe(engine)
    const alice = clients.for('alice')
    expect(alice.who).toBe('alice')
    expect(clients.for('alice')).toBe(alice)
    expect(clients.for('bob').who).toBe('bob')
    expect(calls).toEqual(['alice', 'bob'])
  })

  it('fails closed, in the facade\'s own error, when the engine has no as()', () => {
    class DeniedError extends Error {}
    const clients = new PrincipalClients<Client>({ who: 'owner' }, (message) => new DeniedError(message))
    expect(clients.for(undefined).who).toBe('owner')
    expect(() => clients.for('alice')).toThrow(DeniedError)
    expect(() => clients.for('alice')).toThrow(NO_AUTHORIZATION_MESSAGE)
  })
})

describe('principalResolver', () => {
  const verify = (credentials: Record<string, string>, id: string): string | undefined => {
    const principal = credentials[id]
    if (principal === undefined) throw new Error('unknown key')
    return principal
  }
  const claimed = (id: string): string | undefined => (id === '' ? undefined : id)

  it('verifies with credentials, trusts a claim with principalFor, and runs as the owner otherwise', () => {
    expect(principalResolver({ credentials: { AK1: 'alice' } }, verify, claimed)('AK1')).toBe('alice')
    expect(() => principalResolver({ credentials: { AK1: 'alice' } }, verify, claimed)('AK2')).toThrow('unknown key')
    const byClaim = principalResolver({ principalFor: (id) => (id === 'AK9' ? 'bob' : undefined) }, verify, claimed)
    expect(byClaim('AK9')).toBe('bob')
    expect(byClaim('')).toBeUndefined()
    expect(principalResolver({}, verify, claimed)('AK1')).toBeUndefined()
  })

  it('refuses both credentials and principalFor', () => {
    expect(() => principalResolver({ credentials: {}, principalFor: () => 'x' }, verify, claimed)).toThrow(/not both/)
  })
})
