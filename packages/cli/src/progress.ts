/**
 * A one-line progress bar with throughput, for terminals only: the file commands draw it
 * on stderr when stderr is a TTY and stay silent otherwise (logs and pipes get no
 * carriage-return noise).
 *
 * ```ts
 * const bar = new ProgressBar(process.stderr, 'encrypting', totalBytes)
 * bar.update(bytesDone)     // redraws at most every 100 ms
 * bar.finish()              // clears the line
 * ```
 */
import type { Writable } from 'node:stream'

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB']

/** `1.5 MiB`: binary units, three significant digits. */
export function formatBytes(bytes: number): string {
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : value < 100 ? 1 : 0)} ${UNITS[unit]}`
}

/** `850 MiB/s`. */
export function formatRate(bytes: number, seconds: number): string {
  return `${formatBytes(seconds > 0 ? bytes / seconds : 0)}/s`
}

/** The bar's text for a given state (pure, so it can be tested without a terminal). */
export function renderProgress(label: string, done: number, total: number, seconds: number, width: number): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1
  const percent = `${Math.floor(fraction * 100)}%`.padStart(4)
  const tail = ` ${percent} ${formatBytes(done)} / ${formatBytes(total)}  ${formatRate(done, seconds)}`
  const barWidth = Math.max(10, Math.min(40, width - label.length - tail.length - 4))
  const filled = Math.round(fraction * barWidth)
  return `${label} [${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}]${tail}`
}

export class ProgressBar {
  readonly #stream: Writable & { readonly columns?: number }
  readonly #label: string
  readonly #total: number
  readonly #started = performance.now()
  #lastDraw = 0

  constructor(stream: Writable & { readonly columns?: number }, label: string, total: number) {
    this.#stream = stream
    this.#label = label
    this.#total = total
  }

  /** Seconds since the bar was created. */
  get elapsed(): number {
    return (performance.now() - this.#started) / 1000
  }

  update(done: number): void {
    const now = performance.now()
    if (now - this.#lastDraw < 100 && done < this.#total) return
    this.#lastDraw = now
    const text = renderProgress(this.#label, done, this.#total, this.elapsed, this.#stream.columns ?? 80)
    this.#stream.write(`\r${text}\x1b[K`)
  }

  /** Clears the bar's line. */
  finish(): void {
    if (this.#lastDraw > 0) this.#stream.write('\r\x1b[K')
  }
}
