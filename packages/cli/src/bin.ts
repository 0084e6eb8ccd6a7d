#!/usr/bin/env node
/**
 * The `strongroom` executable: runs main.ts on the process's arguments and streams.
 * The first Ctrl-C aborts the running command (file commands remove their temporary
 * file); a second one exits at once.
 *
 * ```sh
 * strongroom --keystore ./keys list-keys
 * ```
 */
import { InterruptedError } from './errors.js'
import { run } from './main.js'

// `strongroom list-keys | head -1`: the reader went away. Drop the rest of the output but
// let the command finish (it still closes the keystore and flushes its audit trail).
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error
})

const controller = new AbortController()
process.on('SIGINT', () => {
  if (controller.signal.aborted) process.exit(130)
  controller.abort(new InterruptedError())
})

process.exitCode = await run(process.argv.slice(2), {
  stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env,
}, controller.signal)
