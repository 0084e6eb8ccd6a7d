/**
 * Target of the `#platform-provider` import on runtimes that match the `node` condition
 * (Node, Bun, Deno, and bundlers targeting them). See default.ts.
 */
export { nodeCryptoProvider as platformCryptoProvider } from './node.js'
