/**
 * Target of the `#platform-provider` import everywhere else (browser and worker bundles),
 * so those bundles never reference `node:crypto`. See default.ts.
 */
export { nobleCryptoProvider as platformCryptoProvider } from './noble.js'
