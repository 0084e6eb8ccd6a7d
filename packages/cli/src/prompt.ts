/**
 * Reads a passphrase from the terminal without echoing it. The terminal is stdin when
 * stdin is a TTY, else `/dev/tty`, so `cat secrets | strongroom encrypt …` still asks
 * the person at the keyboard rather than eating the piped data.
 *
 * ```ts
 * const passphrase = await promptHidden('Passphrase: ')   // undefined when there is no terminal
 * ```
 *
 * Raw mode gives us each keystroke: Enter finishes, Backspace erases, Ctrl-C aborts with
 * InterruptedError, Ctrl-D on an empty line aborts too. Nothing typed is ever written back.
 */
import { openSync } from 'node:fs'
import { ReadStream, WriteStream } from 'node:tty'
import { InterruptedError } from './errors.js'

interface Terminal {
  readonly input: ReadStream
  readonly output: NodeJS.WritableStream
  close(): void
}

function openTerminal(): Terminal | undefined {
  if (process.stdin.isTTY && process.stderr.isTTY) {
    return { input: process.stdin as ReadStream, output: process.stderr, close: () => process.stdin.pause() }
  }
  try {
    const fd = openSync('/dev/tty', 'r+')
    const input = new ReadStream(fd)
    const output = new WriteStream(fd)
    return { input, output, close: () => input.destroy() }
  } catch {
    return undefined // no controlling terminal (CI, a service, Windows without a console)
  }
}

/** The typed line, or `undefined` when no terminal is available. */
export async function promptHidden(prompt: string): Promise<string | undefined> {
  const terminal = openTerminal()
  if (terminal === undefined) return undefined
  const { input, output } = terminal
  // Echo off before the prompt shows, so even input typed (or pasted) at once is never echoed.
  input.setRawMode(true)
  output.write(prompt)
  input.resume()
  input.setEncoding('utf8')
  try {
    return await new Promise<string>((resolve, reject) => {
      let typed = ''
      const onData = (text: string) => {
        for (const char of text) {
          if (char === '\r' || char === '\n') {
            input.off('data', onData)
            resolve(typed)
            return
          }
          if (char === '\u0003' || (char === '\u0004' && typed.length === 0)) {
            input.off('data', onData)
            reject(new InterruptedError())
            return
          }
          if (char === '\u007f' || char === '\b') typed = [...typed].slice(0, -1).join('')
          else if (char >= ' ') typed += char
        }
      }
      input.on('data', onData)
    })
  } finally {
    input.setRawMode(false)
    output.write('\n')
    terminal.close()
  }
}
