#!/usr/bin/env node
/**
 * Bundles the `strongroom` command into one file, dist/strongroom.mjs, in about a second:
 * the workspace packages come from their TypeScript sources (the `source` condition), so
 * nothing else needs building first. classic-level and pg-native stay outside (native
 * bindings). The root `pnpm install` runs this (root `postinstall`), and so does
 * this package's `build` (before packing: scripts/check-packs.mjs).
 *
 *   node packages/cli/scripts/bundle.mjs      # → packages/cli/dist/strongroom.mjs
 */
import { chmodSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const PACKAGE = fileURLToPath(new URL('..', import.meta.url))
const outfile = `${PACKAGE}dist/strongroom.mjs`

await build({
  entryPoints: [`${PACKAGE}src/bin.ts`],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  conditions: ['source'],
  // pg loads its optional native binding (pg-native) only when asked for it: never bundled.
  external: ['classic-level', 'pg-native'],
  // Some bundled dependencies are CommonJS and call require() for Node's built-ins.
  banner: { js: "import { createRequire as __strongroomRequire } from 'node:module'; const require = __strongroomRequire(import.meta.url);" },
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
})
chmodSync(outfile, 0o755)
