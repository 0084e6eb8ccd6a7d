/** The nonce store: once per AccessKey within the window, forgotten after it, bounded without forgetting live nonces. */
import { describe, expect, it } from 'vitest'
import { AliyunError, MAX_SKEW_MS, NonceCache, percentEncode } from '@strongroom/aliyun'

describe('NonceCache', () => {
  const now = Date.parse('2026-01-01T00:00:00Z')

  it('accepts a nonce once per AccessKey while its request time is within the window', () => {
    const nonces = new NonceCache()
    expect(nonces.claim('A', 'n1', now, now)).toBe(true)
    expect(nonces.claim('A', 'n1', now, now + 1000)).toBe(false)
    expect(nonces.claim('B', 'n1', now, now)).toBe(true)
    // Once the request's time has left the window, the timestamp check refuses a replay; the nonce is free again.
    expect(nonces.claim('A', 'n1', now + MAX_SKEW_MS + 1, now + MAX_SKEW_MS + 1)).toBe(true)
  })

  it('when full of live nonces, throttles instead of forgetting one; expired ones make room', () => {
    const nonces = new NonceCache(2)
    nonces.claim('A', 'n1', now, now)
    nonces.claim('A', 'n2', now + 1000, now + 1000)
    expect(() => nonces.claim('A', 'n3', now + 2000, now + 2000)).toThrow(AliyunError)
    expect(nonces.claim('A', 'n1', now, now + 2000)).toBe(false)
    expect(nonces.claim('A', 'n3', now + MAX_SKEW_MS + 500, now + MAX_SKEW_MS + 500)).toBe(true)
    expect(nonces.size).toBe(2)
  })
})

describe('percentEncode', () => {
  it('encodes as Alibaba\'s signatures do: RFC 3986 unreserved characters stay, space is %20, * is %2A', () => {
    expect(percentEncode("a b*c~d!e'f(g)h/i+j=k&l")).toBe('a%20b%2Ac~d%21e%27f%28g%29h%2Fi%2Bj%3Dk%26l')
    expect(percentEncode('ü')).toBe('%C3%BC')
  })
})
