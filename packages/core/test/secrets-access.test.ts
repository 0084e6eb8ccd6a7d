/**
 * Secrets (issue 17): least privilege on `acs:kms:<region>:<account>:secret/<name>` with tag
 * conditions, audit records that never carry a value (a scan of the export, the events and
 * the errors for the secret's bytes), and rotation with a user function — stages move only
 * when it succeeds, failures are audited, automatic rotation is due by the injected clock.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { DAY_MS, Kms, ManualClock, seededRandom, type KmsOptions, type SecretRotationFunction } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { rejectsWith } from './helpers.js'

const START = '2026-01-01T00:00:00Z'
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function open(options: Partial<KmsOptions> = {}): Promise<{ kms: Kms; clock: ManualClock }> {
  const clock = new ManualClock(START)
  const kms = await Kms.open({
    storage: memoryStorage(), random: seededRandom(new Uint8Array(32).fill(5)), clock,
    audit: { flushIntervalMs: 60_000, encryptionContext: 'plain' }, ...options,
  })
  cleanups.push(() => kms.close())
  return { kms, clock }
}

const doc = (...Statement: Record<string, unknown>[]) => ({ Version: '1', Statement })
const allow = (Action: string | string[], Resource: string | string[], Condition?: Record<string, unknown>) =>
  ({ Effect: 'Allow', Action, Resource, ...(Condition === undefined ? {} : { Condition }) })

async function grant(kms: Kms, principal: string, document: ReturnType<typeof doc>): Promise<void> {
  await kms.createPolicy({ policyName: `${principal}-policy`, policyDocument: document })
  await kms.attachPolicy({ policyName: `${principal}-policy`, principal })
}

describe('secrets: least privilege', () => {
  it('authorizes each read and write on the secret resource name, with tag conditions', async () => {
    const { kms } = await open()
    await kms.createSecret({ secretName: 'app/db', versionId: 'v1', secretData: 'db-pass', tags: [{ tagKey: 'team', tagValue: 'app' }] })
    await kms.createSecret({ secretName: 'ops/root', versionId: 'v1', secretData: 'root-pass', tags: [{ tagKey: 'team', tagValue: 'ops' }] })
    await grant(kms, 'app', doc(
      allow('kms:GetSecretValue', 'acs:kms:local:000000000000:secret/app/*'),
      allow(['kms:DescribeSecret', 'kms:PutSecretValue'], '*', { StringEquals: { 'kms:tag/team': 'app' } }),
    ))
    const app = kms.as('app')
    expect((await app.getSecretValue({ secretName: 'app/db' })).secretData).toBe('db-pass')
    expect((await app.describeSecret({ secretName: 'app/db' })).secretName).toBe('app/db')
    await app.putSecretValue({ secretName: 'app/db', versionId: 'v2', secretData: 'db-pass-2' })
    const denied = await rejectsWith(app.getSecretValue({ secretName: 'ops/root' }), 'Forbidden.NoPermission')
    expect(denied.message).toBe('app is not allowed to perform kms:GetSecretValue on ops/root')
    await rejectsWith(app.describeSecret({ secretName: 'ops/root' }), 'Forbidden.NoPermission')
    await rejectsWith(app.putSecretValue({ secretName: 'ops/root', versionId: 'v2', secretData: 'x' }), 'Forbidden.NoPermission')
    await rejectsWith(app.deleteSecret({ secretName: 'app/db' }), 'Forbidden.NoPermission')
    await rejectsWith(app.listSecrets(), 'Forbidden.NoPermission')
    // Whether a secret exists is told only to those who may act on it.
    await rejectsWith(app.getSecretValue({ secretName: 'ops/nothing' }), 'Forbidden.NoPermission')
    await rejectsWith(app.getSecretValue({ secretName: 'app/nothing' }), 'Forbidden.ResourceNotFound')
  })

  it('needs kms:Decrypt / kms:GenerateDataKey on a master key the caller chose, not on the default one', async () => {
    const { kms } = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    await kms.createSecret({ secretName: 'own-key', versionId: 'v1', secretData: 'x', encryptionKeyId: keyId })
    await kms.createSecret({ secretName: 'default-key', versionId: 'v1', secretData: 'y' })
    await grant(kms, 'bob', doc(allow(['kms:GetSecretValue', 'kms:PutSecretValue', 'kms:CreateSecret'], 'acs:kms:local:000000000000:secret/*')))
    const bob = kms.as('bob')
    expect((await bob.getSecretValue({ secretName: 'default-key' })).secretData).toBe('y')
    const denied = await rejectsWith(bob.getSecretValue({ secretName: 'own-key' }), 'Forbidden.NoPermission')
    expect(denied.message).toContain('kms:Decrypt')
    await rejectsWith(bob.putSecretValue({ secretName: 'own-key', versionId: 'v2', secretData: 'z' }), 'Forbidden.NoPermission')
    await rejectsWith(bob.createSecret({ secretName: 'new', versionId: 'v1', secretData: 'z', encryptionKeyId: keyId }), 'Forbidden.NoPermission')
    await kms.updatePolicy({ policyName: 'bob-policy', policyDocument: doc(
      allow(['kms:GetSecretValue', 'kms:PutSecretValue', 'kms:CreateSecret'], 'acs:kms:local:000000000000:secret/*'),
      allow(['kms:Decrypt', 'kms:GenerateDataKey'], `acs:kms:local:000000000000:key/${keyId}`),
    ) })
    expect((await bob.getSecretValue({ secretName: 'own-key' })).secretData).toBe('x')
    await bob.createSecret({ secretName: 'new', versionId: 'v1', secretData: 'z', encryptionKeyId: keyId })
  })
})

describe('secrets: audit', () => {
  it('records every call by the secret resource name and version, and no value anywhere', async () => {
    const { kms } = await open({ secretRotation: async () => 'ROTATED-CANARY-3c1d' })
    const text = 'TEXT-CANARY-9f2e7a'
    const binary = new TextEncoder().encode('BINARY-CANARY-51b0')
    const seen: unknown[] = []
    for (const name of ['secretChanged', 'audit', 'keyCreated', 'keyUpdated'] as const) kms.events.on(name, (e: unknown) => seen.push(e))
    const errors: unknown[] = []
    const attempt = (p: Promise<unknown>) => p.catch((e: unknown) => errors.push(e))
    await kms.createSecret({ secretName: 'canary', versionId: 'v1', secretData: text })
    await kms.putSecretValue({ secretName: 'canary', versionId: 'v2', secretData: binary })
    await kms.getSecretValue({ secretName: 'canary', versionId: 'v1' })
    await kms.getSecretValue({ secretName: 'canary' })
    await attempt(kms.putSecretValue({ secretName: 'canary', versionId: 'v1', secretData: `${text}-changed` }))
    await attempt(kms.createSecret({ secretName: 'canary', versionId: 'v1', secretData: text }))
    await attempt(kms.createSecret({ secretName: 'too big', versionId: 'v1', secretData: text }))
    await kms.rotateSecret({ secretName: 'canary', versionId: 'v3' })
    await kms.as('nobody').getSecretValue({ secretName: 'canary' }).catch((e: unknown) => errors.push(e))
    let exported = ''
    for await (const line of kms.audit.export()) exported += line
    const records = exported.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>)
    const arn = 'acs:kms:local:000000000000:secret/canary'
    const secretRecords = records.filter((r) => r.keyId === arn)
    expect(secretRecords.map((r) => [r.eventName, r.keyVersionId, r.errorCode ?? 'ok'])).toEqual([
      ['CreateSecret', 'v1', 'ok'], ['PutSecretValue', 'v2', 'ok'], ['GetSecretValue', 'v1', 'ok'], ['GetSecretValue', 'v2', 'ok'],
      ['PutSecretValue', 'v1', 'AlreadyExists'], ['CreateSecret', 'v1', 'AlreadyExists'], ['RotateSecret', 'v3', 'ok'],
      ['GetSecretValue', undefined, 'Forbidden.NoPermission'],
    ])
    expect(errors).toHaveLength(4)
    const haystack = [exported, JSON.stringify(seen), ...errors.map((e) => `${String(e)} ${JSON.stringify(e)} ${(e as Error).stack}`)].join('\n')
    for (const canary of [text, 'BINARY-CANARY-51b0', Buffer.from(binary).toString('base64'), 'ROTATED-CANARY-3c1d']) {
      expect(haystack).not.toContain(canary)
    }
    expect(seen.length).toBeGreaterThan(5)
  })
})

describe('secrets: rotation', () => {
  it('rotates with the function the engine was opened with; stages move only when it succeeds', async () => {
    let fail = false
    const inputs: string[] = []
    const secretRotation: SecretRotationFunction = async ({ secretName, current, versionId, trigger }) => {
      inputs.push(`${secretName}:${current.versionId}->${versionId}:${trigger}`)
      if (fail) throw new Error('the database refused the new password')
      return `${current.secretData as string}+`
    }
    const { kms } = await open({ secretRotation })
    await kms.createSecret({ secretName: 'db', versionId: 'v1', secretData: 'p' })
    const rotated = await kms.rotateSecret({ secretName: 'db', versionId: 'v2' })
    expect(rotated).toMatchObject({ secretName: 'db', versionId: 'v2', arn: 'acs:kms:local:000000000000:secret/db' })
    expect((await kms.getSecretValue({ secretName: 'db' })).secretData).toBe('p+')
    expect((await kms.getSecretValue({ secretName: 'db', versionStage: 'ACSPrevious' })).secretData).toBe('p')
    expect((await kms.describeSecret({ secretName: 'db' })).lastRotationDate).toBe('2026-01-01T00:00:00Z')
    fail = true
    const error = await rejectsWith(kms.rotateSecret({ secretName: 'db', versionId: 'v3' }), 'RotationFailed')
    expect((error.cause as Error).message).toBe('the database refused the new password')
    const current = await kms.getSecretValue({ secretName: 'db' })
    expect([current.versionId, current.secretData]).toEqual(['v2', 'p+'])
    expect((await kms.listSecretVersionIds({ secretName: 'db', includeDeprecated: true })).versionIds.map((v) => v.versionId)).toEqual(['v2', 'v1'])
    const { records } = await kms.audit.query({ action: 'RotateSecret' })
    expect(records.map((r) => r.errorCode ?? 'ok')).toEqual(['ok', 'RotationFailed'])
    expect(inputs).toEqual(['db:v1->v2:manual', 'db:v2->v3:manual'])
    await rejectsWith(kms.rotateSecret({ secretName: 'db', versionId: 'v1' }), 'AlreadyExists')
  })

  it('refuses to rotate without a function, and refuses what a function returns that is not a value', async () => {
    const { kms } = await open()
    await kms.createSecret({ secretName: 'db', versionId: 'v1', secretData: 'p' })
    await rejectsWith(kms.rotateSecret({ secretName: 'db' }), 'Rejected.UnsupportedOperation')
    const { kms: bad } = await open({ secretRotation: async () => '' })
    await bad.createSecret({ secretName: 'db', versionId: 'v1', secretData: 'p' })
    await rejectsWith(bad.rotateSecret({ secretName: 'db' }), 'RotationFailed')
    expect((await bad.getSecretValue({ secretName: 'db' })).versionId).toBe('v1')
  })

  it('rotates automatically in maintenance() when the interval has passed by the injected clock, and retries a failure', async () => {
    let fail = true
    const { kms, clock } = await open({ secretRotation: async ({ current }) => (fail ? Promise.reject(new Error('down')) : `${current.secretData as string}!`) })
    await kms.createSecret({ secretName: 'auto', versionId: 'v1', secretData: 'a', enableAutomaticRotation: true, rotationInterval: '1d' })
    await kms.createSecret({ secretName: 'manual', versionId: 'v1', secretData: 'm' })
    await rejectsWith(kms.updateSecretRotationPolicy({ secretName: 'manual', enableAutomaticRotation: true, rotationInterval: '5h' }), 'InvalidParameter')
    await rejectsWith(kms.updateSecretRotationPolicy({ secretName: 'manual', enableAutomaticRotation: true, rotationInterval: '366d' }), 'InvalidParameter')
    expect((await kms.describeSecret({ secretName: 'auto' })).nextRotationDate).toBe('2026-01-02T00:00:00Z')
    clock.advance(DAY_MS - 1)
    expect((await kms.maintenance()).secrets).toBeUndefined()
    clock.advance(1)
    expect((await kms.maintenance()).secrets).toEqual({ purged: [], rotated: [], rotationFailed: ['auto'] })
    expect((await kms.getSecretValue({ secretName: 'auto' })).secretData).toBe('a')
    fail = false
    expect((await kms.maintenance()).secrets).toEqual({ purged: [], rotated: ['auto'], rotationFailed: [] })
    expect((await kms.getSecretValue({ secretName: 'auto' })).secretData).toBe('a!')
    expect((await kms.describeSecret({ secretName: 'auto' })).nextRotationDate).toBe('2026-01-03T00:00:00Z')
    expect((await kms.maintenance()).secrets).toBeUndefined()
    const { records } = await kms.audit.query({ action: 'RotateSecret' })
    expect(records.map((r) => [r.principal, r.errorCode ?? 'ok'])).toEqual([['system', 'RotationFailed'], ['system', 'ok']])
    await kms.updateSecretRotationPolicy({ secretName: 'auto', enableAutomaticRotation: false })
    clock.advance(30 * DAY_MS)
    expect((await kms.maintenance()).secrets).toBeUndefined()
  })
})
