/**
 * Grants in the engine's own API: a grant lets its grantee do what no policy allows (but
 * never what a policy denies), its encryption-context constraint is enforced, retiring or
 * revoking it stops it at once, its token is accepted (and a forged one refused), the audit
 * record names the grant, a retry by name makes no second grant, and a purged key takes its
 * grants with it.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { MemoryLevel } from 'memory-level'
import { Kms, ManualClock, rawRootKey, seededRandom, DAY_MS } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { rejectsWith, utf8 } from './helpers.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function open(clock = new ManualClock('2026-01-01T00:00:00Z')): Promise<Kms> {
  const kms = await Kms.open({ storage: memoryStorage(), random: seededRandom(new Uint8Array(32).fill(5)), clock, audit: { flushIntervalMs: 60_000 } })
  cleanups.push(() => kms.close())
  return kms
}

async function setup(clock?: ManualClock): Promise<{ kms: Kms; keyId: string; blob: Uint8Array }> {
  const kms = await open(clock)
  const { keyId } = (await kms.createKey()).keyMetadata
  const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: utf8('secret'), encryptionContext: { tenant: 'acme' } })
  return { kms, keyId, blob: ciphertextBlob }
}

describe('grants', () => {
  it('allow a call no policy allows, name the grant in the audit trail, and stop when revoked', async () => {
    const { kms, keyId, blob } = await setup()
    const alice = kms.as('alice')
    await rejectsWith(alice.decrypt({ ciphertextBlob: blob, encryptionContext: { tenant: 'acme' } }), 'Forbidden.NoPermission')
    const { grantId, grantToken } = await kms.createGrant({ keyId, granteePrincipal: 'alice', operations: ['Decrypt'] })
    expect(grantId).toMatch(/^[0-9a-f]{64}$/)
    expect(grantToken.length).toBeGreaterThan(40)
    const { plaintext } = await alice.decrypt({ ciphertextBlob: blob, encryptionContext: { tenant: 'acme' } })
    expect(new TextDecoder().decode(plaintext)).toBe('secret')
    // Only the granted operation.
    await rejectsWith(alice.encrypt({ keyId, plaintext: utf8('x') }), 'Forbidden.NoPermission')
    // Only the grantee.
    await rejectsWith(kms.as('bob').decrypt({ ciphertextBlob: blob, encryptionContext: { tenant: 'acme' } }), 'Forbidden.NoPermission')
    await kms.revokeGrant({ keyId, grantId })
    await rejectsWith(alice.decrypt({ ciphertextBlob: blob, encryptionContext: { tenant: 'acme' } }), 'Forbidden.NoPermission')
    await kms.audit.flush()
    const records = (await kms.audit.query({ principal: 'alice', action: 'Decrypt' })).records
    expect(records.map((r) => [r.result, r.grantId ?? null])).toEqual([
      ['Failure', null], ['Success', grantId], ['Failure', null],
    ])
    const revoke = (await kms.audit.query({ action: 'RevokeGrant' })).records
    expect(revoke).toHaveLength(1)
    expect((await kms.audit.verify()).ok).toBe(true)
    // Grant records are sealed and counted like every other record.
    await kms.createGrant({ keyId, granteePrincipal: 'carol', operations: ['Encrypt'] })
    expect((await kms.verify()).ok).toBe(true)
  })

  it('never override an explicit deny', async () => {
    const { kms, keyId, blob } = await setup()
    await kms.createGrant({ keyId, granteePrincipal: 'alice', operations: ['Decrypt'] })
    await kms.createPolicy({ policyName: 'no-decrypt', policyDocument: { Version: '1', Statement: [{ Effect: 'Deny', Action: 'kms:Decrypt', Resource: '*' }] } })
    await kms.attachPolicy({ policyName: 'no-decrypt', principal: 'alice' })
    await rejectsWith(kms.as('alice').decrypt({ ciphertextBlob: blob, encryptionContext: { tenant: 'acme' } }), 'Forbidden.NoPermission')
  })

  it('enforce their encryption-context constraints (subset and equals)', async () => {
    const { kms, keyId } = await setup()
    await kms.createGrant({ keyId, granteePrincipal: 'alice', operations: ['Encrypt'], constraints: { encryptionContextSubset: { tenant: 'acme' } } })
    await kms.createGrant({ keyId, granteePrincipal: 'bob', operations: ['Encrypt'], constraints: { encryptionContextEquals: { tenant: 'acme' } } })
    const alice = kms.as('alice')
    const bob = kms.as('bob')
    await alice.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { tenant: 'acme', extra: '1' } })
    await rejectsWith(alice.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { tenant: 'globex' } }), 'Forbidden.NoPermission')
    await rejectsWith(alice.encrypt({ keyId, plaintext: utf8('x') }), 'Forbidden.NoPermission')
    await bob.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { tenant: 'acme' } })
    await rejectsWith(bob.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: { tenant: 'acme', extra: '1' } }), 'Forbidden.NoPermission')
    // A constraint cannot govern an operation without an encryption context, nor can both kinds be given.
    await rejectsWith(kms.createGrant({ keyId, granteePrincipal: 'alice', operations: ['Sign'], constraints: { encryptionContextSubset: { a: 'b' } } }), 'InvalidParameter')
    await rejectsWith(kms.createGrant({
      keyId, granteePrincipal: 'alice', operations: ['Encrypt'], constraints: { encryptionContextSubset: { a: 'b' }, encryptionContextEquals: { a: 'b' } },
    }), 'InvalidParameter')
  })

  it('are retired by their token, by the retiring principal, or by a grantee holding RetireGrant — and by no one else', async () => {
    const { kms, keyId, blob } = await setup()
    const first = await kms.createGrant({ keyId, granteePrincipal: 'alice', retiringPrincipal: 'ops', operations: ['Decrypt'] })
    await rejectsWith(kms.as('mallory').retireGrant({ keyId, grantId: first.grantId }), 'Forbidden.NoPermission')
    await rejectsWith(kms.as('alice').retireGrant({ keyId, grantId: first.grantId }), 'Forbidden.NoPermission')
    await kms.as('ops').retireGrant({ keyId, grantId: first.grantId })
    await rejectsWith(kms.as('alice').decrypt({ ciphertextBlob: blob, encryptionContext: { tenant: 'acme' } }), 'Forbidden.NoPermission')
    await rejectsWith(kms.retireGrant({ keyId, grantId: first.grantId }), 'Forbidden.GrantNotFound')

    const second = await kms.createGrant({ keyId, granteePrincipal: 'alice', operations: ['Decrypt', 'RetireGrant'] })
    await kms.as('alice').retireGrant({ grantToken: second.grantToken })
    expect((await kms.listGrants({ keyId })).grants).toEqual([])
    await rejectsWith(kms.retireGrant({ keyId, grantId: 'not-a-grant-id' }), 'InvalidGrantId')
  })

  it('accept their token at once and refuse a forged one', async () => {
    const { kms, keyId, blob } = await setup()
    const { grantToken } = await kms.createGrant({ keyId, granteePrincipal: 'alice', operations: ['Decrypt'] })
    await kms.as('alice').decrypt({ ciphertextBlob: blob, encryptionContext: { tenant: 'acme' }, grantTokens: [grantToken] })
    const forged = grantToken.slice(0, -4) + (grantToken.endsWith('AAA=') ? 'BBB=' : 'AAA=')
    await rejectsWith(kms.decrypt({ ciphertextBlob: blob, encryptionContext: { tenant: 'acme' }, grantTokens: [forged] }), 'InvalidGrantToken')
    await rejectsWith(kms.decrypt({ ciphertextBlob: blob, encryptionContext: { tenant: 'acme' }, grantTokens: Array(11).fill(grantToken) }), 'LimitExceeded')
  })

  it('are idempotent by name, listed with filters and pages, and go when their key is purged', async () => {
    const clock = new ManualClock('2026-01-01T00:00:00Z')
    const { kms, keyId } = await setup(clock)
    const a = await kms.createGrant({ keyId, granteePrincipal: 'alice', operations: ['Decrypt'], name: 'nightly' })
    const again = await kms.createGrant({ keyId, granteePrincipal: 'alice', operations: ['Decrypt'], name: 'nightly' })
    expect(again.grantId).toBe(a.grantId)
    const different = await kms.createGrant({ keyId, granteePrincipal: 'alice', operations: ['Encrypt'], name: 'nightly' })
    expect(different.grantId).not.toBe(a.grantId)
    await kms.createGrant({ keyId, granteePrincipal: 'bob', retiringPrincipal: 'ops', operations: ['Encrypt'] })
    expect((await kms.listGrants({ keyId })).grants).toHaveLength(3)
    expect((await kms.listGrants({ keyId, granteePrincipal: 'bob' })).grants.map((g) => g.retiringPrincipal)).toEqual(['ops'])
    expect((await kms.listGrants({ keyId, grantId: a.grantId })).grants).toMatchObject([{ name: 'nightly', operations: ['Decrypt'], issuingPrincipal: 'root' }])
    const first = await kms.listGrants({ keyId, limit: 2 })
    expect(first.grants).toHaveLength(2)
    const rest = await kms.listGrants({ keyId, limit: 2, cursor: first.nextCursor! })
    expect(rest.grants).toHaveLength(1)
    expect(rest.nextCursor).toBeUndefined()
    expect(new Set([...first.grants, ...rest.grants].map((g) => g.grantId)).size).toBe(3)
    expect((await kms.listRetirableGrants({ retiringPrincipal: 'ops' })).grants).toHaveLength(1)

    await kms.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })
    await rejectsWith(kms.createGrant({ keyId, granteePrincipal: 'alice', operations: ['Decrypt'] }), 'Rejected.InvalidState')
    clock.advance(8 * DAY_MS)
    await kms.maintenance()
    expect((await kms.listRetirableGrants({ retiringPrincipal: 'ops' })).grants).toEqual([])
  })

  it('with CreateGrant let the grantee pass on no more than it holds', async () => {
    const { kms, keyId } = await setup()
    await kms.createGrant({ keyId, granteePrincipal: 'alice', operations: ['Decrypt', 'CreateGrant'] })
    const alice = kms.as('alice')
    await alice.createGrant({ keyId, granteePrincipal: 'bob', operations: ['Decrypt'] })
    await rejectsWith(alice.createGrant({ keyId, granteePrincipal: 'bob', operations: ['Encrypt'] }), 'Forbidden.NoPermission')
  })

  it('match IAM ARNs of the account to engine principals', async () => {
    const { kms, keyId, blob } = await setup()
    await kms.createGrant({ keyId, granteePrincipal: `arn:aws:iam::${kms.accountId}:role/app/alice`, operations: ['Decrypt'] })
    await kms.as('alice').decrypt({ ciphertextBlob: blob, encryptionContext: { tenant: 'acme' } })
    await kms.createGrant({ keyId, granteePrincipal: 'arn:aws:iam::999999999999:user/bob', operations: ['Decrypt'] })
    await rejectsWith(kms.as('bob').decrypt({ ciphertextBlob: blob, encryptionContext: { tenant: 'acme' } }), 'Forbidden.NoPermission')
  })

  it('revoked in one engine stop in another sharing the store at once; tokens hold across engines and restarts', async () => {
    const db = new MemoryLevel()
    cleanups.push(() => db.close())
    const root = new Uint8Array(32).fill(4)
    const openOn = async (): Promise<Kms> => {
      const kms = await Kms.open({ storage: memoryStorage(db, { closeDatabase: false }), rootKey: rawRootKey(root), clock: new ManualClock('2026-01-01T00:00:00Z') })
      cleanups.push(() => kms.close())
      return kms
    }
    const a = await openOn()
    const b = await openOn()
    const { keyId } = (await a.createKey()).keyMetadata
    const { grantId, grantToken } = await a.createGrant({ keyId, granteePrincipal: 'alice', operations: ['Encrypt'] })
    await a.as('alice').encrypt({ keyId, plaintext: utf8('warm') }) // A has the key's grants cached now
    await b.as('alice').encrypt({ keyId, plaintext: utf8('x'), grantTokens: [grantToken] })
    await b.revokeGrant({ keyId, grantId })
    await rejectsWith(a.as('alice').encrypt({ keyId, plaintext: utf8('x') }), 'Forbidden.NoPermission')
    const second = await b.createGrant({ keyId, granteePrincipal: 'alice', operations: ['Encrypt'] })
    await a.close()
    const c = await openOn()
    await c.as('alice').encrypt({ keyId, plaintext: utf8('x'), grantTokens: [second.grantToken] })
    expect((await c.listGrants({ keyId })).grants.map((g) => g.grantId)).toEqual([second.grantId])
  })
})
