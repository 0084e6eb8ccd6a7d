/**
 * Global set-up of the end-to-end run: rebuilds dist/strongroom.mjs from the current
 * sources (about a second), so the spawned command is never a stale build.
 */
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export default function setup(): void {
  execFileSync(process.execPath, [fileURLToPath(new URL('../scripts/bundle.mjs', import.meta.url))], { stdio: 'inherit' })
}
