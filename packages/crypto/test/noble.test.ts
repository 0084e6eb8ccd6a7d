import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { nobleCryptoProvider } from '@strongroom/crypto/noble'
import { providerSuite } from './provider-suite.js'

providerSuite(nobleCryptoProvider)

describe('noble provider', () => {
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
