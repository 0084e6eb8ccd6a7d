/**
 * The default provider for this runtime, chosen at module resolution time, not at run time.
 *
 * ```ts
 * import { defaultCryptoProvider } from '@strongroom/crypto'
 * defaultCryptoProvider().name  // 'node' on Node, 'noble' in a browser bundle
 * ```
 *
 * Why resolution time: `#platform-provider` is a package.json subpath import (Node
 * "imports" field) with a `node` condition mapping to platform-node.ts and a `default`
 * mapping to platform-noble.ts. Node, Bun, Deno, tsx, vitest and server bundlers match
 * `node`; browser bundlers do not, so they never see `node:crypto`. A run-time check
 * (`process.versions.node`) would need a static import of both, dragging `node:crypto`
 * into browser bundles, or a dynamic import, making this function asynchronous.
 */
import { platformCryptoProvider } from '#platform-provider'
import type { CryptoProvider } from './contract.js'

let cached: CryptoProvider | undefined

/** The node:crypto provider on Node-compatible runtimes, the pure-JS provider elsewhere. One per process. */
export function defaultCryptoProvider(): CryptoProvider {
  cached ??= platformCryptoProvider()
  return cached
}
