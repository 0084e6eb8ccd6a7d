/**
 * Start-up as users get it: the published, compiled entry points (each package's dist/,
 * built by `pnpm bench:startup` first) imported by plain `node` in a cold process.
 *
 *   npx -y pnpm@12.21.0 --filter @strongroom/benchmarks bench:startup [--runs=15]
 *
 * Rows (median of fresh processes, wall-clock and CPU time of the process's main thread
 * and helpers as `process.cpuUsage()` counts them, so a busy neighbour inflates the wall
 * column far more than the CPU one):
 * - `import '@strongroom/core'`, minus a process that imports an empty module (the cost
 *   of Node's own ES module loader, paid by any application);
 * - open-to-first-encrypt: the imports, `Kms.open` of an existing LevelDB keystore (raw
 *   root key, so no scrypt), and one `encrypt` of 1 KiB.
 * Plain JavaScript, no build step of its own: what it measures is what a user's `node` runs.
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = fileURLToPath(new URL('..', import.meta.url)) // the benchmarks package: resolves @strongroom/* to dist/
const runs = Number(process.argv.find((arg) => arg.startsWith('--runs='))?.slice('--runs='.length) ?? 15)
const work = mkdtempSync(join(tmpdir(), 'strongroom-startup-'))
const rootKey = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'

/** Runs `body` (an ES module's text) in a fresh `node` with the benchmarks package as its home; returns its JSON output. */
function child(body) {
  const file = join(here, `.bench-tmp/startup-${process.pid}.mjs`)
  writeFileSync(file, body)
  try {
    return JSON.parse(execFileSync(process.execPath, [file], { cwd: here, encoding: 'utf8' }))
  } finally {
    rmSync(file, { force: true })
  }
}

const clock = `const cpu0 = process.cpuUsage(), t0 = process.hrtime.bigint()
const lap = () => ({ wall: Number(process.hrtime.bigint() - t0) / 1e6, cpu: (({ user, system }) => (user + system) / 1e3)(process.cpuUsage(cpu0)) })`
const programs = {
  empty: `${clock}\nawait import('./empty-module.mjs')\nconsole.log(JSON.stringify({ import: lap() }))`,
  core: `${clock}\nawait import('@strongroom/core')\nconsole.log(JSON.stringify({ import: lap() }))`,
  open: `${clock}
const { Kms, rawRootKey } = await import('@strongroom/core')
const { levelStorage } = await import('@strongroom/storage-level')
const { ClassicLevel } = await import('classic-level')
const imported = lap()
const kms = await Kms.open({ storage: levelStorage(new ClassicLevel(${JSON.stringify(join(work, 'keystore'))})), rootKey: rawRootKey(Buffer.from('${rootKey}', 'hex')) })
const opened = lap()
await kms.encrypt({ keyId: 'alias/startup', plaintext: new Uint8Array(1024) })
const encrypted = lap()
await kms.close()
console.log(JSON.stringify({ import: imported, open: opened, encrypt: encrypted }))`,
}

writeFileSync(join(here, '.bench-tmp/empty-module.mjs'), 'export default 1\n')

// The keystore the open row reopens: one key, one alias, written once.
child(`const { Kms, rawRootKey } = await import('@strongroom/core')
const { levelStorage } = await import('@strongroom/storage-level')
const { ClassicLevel } = await import('classic-level')
const kms = await Kms.open({ storage: levelStorage(new ClassicLevel(${JSON.stringify(join(work, 'keystore'))})), rootKey: rawRootKey(Buffer.from('${rootKey}', 'hex')) })
const { keyMetadata } = await kms.createKey({})
await kms.createAlias({ aliasName: 'alias/startup', keyId: keyMetadata.keyId })
await kms.close()
console.log('{}')`)

const samples = { empty: [], core: [], open: [] }
for (let i = 0; i < runs; i++) for (const name of Object.keys(programs)) samples[name].push(child(programs[name])) // interleaved
rmSync(work, { recursive: true, force: true })

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[sorted.length >> 1]
}
const row = (name, pick, minus) => {
  const wall = median(pick.map((s) => s.wall)) - (minus?.wall ?? 0)
  const cpu = median(pick.map((s) => s.cpu)) - (minus?.cpu ?? 0)
  return `| ${name} | ${wall.toFixed(1)} | ${cpu.toFixed(1)} |`
}
const empty = { wall: median(samples.empty.map((s) => s.import.wall)), cpu: median(samples.empty.map((s) => s.import.cpu)) }
console.log(`\n<!-- bench:startup -->\n| cold process, ${runs} runs (median) | wall ms | CPU ms |\n|---|---:|---:|`)
console.log(row('import of an empty module (Node\'s own loader)', samples.empty.map((s) => s.import)))
console.log(row("`import '@strongroom/core'`, over the empty import", samples.core.map((s) => s.import), empty))
console.log(row('imports of core, storage-level and classic-level', samples.open.map((s) => s.import)))
console.log(row('… then `Kms.open` of a LevelDB keystore', samples.open.map((s) => s.open)))
console.log(row('… then the first `encrypt` (1 KiB): open-to-first-encrypt', samples.open.map((s) => s.encrypt)))
