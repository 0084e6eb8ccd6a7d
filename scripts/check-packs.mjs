#!/usr/bin/env node
/**
 * The tarball check: what `npm publish` would ship must install and run in a blank npm
 * project. Builds every public package, packs each with `pnpm pack` (which writes real
 * versions in place of `workspace:*`), then, in a new temporary directory, `npm init -y`,
 * `npm install` of all the tarballs (their other dependencies come from the registry),
 * and runs a small program — a Kms on memory storage encrypts and decrypts, an envelope
 * round-trips, @strongroom/testing makes a ready key — and the packed `strongroom --version`.
 *
 *   node scripts/check-packs.mjs          # pnpm check:packs; exits non-zero on any failure
 */
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const PNPM = ['-y', 'pnpm@12.21.0']
/** Every public package, each after the packages it depends on (a build reads their dist/). */
const PACKAGES = [
  'packages/crypto', 'packages/core', 'packages/storage/level', 'packages/storage/memory', 'packages/storage/conformance',
  'packages/storage/postgres', 'packages/envelope', 'packages/facade', 'packages/aws', 'packages/aliyun', 'packages/desktop',
  'packages/testing', 'packages/cli',
]

function run(command, args, cwd) {
  console.log(`$ ${command} ${args.join(' ')}${cwd === ROOT ? '' : `   (in ${cwd})`}`)
  return execFileSync(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' })
}

const work = mkdtempSync(join(tmpdir(), 'strongroom-packs-'))
try {
  const tarballs = join(work, 'tarballs')
  for (const dir of PACKAGES) {
    const pkg = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8'))
    if (pkg.private) throw new Error(`${dir} is private`)
    for (const field of ['license', 'engines', 'publishConfig']) if (pkg[field] === undefined) throw new Error(`${pkg.name}: no "${field}" in package.json`)
    run('npx', [...PNPM, 'run', 'build'], join(ROOT, dir))
    run('npx', [...PNPM, 'pack', '--pack-destination', tarballs], join(ROOT, dir))
  }
  const files = readdirSync(tarballs).filter((f) => f.endsWith('.tgz')).map((f) => join(tarballs, f))
  for (const file of files) {
    const manifest = run('tar', ['-xOzf', file, 'package/package.json'], ROOT)
    if (manifest.includes('workspace:')) throw new Error(`${file} still depends on workspace:`)
    const listing = run('tar', ['-tzf', file], ROOT)
    if (!listing.includes('package/LICENSE')) throw new Error(`${file} has no LICENSE`)
  }

  const project = join(work, 'project')
  run('mkdir', ['-p', project], ROOT)
  run('npm', ['init', '-y'], project)
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...files], project)
  writeFileSync(join(project, 'check.mjs'), `
import assert from 'node:assert/strict'
import { Kms } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { Envelope } from '@strongroom/envelope'
import { createTestKms } from '@strongroom/testing'

const kms = await Kms.open({ storage: memoryStorage() })
const { keyMetadata } = await kms.createKey({ description: 'packed' })
const { ciphertextBlob } = await kms.encrypt({ keyId: keyMetadata.keyId, plaintext: new TextEncoder().encode('from the tarballs') })
assert.equal(new TextDecoder().decode((await kms.decrypt({ ciphertextBlob })).plaintext), 'from the tarballs')
const envelope = new Envelope({ kms })
const sealed = await envelope.seal(new Uint8Array(100_000).fill(7), { keyIds: [keyMetadata.keyId] })
assert.equal((await envelope.open(sealed)).plaintext.length, 100_000)
await kms.close()
const test = await createTestKms({ keys: { orders: {} } })
assert.equal((await test.kms.describeKey({ keyId: 'alias/orders' })).keyMetadata.keyId, test.keys.orders.keyId)
await test.close()
console.log('packed packages: encrypt, decrypt, envelope and createTestKms work')
`)
  process.stdout.write(run('node', ['check.mjs'], project))
  const version = run('npx', ['--no-install', 'strongroom', '--version'], project).trim()
  const expected = JSON.parse(readFileSync(join(ROOT, 'packages/cli/package.json'), 'utf8')).version
  if (version !== `strongroom ${expected}`) throw new Error(`packed strongroom --version printed "${version}"`)
  console.log(`packed command: ${version}`)
  console.log(`OK: ${files.length} tarballs install and run in a blank npm project`)
} finally {
  rmSync(work, { recursive: true, force: true })
}
