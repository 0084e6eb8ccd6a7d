/**
 * `encrypt-file`, `decrypt-file` and `inspect`: envelope encryption of data of any size
 * (`@strongroom/envelope`). A file is sealed under a fresh data key wrapped by one or
 * more master keys; any of them opens it.
 *
 * ```sh
 * strongroom encrypt-file backup.tar backup.tar.sre --key alias/backup --key alias/offsite --context host=db1
 * strongroom decrypt-file backup.tar.sre restored.tar --context host=db1
 * tar c data | strongroom encrypt-file - data.tar.sre --key alias/backup
 * ```
 *
 * A destination is never left partial: output goes to a temporary file that takes the
 * destination's name only when complete (and, when decrypting, verified). `-` reads
 * stdin or writes stdout; on stdout, plaintext is released frame by frame as each frame
 * verifies, and a damaged input ends the stream with an error and a non-zero status.
 * On a terminal a progress bar with throughput is drawn on stderr; otherwise the
 * commands are silent (or print one JSON document with --json).
 */
import { createReadStream, createWriteStream } from 'node:fs'
import { link, rename, stat, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { randomBytes } from 'node:crypto'
import type { Readable, Transform, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Envelope, MAX_HEADER_BYTES, readEnvelopeHeader, FRAME_OVERHEAD, type EnvelopeInfo } from '@strongroom/envelope'
import { openFile, openStream, sealFile, sealStream, type FileProgress } from '@strongroom/envelope/node'
import { contextOption, positional, sizeOption } from '../args.js'
import { flag, stringValue, stringValues, type Command, type CommandContext } from '../command.js'
import { EnvironmentError, UsageError } from '../errors.js'
import { fields } from '../output.js'
import { ProgressBar, formatBytes, formatRate } from '../progress.js'
import { readInput } from '../io.js'

interface Transfer {
  readonly bytesRead: number
  readonly bytesWritten: number
  readonly seconds: number
}

/** A progress bar on stderr when it is a terminal and output is for people; else nothing. */
function progressFor(context: CommandContext, label: string, total: number | undefined): ((p: FileProgress) => void) | undefined {
  const { io, out } = context
  if (out.json || !io.stderr.isTTY || total === undefined) return undefined
  const bar = new ProgressBar(io.stderr, label, total)
  const update = (p: FileProgress) => {
    bar.update(p.bytesRead)
    if (p.bytesRead >= p.totalBytes) bar.finish()
  }
  return update
}

function summary(context: CommandContext, verb: string, source: string, destination: string, t: Transfer): void {
  if (context.out.json || !context.io.stderr.isTTY) return
  context.io.stderr.write(`${verb} ${source} → ${destination}: ${formatBytes(t.bytesRead)} in ${t.seconds.toFixed(2)} s (${formatRate(t.bytesRead, t.seconds)})\n`)
}

/** Writes a stream into `destination` through a temporary file renamed only on success. */
export async function writeAtomically(destination: string, force: boolean, mode: number, fill: (sink: Writable) => Promise<void>): Promise<void> {
  if (!force && await stat(destination).then(() => true, () => false)) {
    throw Object.assign(new Error(`${destination} already exists (pass --force to replace it)`), { code: 'EEXIST' })
  }
  const temporary = join(dirname(destination), `.${basename(destination)}.${randomBytes(6).toString('hex')}.tmp`)
  // flush: fsync before the stream closes, so the rename never publishes unwritten data.
  const sink = createWriteStream(temporary, { flags: 'wx', mode, flush: true })
  let done = false
  try {
    await fill(sink)
    if (force) await rename(temporary, destination)
    else {
      await link(temporary, destination) // fails if the destination appeared meanwhile
      await unlink(temporary)
    }
    done = true
  } finally {
    if (!done) {
      sink.destroy()
      await unlink(temporary).catch(() => undefined)
    }
  }
}

/** Looks at the input as it passes (and may fail it) before the transform sees it. */
type Gate = (chunks: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>

/** Streams stdin and/or stdout through a transform, counting bytes on both sides. */
async function streamThrough(
  context: CommandContext, source: string, destination: string, transform: Transform, mode: number, check: Gate = (chunks) => chunks,
): Promise<Transfer> {
  const started = performance.now()
  let bytesRead = 0
  let bytesWritten = 0
  const input: Readable = source === '-' ? (context.io.stdin as Readable) : createReadStream(source)
  const countIn = async function* (chunks: AsyncIterable<Uint8Array>) {
    for await (const chunk of check(chunks)) {
      bytesRead += chunk.length
      yield chunk
    }
  }
  const countOut = async function* (chunks: AsyncIterable<Uint8Array>) {
    for await (const chunk of chunks) {
      bytesWritten += chunk.length
      yield chunk
    }
  }
  if (destination === '-') {
    // `end: false`: stdout belongs to the process, not to this pipeline.
    await pipeline(input, countIn, transform, countOut, context.io.stdout, { signal: context.signal, end: false })
  } else {
    await writeAtomically(destination, flag(context.values, 'force'), mode,
      (sink) => pipeline(input, countIn, transform, countOut, sink, { signal: context.signal }))
  }
  return { bytesRead, bytesWritten, seconds: (performance.now() - started) / 1000 }
}

/** The envelope layer says "pass overwrite" (its option); here the option is --force. */
async function withForceHint<T>(work: Promise<T>): Promise<T> {
  try {
    return await work
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST' && error instanceof Error) {
      error.message = error.message.replace('(pass overwrite to replace it)', '(pass --force to replace it)')
    }
    throw error
  }
}

/**
 * decrypt-file needs the encryption context when the envelope carries one: without this,
 * leaving `--context` out would accept any envelope while a wrong `--context` fails.
 * The header is read (unverified) only to name what is missing; the pairs are then
 * checked against the authenticated header by the envelope itself.
 */
function requireContext(header: EnvelopeInfo, given: Record<string, string> | undefined, source: string): void {
  const keys = Object.keys(header.encryptionContext)
  if (given !== undefined || keys.length === 0) return
  throw new UsageError(`${source === '-' ? 'the envelope' : source} carries an encryption context (${keys.join(', ')}): pass it with --context KEY=VALUE (see: strongroom inspect)`)
}

/** Holds back the first bytes of a stream until the envelope header parses, then checks the context. */
function contextGate(encryptionContext: Record<string, string> | undefined): Gate {
  return async function* (chunks) {
    let head: Buffer | undefined = Buffer.alloc(0)
    for await (const chunk of chunks) {
      if (head === undefined) {
        yield chunk
        continue
      }
      head = Buffer.concat([head, chunk])
      let header: EnvelopeInfo | undefined
      try {
        header = readEnvelopeHeader(head)
      } catch {
        // Incomplete (or not an envelope: the decryption that follows says so).
        if (head.length < MAX_HEADER_BYTES) continue
      }
      if (header !== undefined) requireContext(header, encryptionContext, '-')
      yield head
      head = undefined
    }
    if (head !== undefined && head.length > 0) yield head
  }
}

function checkPaths(context: CommandContext, source: string, destination: string): void {
  if (destination === '-' && context.out.json) throw new UsageError('--json cannot be combined with writing to stdout (-)')
  if (source === '-' && context.io.stdin.isTTY) throw new UsageError('stdin is a terminal: pipe data in, or name a file')
}

async function sizeOf(path: string): Promise<number | undefined> {
  return path === '-' ? undefined : (await stat(path)).size
}

export const encryptFile: Command = {
  name: 'encrypt-file', args: 'SOURCE DESTINATION', summary: 'Encrypt data of any size into an envelope (- for stdin/stdout)', positionals: 2, needs: 'kms',
  options: {
    key: { type: 'string', multiple: true, value: 'KEY', description: 'a key that can decrypt it; the first generates the data key' },
    context: { type: 'string', multiple: true, value: 'KEY=VALUE', description: 'encryption context pair, stored in the header' },
    'frame-size': { type: 'string', value: 'SIZE', description: 'plaintext bytes per frame, e.g. 64k (default) or 1m' },
    force: { type: 'boolean', description: 'replace an existing destination' },
  },
  async run(context) {
    const { kms, positionals, values, out, signal } = context
    const source = positional(positionals, 0, 'SOURCE (a file, or - for stdin)')
    const destination = positional(positionals, 1, 'DESTINATION (a file, or - for stdout)')
    const keyIds = stringValues(values, 'key') ?? []
    if (keyIds.length === 0) throw new UsageError('missing --key KEY (repeat it to let several keys decrypt the file)')
    checkPaths(context, source, destination)
    const encryptionContext = contextOption(stringValues(values, 'context'))
    const frameSize = sizeOption(stringValue(values, 'frame-size'), 'frame-size')
    const options = {
      keyIds, ...(encryptionContext === undefined ? {} : { encryptionContext }), ...(frameSize === undefined ? {} : { frameSize }),
    }
    const envelope = new Envelope({ kms })
    const total = await sizeOf(source)
    let transfer: Transfer
    if (source !== '-' && destination !== '-') {
      const onProgress = progressFor(context, 'encrypting', total)
      const started = performance.now()
      const r = await withForceHint(sealFile(envelope, source, destination, { ...options, overwrite: flag(values, 'force'), signal, ...(onProgress ? { onProgress } : {}) }))
      transfer = { ...r, seconds: (performance.now() - started) / 1000 }
    } else {
      transfer = await streamThrough(context, source, destination, sealStream(envelope, options), 0o644)
    }
    summary(context, 'Encrypted', source, destination, transfer)
    out.result({
      source, destination, bytesRead: transfer.bytesRead, bytesWritten: transfer.bytesWritten,
      seconds: Number(transfer.seconds.toFixed(3)), keyIds, encryptionContext: encryptionContext ?? {},
    }, () => [])
  },
}

export const decryptFile: Command = {
  name: 'decrypt-file', args: 'SOURCE DESTINATION', summary: 'Decrypt an envelope made by encrypt-file (- for stdin/stdout)', positionals: 2, needs: 'kms',
  options: {
    context: { type: 'string', multiple: true, value: 'KEY=VALUE', description: 'a pair the envelope must carry; required when it has a context' },
    key: { type: 'string', multiple: true, value: 'KEY', description: 'only use these keys to decrypt' },
    force: { type: 'boolean', description: 'replace an existing destination' },
  },
  async run(context) {
    const { kms, positionals, values, out, signal } = context
    const source = positional(positionals, 0, 'SOURCE (a file, or - for stdin)')
    const destination = positional(positionals, 1, 'DESTINATION (a file, or - for stdout)')
    checkPaths(context, source, destination)
    const encryptionContext = contextOption(stringValues(values, 'context'))
    const keyIds = stringValues(values, 'key')
    const options = {
      ...(encryptionContext === undefined ? {} : { encryptionContext }),
      ...(keyIds === undefined || keyIds.length === 0 ? {} : { keyIds }),
    }
    const envelope = new Envelope({ kms })
    const total = await sizeOf(source)
    let transfer: Transfer
    let info: (EnvelopeInfo & { keyId: string }) | undefined
    if (source !== '-') {
      const head = await readInput(context.io, source, MAX_HEADER_BYTES, 'envelope')
      let header: EnvelopeInfo | undefined
      try {
        header = readEnvelopeHeader(head)
      } catch {
        header = undefined // not an envelope: openFile reports it
      }
      if (header !== undefined) requireContext(header, encryptionContext, source)
    }
    if (source !== '-' && destination !== '-') {
      const onProgress = progressFor(context, 'decrypting', total)
      const started = performance.now()
      const r = await withForceHint(openFile(envelope, source, destination, { ...options, overwrite: flag(values, 'force'), signal, ...(onProgress ? { onProgress } : {}) }))
      transfer = { bytesRead: r.bytesRead, bytesWritten: r.bytesWritten, seconds: (performance.now() - started) / 1000 }
      info = r
    } else {
      const gate = source === '-' ? contextGate(encryptionContext) : undefined
      transfer = await streamThrough(context, source, destination, openStream(envelope, options), 0o600, gate)
    }
    summary(context, 'Decrypted', source, destination, transfer)
    out.result({
      source, destination, bytesRead: transfer.bytesRead, bytesWritten: transfer.bytesWritten,
      seconds: Number(transfer.seconds.toFixed(3)),
      ...(info === undefined ? {} : { keyId: info.keyId, encryptionContext: info.encryptionContext, recipients: info.recipients }),
    }, () => [])
  },
}

export const inspect: Command = {
  name: 'inspect', args: 'FILE', summary: 'Show an envelope\'s header (unverified): keys, context, frame size', positionals: 1, needs: 'nothing',
  async run({ positionals, io, out }) {
    const path = positional(positionals, 0, 'FILE (an envelope, or - for stdin)')
    const head = await readInput(io, path, MAX_HEADER_BYTES, 'envelope')
    let info: EnvelopeInfo
    try {
      info = readEnvelopeHeader(head)
    } catch (error) {
      if (head.length === 0) throw new EnvironmentError(`${path} is empty`)
      throw error
    }
    const size = await sizeOf(path)
    // Plaintext size follows from the framing (FORMAT.md); only meaningful for an intact file.
    const body = size === undefined ? undefined : size - info.headerLength
    const sealedFrame = info.frameSize + FRAME_OVERHEAD
    const plaintextBytes = body === undefined || body < FRAME_OVERHEAD ? undefined
      : Math.floor(body / sealedFrame) * info.frameSize + (body % sealedFrame) - FRAME_OVERHEAD
    out.result({ ...info, ...(size === undefined ? {} : { fileBytes: size }), ...(plaintextBytes === undefined ? {} : { plaintextBytes }) }, () => [
      ...fields([
        ['Format', `Strongroom envelope v${info.formatVersion}`],
        ['Frame size', formatBytes(info.frameSize)],
        ['Message id', info.messageId],
        ['Plaintext', plaintextBytes === undefined ? undefined : `${formatBytes(plaintextBytes)} (${plaintextBytes} bytes)`],
        ['Context', Object.entries(info.encryptionContext).map(([k, v]) => `${k}=${v}`).join(', ') || '(none)'],
      ]),
      'Recipients:',
      ...info.recipients.map((r) => `  ${r.keyId ?? '(unreadable)'}  version ${r.keyVersionId ?? '?'}`),
      '(the header is not verified until the envelope is decrypted)',
    ])
  },
}
