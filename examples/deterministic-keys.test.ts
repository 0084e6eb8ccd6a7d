/** The deterministic-keys example is code a test runs, so it cannot rot. */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { FIXED_KEY_ID, byokRun, decryptInFreshEngine, seededRun } from './deterministic-keys.js'

describe('deterministic keys example', () => {
  it('(a) a seeded engine gives the same key id, ciphertext and EC public key on every run; another seed does not', async () => {
    const first = await seededRun()
    const second = await seededRun()
    expect(second).toEqual(first)
    expect(first.ciphertextHex.length).toBeGreaterThan(0)
    expect(first.signingPublicKey).toMatch(/^-----BEGIN PUBLIC KEY-----/)
    const other = await seededRun('another suite')
    expect(other.keyId).not.toBe(first.keyId)
    expect(other.ciphertextHex).not.toBe(first.ciphertextHex)
    expect(other.signingPublicKey).not.toBe(first.signingPublicKey)
  })

  it('(b) BYOK into a chosen id: the same key id and version in two fresh runs, and a fresh engine decrypts either run\'s ciphertext', async () => {
    const first = await byokRun()
    const second = await byokRun()
    expect(first.keyId).toBe(FIXED_KEY_ID)
    expect([second.keyId, second.keyVersionId]).toEqual([first.keyId, first.keyVersionId])
    expect(await decryptInFreshEngine(first)).toBe('fixture secret')
    expect(await decryptInFreshEngine(second)).toBe('fixture secret')
  })

  it('runs as a script', async () => {
    const { stdout } = await promisify(execFile)('npx', ['tsx', '--conditions=source', 'examples/deterministic-keys.ts'], {
      cwd: new URL('..', import.meta.url).pathname, timeout: 60_000,
    })
    expect(stdout).toContain('same key, ciphertext and EC public key on a second run: true')
    expect(stdout).toContain(`key ${FIXED_KEY_ID}`)
    expect(stdout).toContain('decrypted in a fresh engine: "fixture secret"')
  }, 90_000)
})
