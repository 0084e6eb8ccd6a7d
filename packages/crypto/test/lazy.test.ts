/**
 * The asymmetric half of each provider is loaded at first use (src/lazy.ts): importing the
 * package must not reach it (start-up cost), calling a synchronous asymmetric operation
 * before `loadAsymmetric()` is a clear Error, and `generateKeyPair` loads by itself.
 * This file's module state is its own (vitest isolates files), so "before" is real here.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { lazyModule, seededRandom, type CryptoProvider } from '@strongroom/crypto'
import { nobleCryptoProvider } from '@strongroom/crypto/noble'
import { nodeCryptoProvider } from '@strongroom/crypto/node'

const SRC = fileURLToPath(new URL('../src/', import.meta.url))
const PLATFORM_TARGETS = ['platform-node.ts', 'platform-noble.ts']

/** What a module imports when it is evaluated: static imports only (`import type` and `import()` excluded). */
function staticImports(file: string): string[] {
  const text = readFileSync(SRC + file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
  const found: string[] = []
  for (const match of text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'"]*?\sfrom\s+)?'([^']+)'/gm)) {
    const specifier = match[1]!
    if (specifier.startsWith('./')) found.push(specifier.slice(2).replace(/\.js$/, '.ts'))
    else if (specifier === '#platform-provider') found.push(...PLATFORM_TARGETS)
    else found.push(specifier)
  }
  return found
}

/** Every module evaluated when `entry` is imported (relative modules and packages). */
function loadedBy(entry: string): Set<string> {
  const seen = new Set<string>()
  const visit = (file: string): void => {
    if (seen.has(file)) return
    seen.add(file)
    if (file.endsWith('.ts')) for (const next of staticImports(file)) visit(next)
  }
  visit(entry)
  return seen
}

describe('start-up: what importing the package evaluates', () => {
  it('the index and the node provider reach neither asymmetric half, DER, EMSA nor @noble/curves', () => {
    for (const entry of ['index.ts', 'node.ts']) {
      const loaded = [...loadedBy(entry)]
      expect(loaded).toContain('contract.ts')
      expect(loaded.filter((file) => /asymmetric\.ts$|^(der|emsa)\.ts$|^@noble\/curves/.test(file) && file !== 'asymmetric.ts'), entry).toEqual([])
    }
  })

  it('the noble provider does not reach its asymmetric half either', () => {
    expect([...loadedBy('noble.ts')].filter((file) => file === 'noble-asymmetric.ts' || file.startsWith('@noble/curves'))).toEqual([])
  })

  it('the graph walk sees dynamic imports as such: the providers name their halves only in import()', () => {
    expect(readFileSync(SRC + 'node.ts', 'utf8')).toContain("import('./node-asymmetric.js')")
    expect(readFileSync(SRC + 'noble.ts', 'utf8')).toContain("import('./noble-asymmetric.js')")
    expect(loadedBy('node-asymmetric.ts')).toContain('noble-asymmetric.ts') // the walk does follow static imports
  })
})

describe.each([
  ['node', nodeCryptoProvider()],
  ['noble', nobleCryptoProvider()],
] as const)('%s provider: asymmetric operations before and after loading', (name, crypto: CryptoProvider) => {
  const digest = new Uint8Array(32).fill(7)

  it('a synchronous asymmetric call before loadAsymmetric() throws an Error that says what to do', () => {
    const key = new Uint8Array(64)
    expect(() => crypto.sign('EC_P256', 'ECDSA_SHA_256', key, digest, true)).toThrow(/await provider\.loadAsymmetric\(\)/)
    expect(() => crypto.publicKeyFromPrivateKey('EC_P256', key)).toThrow(`the ${name} provider loads its asymmetric operations at first use`)
    // HMAC is not part of the lazy half.
    expect(crypto.hmac('HMAC_SHA_256', key, digest)).toHaveLength(32)
  })

  it('generateKeyPair loads by itself; then every operation answers synchronously', async () => {
    const pair = await crypto.generateKeyPair('EC_P256', seededRandom('lazy'))
    const signature = crypto.sign('EC_P256', 'ECDSA_SHA_256', pair.privateKey, digest, true)
    expect(crypto.verify('EC_P256', 'ECDSA_SHA_256', pair.publicKey, digest, true, signature)).toBe(true)
    expect(crypto.publicKeyFromPrivateKey('EC_P256', pair.privateKey)).toEqual(pair.publicKey)
  })

  it('loadAsymmetric() may be called any number of times, together', async () => {
    await Promise.all([crypto.loadAsymmetric?.(), crypto.loadAsymmetric?.()])
    await expect(crypto.loadAsymmetric?.()).resolves.toBeUndefined()
  })
})

describe('lazyModule', () => {
  it('imports once, however many callers wait', async () => {
    let imports = 0
    const lazy = lazyModule(async () => ({ n: ++imports }), 'not yet')
    expect(lazy.peek()).toBeUndefined()
    expect(() => lazy.loaded()).toThrow('not yet')
    const [a, b] = await Promise.all([lazy.load(), lazy.load()])
    expect(a).toBe(b)
    expect(imports).toBe(1)
    expect(lazy.loaded()).toBe(a)
    expect(lazy.peek()).toBe(a)
  })

  it('a failed import is retried by the next load()', async () => {
    let attempts = 0
    const lazy = lazyModule(async () => {
      if (++attempts === 1) throw new Error('chunk missing')
      return { ok: true }
    }, 'not yet')
    await expect(lazy.load()).rejects.toThrow('chunk missing')
    await expect(lazy.load()).resolves.toEqual({ ok: true })
    expect(attempts).toBe(2)
  })
})
