/**
 * The module graph of src/ has no cycle, type-only imports included: contract.ts is the
 * leaf every other module may import, and nothing it needs points back at a provider.
 * A cycle would make load order matter (a `const` read before it is initialised) and
 * blur which module owns what.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const SRC = fileURLToPath(new URL('../src/', import.meta.url))
const PACKAGE = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  imports: Record<string, Record<string, { source: string }>>
}

// `import … from '…'`, `import type …`, `export … from '…'`, `import('…')` and bare `import '…'`.
const SPECIFIER = /\b(?:from|import)\s*\(?\s*'([^']+)'/g

/** The src/ files a specifier names: relative `./x.js` → `x.ts`; `#…` → every target in package.json "imports". */
function targets(specifier: string): string[] {
  if (specifier.startsWith('./')) return [specifier.slice(2).replace(/\.js$/, '.ts')]
  const conditions = PACKAGE.imports[specifier]
  if (conditions === undefined) return [] // a dependency (node:, @noble/…): outside the graph
  return Object.values(conditions).map((target) => target.source.replace('./src/', ''))
}

function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>()
  for (const file of readdirSync(SRC).filter((name) => name.endsWith('.ts'))) {
    const text = readFileSync(SRC + file, 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
    graph.set(file, [...text.matchAll(SPECIFIER)].flatMap((match) => targets(match[1]!)))
  }
  return graph
}

/** One cycle as a path `a → b → … → a`, or undefined when the graph is acyclic (depth-first search). */
function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>()
  const path: string[] = []
  const visit = (file: string): string[] | undefined => {
    if (state.get(file) === 'done') return undefined
    if (state.get(file) === 'open') return [...path.slice(path.indexOf(file)), file]
    state.set(file, 'open')
    path.push(file)
    for (const next of graph.get(file) ?? []) {
      const cycle = visit(next)
      if (cycle !== undefined) return cycle
    }
    path.pop()
    state.set(file, 'done')
    return undefined
  }
  for (const file of graph.keys()) {
    const cycle = visit(file)
    if (cycle !== undefined) return cycle
  }
  return undefined
}

describe('module graph of src/', () => {
  it('sees every module and resolves every import to one', () => {
    const graph = importGraph()
    expect(graph.size).toBeGreaterThan(10)
    for (const [file, imports] of graph) for (const target of imports) expect(graph.has(target), `${file} → ${target}`).toBe(true)
    // The subpath import resolves to both platform modules, so cycles through either are found.
    expect(graph.get('default.ts')).toEqual(expect.arrayContaining(['platform-node.ts', 'platform-noble.ts']))
  })

  it('contract.ts imports nothing', () => {
    expect(importGraph().get('contract.ts')).toEqual([])
  })

  it('has no cycle, type-only imports included', () => {
    expect(findCycle(importGraph())).toBeUndefined()
  })

  it('the cycle check finds a cycle when there is one', () => {
    const graph = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', []]])
    expect(findCycle(graph)).toEqual(['a.ts', 'b.ts', 'c.ts', 'a.ts'])
  })
})
