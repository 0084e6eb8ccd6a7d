/**
 * A small ratio harness for a shared, noisy machine: each case is measured against its
 * raw primitive in alternating rounds within the same run, and the reported ratio is the
 * median of the per-round ratios, so a burst of load from a neighbour hits both sides.
 *
 * ```ts
 * const r = await compare({ name: 'encrypt 1 KiB', baseline: rawEncrypt, candidate: () => kms.encrypt(req) })
 * console.log(r.ratio)
 * ```
 */

export interface Comparison {
  readonly name: string
  readonly baselineMicros: number
  readonly candidateMicros: number
  readonly ratio: number
}

export interface CompareOptions {
  readonly name: string
  /** The raw primitive. */
  readonly baseline: () => unknown
  /** The same work through Strongroom (may be async). */
  readonly candidate: () => unknown
  /** Operations per timed batch. */
  readonly batch?: number
  /** Alternating rounds (baseline batch, candidate batch). */
  readonly rounds?: number
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

async function timeBatch(fn: () => unknown, batch: number): Promise<number> {
  const start = process.hrtime.bigint()
  for (let i = 0; i < batch; i++) {
    const result = fn()
    if (result instanceof Promise) await result
  }
  return Number(process.hrtime.bigint() - start) / 1000 / batch
}

export async function compare(options: CompareOptions): Promise<Comparison> {
  const batch = options.batch ?? 2000
  const rounds = options.rounds ?? 15
  // Warm up both sides so the JIT has optimised them and the heap has grown to its working
  // size before timing (one batch is not enough for the first case of a run).
  for (let i = 0; i < 5; i++) {
    await timeBatch(options.baseline, batch)
    await timeBatch(options.candidate, batch)
  }
  const baseline: number[] = []
  const candidate: number[] = []
  const ratios: number[] = []
  for (let round = 0; round < rounds; round++) {
    const b = await timeBatch(options.baseline, batch)
    const c = await timeBatch(options.candidate, batch)
    baseline.push(b)
    candidate.push(c)
    ratios.push(c / b)
  }
  return { name: options.name, baselineMicros: median(baseline), candidateMicros: median(candidate), ratio: median(ratios) }
}

export function formatTable(rows: readonly (Comparison & { readonly target: number })[]): string {
  const lines = [
    '| case | raw µs/op | engine µs/op | engine ops/s | ratio | target |',
    '|---|---:|---:|---:|---:|---:|',
  ]
  for (const r of rows) {
    const verdict = r.ratio <= r.target ? '' : ' (over)'
    lines.push(
      `| ${r.name} | ${r.baselineMicros.toFixed(2)} | ${r.candidateMicros.toFixed(2)} | ` +
      `${Math.round(1e6 / r.candidateMicros).toLocaleString('en-US')} | ${r.ratio.toFixed(2)}×${verdict} | ≤ ${r.target}× |`,
    )
  }
  return lines.join('\n')
}
