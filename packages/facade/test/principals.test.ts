import { describe, expect, it } from 'vitest'
import { NO_AUTHORIZATION_MESSAGE, PrincipalClients } from '@strongroom/facade'

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
