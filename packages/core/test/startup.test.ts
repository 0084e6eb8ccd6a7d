/**
 * Start-up: importing the engine must not evaluate the families that need the provider's
 * asymmetric code (asymmetric keys and MACs, data-key export, BYOK import); the operation
 * table loads them at their first call (operations/index.ts). Their behaviour is covered by
 * asymmetric.test.ts, byok.test.ts and mac-random-export.test.ts, each of which starts
 * before they are loaded.
 */
import { readFileSync } from 'node:fs'
import { dirname, join, normalize } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const SRC = fileURLToPath(new URL('../src/', import.meta.url))
const LAZY_FAMILIES = ['operations/asymmetric.ts', 'operations/data-key-export.ts', 'operations/data-key-pairs.ts', 'operations/import.ts']

/** The src/ modules evaluated when `entry` is imported: static imports only (`import type` and `import()` excluded). */
function loadedBy(entry: string): Set<string> {
  const seen = new Set<string>()
  const visit = (file: string): void => {
    if (seen.has(file)) return
    seen.add(file)
    const text = readFileSync(join(SRC, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
    for (const match of text.matchAll(/^\s*(?:import|export)\s+(?!type\s)(?:[^'"]*?\sfrom\s+)?'(\.{1,2}\/[^']+)'/gm)) {
      visit(normalize(join(dirname(file), match[1]!.replace(/\.js$/, '.ts'))))
    }
  }
  visit(entry)
  return seen
}

describe('start-up', () => {
  it('importing the package evaluates the engine but not the asymmetric families', () => {
    const loaded = loadedBy('index.ts')
    expect(loaded).toContain('kms.ts')
    expect(loaded).toContain('operations/cryptography.ts')
    for (const family of LAZY_FAMILIES) expect(loaded.has(family), family).toBe(false)
  })

  it('the operation table names each of them only in an import()', () => {
    const table = readFileSync(join(SRC, 'operations/index.ts'), 'utf8')
    for (const family of LAZY_FAMILIES) expect(table).toContain(`import('./${family.slice('operations/'.length).replace(/\.ts$/, '.js')}')`)
  })
})
