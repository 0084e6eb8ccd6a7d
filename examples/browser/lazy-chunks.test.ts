/**
 * The asymmetric code is loaded at first use (`import()` in @strongroom/crypto's providers
 * and in the engine's operation table): a browser bundle must keep working, whether the
 * bundler splits those imports into chunks or inlines them. Bundles lazy-chunks.ts with
 * esbuild for the browser both ways and runs each bundle (plain ES modules that need only
 * Web APIs, which Node provides too).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { build, type Metafile } from 'esbuild'
import { afterAll, describe, expect, it } from 'vitest'

const entry = new URL('./lazy-chunks.ts', import.meta.url).pathname
const out = mkdtempSync(join(tmpdir(), 'strongroom-lazy-chunks-'))
afterAll(() => rmSync(out, { recursive: true, force: true }))

async function bundle(splitting: boolean): Promise<{ dir: string; metafile: Metafile }> {
  const dir = join(out, splitting ? 'split' : 'whole')
  const { metafile } = await build({
    entryPoints: [entry], outdir: dir, bundle: true, splitting, format: 'esm', platform: 'browser', target: 'chrome120',
    conditions: ['source'], metafile: true, logLevel: 'warning',
  })
  return { dir, metafile }
}

type SignAndVerify = () => Promise<{ provider: string; verified: boolean; macVerified: boolean }>

describe('lazily loaded modules in a browser bundle', () => {
  it('split: the asymmetric halves are chunks reached only through dynamic imports, and they load and work', async () => {
    const { dir, metafile } = await bundle(true)
    const outputs = Object.entries(metafile.outputs)
    const entryOutput = outputs.find(([, o]) => o.entryPoint !== undefined)!
    // Every output the entry reaches through static imports alone.
    const statically = new Set<string>([entryOutput[0]])
    for (let grew = true; grew;) {
      grew = false
      for (const [path, output] of outputs) {
        if (!statically.has(path)) continue
        for (const imported of output.imports) {
          if (imported.kind === 'import-statement' && !statically.has(imported.path)) {
            statically.add(imported.path)
            grew = true
          }
        }
      }
    }
    const holding = (input: string) => outputs.filter(([, o]) => Object.keys(o.inputs).some((i) => i.endsWith(input))).map(([path]) => path)
    for (const lazy of ['crypto/src/noble-asymmetric.ts', 'crypto/src/der.ts', 'core/src/operations/asymmetric.ts']) {
      expect(holding(lazy), lazy).toHaveLength(1)
      expect(statically.has(holding(lazy)[0]!), `${lazy} is loaded at start-up`).toBe(false)
    }
    for (const file of readdirSync(dir)) expect(readFileSync(join(dir, file), 'utf8')).not.toMatch(/["']node:/)
    const { signAndVerify } = (await import(pathToFileURL(join(dir, 'lazy-chunks.js')).href)) as { signAndVerify: SignAndVerify }
    await expect(signAndVerify()).resolves.toEqual({ provider: 'noble', verified: true, macVerified: true })
  }, 60_000)

  it('not split: the dynamic imports are inlined, and the bundle works the same', async () => {
    const { dir } = await bundle(false)
    expect(readdirSync(dir)).toEqual(['lazy-chunks.js'])
    const { signAndVerify } = (await import(pathToFileURL(join(dir, 'lazy-chunks.js')).href)) as { signAndVerify: SignAndVerify }
    await expect(signAndVerify()).resolves.toEqual({ provider: 'noble', verified: true, macVerified: true })
  }, 60_000)
})
