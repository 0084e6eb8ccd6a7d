/**
 * Runs a benchmark the way applications run Strongroom: compiled JavaScript on plain Node,
 * not through a TypeScript loader (tsx wraps functions for names and source maps, which
 * inflates the per-call cost of small operations). The entry is bundled with esbuild into
 * .bench-tmp/ and executed; arguments after the entry are passed on.
 *
 * Usage: node run-compiled.mjs src/run.ts [--quick]
 */
import { spawnSync } from 'node:child_process'
import { build } from 'esbuild'

const [entry, ...args] = process.argv.slice(2)
if (entry === undefined) throw new Error('usage: node run-compiled.mjs <entry.ts> [args…]')
const outfile = `.bench-tmp/${entry.replace(/[^a-z0-9]+/gi, '-')}.mjs`
await build({
  entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20',
  // Workspace packages are bundled from their sources; third-party packages stay as installed.
  conditions: ['source'], logLevel: 'warning',
  // Everything is bundled but the native LevelDB binding; CommonJS dependencies inside an
  // ES module bundle need a `require`.
  external: ['classic-level'],
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
})
// A young generation of fixed size (16 MiB semi-spaces, the most V8 grows it to by itself):
// V8 otherwise sizes it from the survival rate of whatever ran before, so one case's rows
// moved by 0.5× with the allocation pattern of the case measured before it. Raw and engine
// rounds share the setting.
const { status } = spawnSync(process.execPath, ['--min-semi-space-size=16', '--max-semi-space-size=16', outfile, ...args], { stdio: 'inherit' })
process.exit(status ?? 1)
