/**
 * policy (create, attach, list, detach) and audit (verify, anchor, query, export), run in
 * process against a real LevelDB keystore.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PASSPHRASE, cli, newKeystoreDir, transcript } from './cli.js'

let keystore: string
let work: string
let keyId: string
beforeAll(async () => {
  keystore = newKeystoreDir()
  work = mkdtempSync(join(tmpdir(), 'strongroom-cli-admin-'))
  expect((await cli(keystore, ['init'])).status).toBe(0)
  keyId = (await cli(keystore, ['create-key', '--alias', 'alias/app', '--json'])).json<{ keyMetadata: { keyId: string } }>().keyMetadata.keyId
}, 60_000)
afterAll(() => {
  rmSync(dirname(keystore), { recursive: true, force: true })
  rmSync(work, { recursive: true, force: true })
  for (const text of transcript) expect(text).not.toContain(PASSPHRASE)
})

describe('policy', () => {
  it('create, attach, list (all and by principal), detach', async () => {
    writeFileSync(join(work, 'p.json'), JSON.stringify({ Version: '1', Statement: [{ Effect: 'Allow', Action: ['kms:Decrypt'], Resource: ['*'] }] }))
    const created = await cli(keystore, ['policy', 'create', 'app-decrypt', '--document', join(work, 'p.json'), '--description', 'web app', '--json'])
    expect(created.status, created.stderr).toBe(0)
    expect(created.json<{ policy: { policyName: string; description: string } }>().policy).toMatchObject({ policyName: 'app-decrypt', description: 'web app' })
    const dup = await cli(keystore, ['policy', 'create', 'app-decrypt', '--document', join(work, 'p.json')])
    expect(dup.status).toBe(1)
    expect(dup.stderr).toMatch(/AlreadyExists/)
    writeFileSync(join(work, 'bad.json'), '{"Statement": "nope"')
    const bad = await cli(keystore, ['policy', 'create', 'broken', '--document', join(work, 'bad.json')])
    expect(bad.status).toBe(1)
    expect(bad.stderr).toMatch(/InvalidParameter/)

    expect((await cli(keystore, ['policy', 'attach', 'app-decrypt', 'web'])).out).toBe('Attached app-decrypt to web\n')
    const all = await cli(keystore, ['policy', 'list'])
    expect(all.out).toMatch(/^POLICY +UPDATED +DESCRIPTION\napp-decrypt +\S+ +web app\n$/)
    const forWeb = await cli(keystore, ['policy', 'list', '--principal', 'web', '--json'])
    expect(forWeb.json<{ policies: { policyName: string }[] }>().policies.map((p) => p.policyName)).toEqual(['app-decrypt'])
    expect((await cli(keystore, ['policy', 'detach', 'app-decrypt', 'web', '--json'])).json()).toEqual({ policyName: 'app-decrypt', principal: 'web' })
    expect((await cli(keystore, ['policy', 'list', '--principal', 'web'])).out).toBe('No policies attached to web\n')
    const missing = await cli(keystore, ['policy', 'attach', 'nope', 'web'])
    expect(missing.stderr).toMatch(/Forbidden\.PolicyNotFound/)
    const usage = await cli(keystore, ['policy', 'attach', 'app-decrypt'])
    expect([usage.status, usage.stderr]).toEqual([2, 'strongroom: missing PRINCIPAL (who the policy applies to)\n'])
  })
})

describe('audit', () => {
  it('the trail of the commands verifies, against an anchor too; query filters; export is JSON lines', async () => {
    await cli(keystore, ['encrypt', '--key', 'alias/app'], { input: 'audited' })
    const anchor = await cli(keystore, ['audit', 'anchor', '--json'])
    const { seq } = anchor.json<{ seq: number; hash: string }>()
    expect(seq).toBeGreaterThan(2)
    writeFileSync(join(work, 'anchor.json'), anchor.out)
    const verified = await cli(keystore, ['audit', 'verify', '--anchor', join(work, 'anchor.json'), '--json'])
    expect(verified.status, verified.stderr).toBe(0)
    expect(verified.json()).toMatchObject({ ok: true, firstSeq: 1 })
    expect((await cli(keystore, ['audit', 'verify'])).out).toMatch(/^The audit trail verifies: \d+ records/)

    const encrypts = await cli(keystore, ['audit', 'query', '--action', 'Encrypt', '--key', keyId, '--json'])
    const records = encrypts.json<{ records: { eventName: string; keyId: string; principal: string }[] }>().records
    expect(records.length).toBeGreaterThan(0)
    expect(records.every((r) => r.eventName === 'Encrypt' && r.keyId === keyId && r.principal === 'root')).toBe(true)
    const table = await cli(keystore, ['audit', 'query', '--limit', '2'])
    expect(table.out).toMatch(/^CHAIN +SEQ +TIME +PRINCIPAL +ACTION +RESULT +KEY ID\n[0-9a-f]{16} +\d+ /)
    expect(table.out).toMatch(/\(more: --cursor \S+\)\n$/)
    expect((await cli(keystore, ['audit', 'query', '--from', 'yesterday-ish'])).status).toBe(2)

    const exported = await cli(keystore, ['audit', 'export', '--action', 'CreateKey'])
    const lines = exported.out.trimEnd().split('\n').map((l) => JSON.parse(l) as { eventName: string; keyId: string })
    expect(lines.map((l) => [l.eventName, l.keyId])).toEqual([['CreateKey', keyId]])

    // An anchor from a different chain position with a wrong hash is caught.
    writeFileSync(join(work, 'forged.json'), JSON.stringify({ seq, hash: '0'.repeat(64) }))
    const forged = await cli(keystore, ['audit', 'verify', '--anchor', join(work, 'forged.json')])
    expect(forged.status).toBe(1)
    expect(forged.stderr).toMatch(/\(AuditTampered\)\n$/)
    // The anchor names every chain (one per command line that wrote): one said to reach further than it does is a rollback.
    const kept = anchor.json<{ chains: Record<string, { seq: number; hash: string }> }>()
    const [chain, end] = Object.entries(kept.chains)[0]!
    writeFileSync(join(work, 'ahead.json'), JSON.stringify({ ...kept, chains: { ...kept.chains, [chain]: { seq: end.seq + 5, hash: end.hash } } }))
    const ahead = await cli(keystore, ['audit', 'verify', '--anchor', join(work, 'ahead.json')])
    expect(ahead.status).toBe(1)
    expect(ahead.stderr).toMatch(new RegExp(`chain ${chain}: the trail was rolled back`))
  })
})
