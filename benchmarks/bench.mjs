/**
 * `pnpm bench` runs the engine, asymmetric, envelope and secrets suites one after another;
 * `pnpm bench -- --scale [--keys N]` runs the scale suite (src/scale.ts) instead. Each
 * suite's command is the package.json script of its name.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const { scripts } = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8'))
const args = process.argv.slice(2).filter((a) => a !== '--')
const suites = args.includes('--scale')
  ? [['bench:scale', args.filter((a) => a !== '--scale')]]
  : [['bench:engine', args], ['bench:asymmetric', args], ['bench:envelope', args], ['bench:secrets', args]]
for (const [script, rest] of suites) {
  // Run where pnpm runs scripts: node_modules/.bin on the PATH (pnpm sets it for this process).
  const { status } = spawnSync([scripts[script], ...rest].join(' '), { stdio: 'inherit', shell: true })
  if (status !== 0) process.exit(status ?? 1)
}
