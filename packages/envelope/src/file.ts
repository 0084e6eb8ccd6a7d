/**
 * Files: seal or open `source` into `destination` without ever leaving a partial or
 * unverified destination behind, in bounded memory whatever the file size.
 *
 * ```ts
 * import { sealFile, openFile } from '@strongroom/envelope/node'
 *
 * await sealFile(envelope, 'backup.tar', 'backup.tar.sre', { keyIds: ['alias/backup'] })
 * const { keyId } = await openFile(envelope, 'backup.tar.sre', 'restored.tar', { onProgress: ({ bytesRead, totalBytes }) => … })
 * ```
 *
 * The output goes to a hidden temporary file beside the destination (same directory, so
 * same filesystem), is fsync'd, and only then takes the destination's name — with
 * `link` (fails if the destination appeared meanwhile) or, with `overwrite`, an atomic
 * `rename`. Any failure (a bad frame, a truncated input, an abort, a full disk) removes
 * the temporary file. Opened plaintext is created with mode 0600.
 *
 * Memory: one 1 MiB read buffer, the frames one read completes (written before the next
 * read) and one staged frame — a few MiB at most for any file size. Both buffers are
 * reused when sealing; the sealer copies only the bytes of a frame that straddles two reads.
 */
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { access, link, open, rename, stat, unlink, type FileHandle } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import type { Envelope, OpenedInfo, OpenOptions, SealOptions } from './envelope.js'

const READ_SIZE = 1 << 20

export interface FileProgress {
  /** Bytes of the source read so far. */
  readonly bytesRead: number
  /** Size of the source when the operation started. */
  readonly totalBytes: number
}

export interface FileOptions {
  /** Replace an existing destination (atomically). Default false: an existing destination is an error. */
  readonly overwrite?: boolean
  /** Called after each read (about every MiB). */
  readonly onProgress?: (progress: FileProgress) => void
  /** Aborting stops the work and removes the temporary file. */
  readonly signal?: AbortSignal
}

export type SealFileOptions = SealOptions & FileOptions
export type OpenFileOptions = OpenOptions & FileOptions

export interface FileResult {
  readonly bytesRead: number
  readonly bytesWritten: number
}

/** Seals `source` into `destination`. */
export async function sealFile(envelope: Envelope, source: string, destination: string, options: SealFileOptions): Promise<FileResult> {
  return transformFile(source, destination, options, 0o666, async (size, read, write) => {
    // The size lets the data-key cache account bytes; the sealer refuses a file that grew past it.
    const sealer = await envelope.sealer({ ...options, plaintextLength: size })
    try {
      await write([sealer.header])
      // Reused for every chunk: each result is written before the next push.
      const into = new Uint8Array(sealer.maxPushOutput(READ_SIZE))
      for (let chunk = await read(); chunk !== undefined; chunk = await read()) {
        const frames = sealer.push(chunk, into)
        if (frames !== undefined) await write([frames])
      }
      await write([sealer.finish()])
    } finally {
      sealer.destroy()
    }
    return {}
  })
}

/** Opens the envelope in `source` into `destination` (mode 0600); resolves with what the verified header says. */
export async function openFile(
  envelope: Envelope, source: string, destination: string, options: OpenFileOptions = {},
): Promise<FileResult & OpenedInfo> {
  return transformFile(source, destination, options, 0o600, async (_size, read, write) => {
    const opener = envelope.opener(options)
    try {
      for (let chunk = await read(); chunk !== undefined; chunk = await read()) {
        const frames = await opener.push(chunk)
        if (frames.length > 0) await write(frames)
      }
      opener.finish()
      return opener.info!
    } finally {
      opener.destroy()
    }
  })
}

type Work<T> = (
  size: number,
  read: () => Promise<Uint8Array | undefined>,
  write: (chunks: readonly Uint8Array[]) => Promise<void>,
) => Promise<T>

function exists(path: string): Error {
  return Object.assign(new Error(`${path} already exists (pass overwrite to replace it)`), { code: 'EEXIST' })
}

async function transformFile<T extends object>(
  source: string, destination: string, options: FileOptions, mode: number, work: Work<T>,
): Promise<FileResult & T> {
  const { signal, onProgress } = options
  const overwrite = options.overwrite ?? false
  signal?.throwIfAborted()
  if (!overwrite && await access(destination, constants.F_OK).then(() => true, () => false)) throw exists(destination)
  const input = await open(source, 'r')
  const temporary = join(dirname(destination), `.${basename(destination)}.${randomBytes(6).toString('hex')}.tmp`)
  let output: FileHandle | undefined
  let renamed = false
  try {
    const { size } = await input.stat()
    output = await open(temporary, 'wx', mode)
    const out = output
    const buffer = new Uint8Array(READ_SIZE)
    let bytesRead = 0
    let bytesWritten = 0
    const read = async (): Promise<Uint8Array | undefined> => {
      signal?.throwIfAborted()
      const { bytesRead: n } = await input.read(buffer, 0, buffer.length, null)
      if (n === 0) return undefined
      bytesRead += n
      onProgress?.({ bytesRead, totalBytes: size })
      return buffer.subarray(0, n)
    }
    const write = async (chunks: readonly Uint8Array[]): Promise<void> => {
      bytesWritten += await writeAll(out, chunks)
    }
    const result = await work(size, read, write)
    signal?.throwIfAborted()
    await out.sync()
    await out.close()
    output = undefined
    await publish(temporary, destination, overwrite)
    renamed = true
    await syncDirectory(dirname(destination))
    return { ...result, bytesRead, bytesWritten }
  } finally {
    await input.close()
    if (output !== undefined) await output.close().catch(() => undefined)
    if (!renamed) await unlink(temporary).catch(() => undefined)
  }
}

/** Moves the finished temporary file to its name; without overwrite, never replaces a file. */
async function publish(temporary: string, destination: string, overwrite: boolean): Promise<void> {
  if (overwrite) return rename(temporary, destination)
  try {
    await link(temporary, destination)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw exists(destination)
    // Filesystems without hard links (FAT, some network mounts): check, then rename.
    if (await stat(destination).then(() => true, () => false)) throw exists(destination)
    return rename(temporary, destination)
  }
  await unlink(temporary)
}

/** fsync the directory so the new name survives a power cut; best effort where unsupported. */
async function syncDirectory(directory: string): Promise<void> {
  let handle: FileHandle | undefined
  try {
    handle = await open(directory, 'r')
    await handle.sync()
  } catch {
    // Windows cannot open directories; some filesystems refuse fsync on them. The data is already synced.
  } finally {
    await handle?.close().catch(() => undefined)
  }
}

/** Writes every byte of `chunks` (writev may write less than asked). */
async function writeAll(handle: FileHandle, chunks: readonly Uint8Array[]): Promise<number> {
  let total = 0
  for (const chunk of chunks) total += chunk.length
  let pending = chunks
  let left = total
  while (left > 0) {
    const { bytesWritten } = await handle.writev(pending as Uint8Array[])
    left -= bytesWritten
    if (left === 0) break
    // Drop what was written and retry the rest.
    let skip = bytesWritten
    const rest: Uint8Array[] = []
    for (const chunk of pending) {
      if (skip >= chunk.length) {
        skip -= chunk.length
        continue
      }
      rest.push(skip > 0 ? chunk.subarray(skip) : chunk)
      skip = 0
    }
    pending = rest
  }
  return total
}
