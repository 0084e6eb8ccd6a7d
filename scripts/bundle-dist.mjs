#!/usr/bin/env node
/**
 * Turns a package's dist/ (as tsc emitted it, one file per module) into one file per entry
 * point plus shared and lazily imported chunks, so that `import '@strongroom/core'` in a
 * cold process reads a handful of files instead of sixty: Node's ES module loader spends
 * about a millisecond of CPU on every module it resolves, reads and links, whatever its size.
 * The declaration files (.d.ts) stay as tsc wrote them; only the JavaScript is replaced.
 *
 *   node ../../scripts/bundle-dist.mjs      # in a package directory, after tsc (its `build` script)
 *
 * Entry points are every `default` target of the package's "exports" and "imports" maps.
 * Dependencies stay imports (each is installed once and shared with the application), and
 * so do subpath imports (`#platform-provider`): Node and bundlers resolve those by condition.
 * A dynamic `import()` in the sources becomes a chunk of its own, loaded at first use.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { build } from 'esbuild'

const root = process.cwd()
const dist = join(root, 'dist')
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))

/** Every `default` target under an exports/imports map entry, e.g. ./dist/index.js. */
function defaults(map) {
  if (typeof map === 'string') return []
  return Object.entries(map ?? {}).flatMap(([key, value]) => (key === 'default' && typeof value === 'string' ? [value] : defaults(value)))
}
const entryPoints = [...new Set([...defaults(pkg.exports), ...defaults(pkg.imports)])].map((target) => join(root, target))

/** Every .js file under dist/ that tsc wrote (their maps go with them). */
function emitted(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return emitted(path)
    return name.endsWith('.js') || name.endsWith('.js.map') ? [path] : []
  })
}
const stale = emitted(dist)

const result = await build({
  entryPoints,
  outdir: dist,
  outbase: dist,
  allowOverwrite: true,
  write: false,
  bundle: true,
  splitting: process.argv.includes('--split'),
  format: 'esm',
  platform: 'neutral',
  target: 'es2022',
  packages: 'external',
  external: ['#*', 'node:*'],
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
})
for (const file of stale) rmSync(file)
for (const file of result.outputFiles) {
  mkdirSync(join(file.path, '..'), { recursive: true })
  writeFileSync(file.path, file.contents)
}
console.log(`${pkg.name}: ${entryPoints.length} entries, ${result.outputFiles.filter((f) => f.path.endsWith('.js')).length} files in ${relative(root, dist)}/`)
