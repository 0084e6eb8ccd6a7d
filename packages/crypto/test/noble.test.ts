import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { UnsupportedAlgorithmError } from '@strongroom/crypto'
import { nobleCryptoProvider } from '@strongroom/crypto/noble'
import { providerSuite } from './provider-suite.js'
import { vectorKeyPair } from './reference.js'
import { hex, signatureVectors, toHex } from './vectors.js'

providerSuite(nobleCryptoProvider)

describe('noble provider', () => {
  const noble = nobleCryptoProvider()

  // Deterministic ECDSA (RFC 6979, no extra entropy) is this provider's own property, not the contract's.
  for (const v of signatureVectors.filter((x) => x.algorithm === 'ECDSA_SHA_256')) {
    it(`${v.id}: reproduces the published deterministic signature, in message and digest mode`, () => {
      const { privateKey } = vectorKeyPair(v)
      const message = hex(v.message)
      expect(toHex(noble.sign(v.spec, v.algorithm, privateKey, message, false))).toBe(v.signature)
      expect(toHex(noble.sign(v.spec, v.algorithm, privateKey, noble.sha256(message), true))).toBe(v.signature)
    })
  }

  it('refuses RSA with a message that says what would work', async () => {
    await expect(noble.generateKeyPair('RSA_2048')).rejects.toThrow(UnsupportedAlgorithmError)
    await expect(noble.generateKeyPair('RSA_4096')).rejects.toThrow(
      'RSA needs node:crypto or WebCrypto; this provider (noble) cannot generate RSA_4096 keys',
    )
    expect(() => noble.rsaEncrypt('RSA_2048', 'RSAES_OAEP_SHA_256', new Uint8Array(294), new Uint8Array(32))).toThrow(
      'RSA needs node:crypto or WebCrypto; this provider (noble) cannot encrypt with RSA_2048 keys',
    )
  })

  it('never imports node:* modules, directly or through its local imports', () => {
    const seen = new Set<string>()
    const visit = (file: string): void => {
      if (seen.has(file)) return
      seen.add(file)
      const source = readFileSync(new URL(`../src/${file}`, import.meta.url), 'utf8')
      for (const [, specifier] of source.matchAll(/(?:from|import)\s*['"]([^'"]+)['"]/g)) {
        expect(specifier, `${file} imports ${specifier}`).not.toMatch(/^node:|^(crypto|fs|buffer)$/)
        if (specifier!.startsWith('./')) visit(specifier!.slice(2).replace(/\.js$/, '.ts'))
      }
    }
    visit('noble.ts')
    visit('platform-noble.ts')
    expect(seen.has('assert.ts')).toBe(true)
  })
})
