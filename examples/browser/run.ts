/**
 * The browser end-to-end test (`pnpm --filter @strongroom/examples test:browser`): bundles
 * page.ts with esbuild for the browser (as an app's build would, no Node polyfills), serves
 * it over HTTP, and drives it in headless Chromium with playwright-core: first visit
 * (create a keystore in IndexedDB, a key, encrypt, seal a Blob), a page reload, then
 * decrypt and open from the persisted keystore. Then it times the same operations in the
 * page and in Node and prints the README's table. Exits non-zero on any failure; prints
 * SKIPPED and exits 0 when no Chromium is installed.
 *
 * Options: STRONGROOM_CHROMIUM (default /usr/bin/chromium), STRONGROOM_BENCH_SCALE
 * (default 1; iterations multiply by it).
 */
import assert from 'node:assert/strict'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ClassicLevel } from 'classic-level'
import { build } from 'esbuild'
import { chromium } from 'playwright-core'
import { Kms, passphraseRootKey, type CryptoProvider } from '@strongroom/core'
import { nodeCryptoProvider } from '@strongroom/crypto/node'
import { nobleCryptoProvider } from '@strongroom/crypto/noble'
import { levelStorage } from '@strongroom/storage-level'
import { benchmarkKeystore, type BenchRow } from './benchmark.js'

const here = path.dirname(fileURLToPath(import.meta.url))
const executablePath = process.env['STRONGROOM_CHROMIUM'] ?? '/usr/bin/chromium'
const scale = Number(process.env['STRONGROOM_BENCH_SCALE'] ?? '1')

if (!fs.existsSync(executablePath)) {
  console.log(`\n*** SKIPPED browser tests: no Chromium at ${executablePath} (Debian: apt-get install chromium) ***\n`)
  process.exit(0)
}

// ---- the bundle, as a browser app would get it
const bundle = await build({
  entryPoints: [path.join(here, 'page.ts')], bundle: true, format: 'esm', platform: 'browser', target: 'chrome120',
  conditions: ['source'], write: false, minify: true, logLevel: 'warning',
})
const script = bundle.outputFiles[0]!.contents
assert.ok(!/["']node:/.test(new TextDecoder().decode(script)), 'the browser bundle references a node: module')
console.log(`bundle: ${(script.length / 1024).toFixed(0)} KiB minified`)

const server = http.createServer((request, response) => {
  if (request.url === '/app.js') {
    response.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
  } else {
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><meta charset="utf-8"><title>loading</title><script type="module" src="/app.js"></script>')
  }
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}/`
const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-chromium-'))
const browser = await chromium.launchPersistentContext(profile, {
  executablePath, headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
})

type PageApi = { strongroom: Record<string, (...args: never[]) => Promise<Record<string, unknown>>> }
try {
  const page = browser.pages()[0] ?? await browser.newPage()
  const errors: string[] = []
  page.on('pageerror', (error) => errors.push(error.message))
  const ready = async (): Promise<void> => {
    await page.waitForFunction(() => (globalThis as unknown as { document: { title: string } }).document.title === 'strongroom ready', undefined, { timeout: 60_000 })
  }

  await page.goto(origin)
  await ready()
  const first = await page.evaluate(() => (globalThis as unknown as PageApi).strongroom['firstVisit']!())
  assert.equal(first['provider'], 'noble', 'the browser bundle uses the pure-JS provider')
  assert.ok((first['sealedLength'] as number) > (first['documentLength'] as number))
  assert.equal(first['signatureVerifies'], true)
  assert.equal(first['macVerifies'], true)
  assert.equal(first['rsa'], 'Rejected.UnsupportedOperation', 'RSA keys are refused in the browser (no synchronous RSA there)')

  await page.reload()
  await ready()
  const second = await page.evaluate(
    ([blob, sealed]) => (globalThis as unknown as PageApi).strongroom['afterReload']!(blob as never, sealed as never),
    [first['ciphertextBlob'], first['sealed']] as const)
  assert.deepEqual(second, {
    wrongPassphrase: 'RootKeyMismatch', keys: 3, alias: first['keyId'], note: 'hello from a web page', documentOpened: true, tamperedBlob: 'InvalidCiphertext',
  })
  assert.deepEqual(errors, [])
  console.log('browser: keystore on IndexedDB created, reloaded, decrypted; Blob sealed and opened through web streams; tampering and a wrong passphrase refused')

  // ---- timings: the page, then Node with both providers, same code
  const inPage = await page.evaluate((s) => (globalThis as unknown as PageApi).strongroom['bench']!(s as never), scale) as unknown as BenchRow[]
  const inNode = async (crypto: CryptoProvider): Promise<BenchRow[]> => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-bench-'))
    const kms = await Kms.open({ storage: levelStorage(new ClassicLevel(dir)), crypto, rootKey: passphraseRootKey('bench', { N: 2 ** 14 }) })
    try {
      return await benchmarkKeystore(kms, crypto, scale)
    } finally {
      await kms.close()
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
  const node = await inNode(nodeCryptoProvider())
  const noble = await inNode(nobleCryptoProvider())
  const format = (us: number): string => (us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${us.toFixed(us < 10 ? 1 : 0)} µs`)
  console.log(`\nChromium ${browser.browser()?.version() ?? ''} (headless) vs Node ${process.version}, per operation:\n`)
  console.log('| operation | browser (noble, IndexedDB) | Node (node:crypto, LevelDB) | Node (noble, LevelDB) | browser ÷ Node |')
  console.log('|---|---:|---:|---:|---:|')
  inPage.forEach((row, i) => {
    const n = node[i]!
    console.log(`| ${row.operation} | ${format(row.microsPerOp)} | ${format(n.microsPerOp)} | ${format(noble[i]!.microsPerOp)} | ${(row.microsPerOp / n.microsPerOp).toFixed(1)}× |`)
  })
} finally {
  await browser.close()
  server.close()
  fs.rmSync(profile, { recursive: true, force: true })
}
