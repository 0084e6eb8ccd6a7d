import { describe, expect, it } from 'vitest'
import { ChangeListeners, KmsError, type StorageChange } from '@strongroom/core'

describe('ChangeListeners', () => {
  it('calls every listener synchronously, each registration once, and unsubscribes one at a time', () => {
    const listeners = new ChangeListeners()
    const calls: string[] = []
    const shared = (changes: readonly StorageChange[]) => calls.push(`shared ${changes[0]!.key}`)
    const first = listeners.subscribe(shared)
    listeners.subscribe(shared)
    listeners.subscribe((changes) => calls.push(`other ${changes[0]!.key}`))
    listeners.announce([{ key: 'a', revision: 1 }])
    expect(calls).toEqual(['shared a', 'shared a', 'other a'])
    first()
    first()
    calls.length = 0
    listeners.announce([{ key: 'b', revision: null }])
    expect(calls).toEqual(['shared b', 'other b'])
  })

  it('dropOwner removes exactly the registrations made for that owner', () => {
    const listeners = new ChangeListeners()
    const seen: string[] = []
    const one = {}
    const two = {}
    listeners.subscribe(() => seen.push('one'), one)
    listeners.subscribe(() => seen.push('two'), two)
    listeners.dropOwner(one)
    listeners.announce([{ key: 'k', revision: 2 }])
    expect(seen).toEqual(['two'])
  })

  it('a throwing listener neither stops the others nor vanishes: its error is re-thrown asynchronously', async () => {
    const listeners = new ChangeListeners()
    const seen: string[] = []
    listeners.subscribe(() => {
      throw new Error('listener failed')
    })
    listeners.subscribe(() => seen.push('after'))
    const uncaught = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve))
    listeners.announce([{ key: 'k', revision: 3 }])
    expect(seen).toEqual(['after'])
    expect(String(await uncaught)).toMatch(/listener failed/)
  })

  it('refuses a listener that is not a function', () => {
    expect(() => new ChangeListeners().subscribe(42 as never)).toThrow(KmsError)
  })
})
