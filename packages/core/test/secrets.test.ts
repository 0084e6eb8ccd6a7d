/**
 * Secrets (issue 17): the reference model's secrets operations in the engine — versions and
 * stages, text and binary values, envelope encryption bound to the secret and version,
 * recovery windows purged by maintenance(), tags, paging, and limits.
 * Least privilege, audit hygiene and rotation are in secrets-access.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { DAY_MS, Kms, ManualClock, rawRootKey, seededRandom, type StorageAdapter } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { rejectsWith } from './helpers.js'

const START = '2026-01-01T00:00:00Z'
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

async function open(options: { clock?: ManualClock; storage?: StorageAdapter } = {}): Promise<{ kms: Kms; clock: ManualClock }> {
  const clock = options.clock ?? new ManualClock(START)
  const kms = await Kms.open({
    storage: options.storage ?? memoryStorage(), rootKey: rawRootKey(new Uint8Array(32).fill(9)),
    random: seededRandom(new Uint8Array(32).fill(4)), clock, closeStorage: options.storage === undefined,
  })
  cleanups.push(() => kms.close())
  return { kms, clock }
}

describe('secrets', () => {
  it('creates a secret whose first version is ACSCurrent, and reads it back', async () => {
    const { kms } = await open()
    const created = await kms.createSecret({ secretName: 'db/password', versionId: 'v1', secretData: 'hunter2', description: 'orders db' })
    expect(created).toMatchObject({ arn: 'acs:kms:local:000000000000:secret/db/password', secretName: 'db/password', versionId: 'v1', secretType: 'Generic', automaticRotation: 'Disabled' })
    const value = await kms.getSecretValue({ secretName: 'db/password' })
    expect(value).toMatchObject({ secretData: 'hunter2', secretDataType: 'text', versionId: 'v1', versionStages: ['ACSCurrent'], createTime: '2026-01-01T00:00:00Z' })
    // The resource name is accepted wherever a name is.
    expect((await kms.getSecretValue({ secretName: created.arn })).secretData).toBe('hunter2')
    const described = await kms.describeSecret({ secretName: 'db/password' })
    expect(described).toMatchObject({ description: 'orders db', secretType: 'Generic', tags: [] })
    expect(described.plannedDeleteTime).toBeUndefined()
    // No key named: the engine made its default secrets key, protected from deletion.
    const key = (await kms.describeKey({ keyId: described.encryptionKeyId })).keyMetadata
    expect([key.deletionProtection, key.keyState]).toEqual(['Enabled', 'Enabled'])
    await kms.createSecret({ secretName: 'other', versionId: 'v1', secretData: 'x' })
    expect((await kms.describeSecret({ secretName: 'other' })).encryptionKeyId).toBe(described.encryptionKeyId)
    expect((await kms.listKeys()).totalCount).toBe(1)
  })

  it('stores binary values as bytes and text as strings, up to 30720 bytes', async () => {
    const { kms } = await open()
    const bytes = new Uint8Array(30720).map((_, i) => i % 251)
    await kms.createSecret({ secretName: 'cert', versionId: 'v1', secretData: bytes, secretDataType: 'binary' })
    const value = await kms.getSecretValue({ secretName: 'cert' })
    expect(value.secretDataType).toBe('binary')
    expect(value.secretData).toEqual(bytes)
    await rejectsWith(kms.createSecret({ secretName: 'big', versionId: 'v1', secretData: new Uint8Array(30721) }), 'InvalidParameter')
    await rejectsWith(kms.createSecret({ secretName: 'big', versionId: 'v1', secretData: 'é'.repeat(15361) }), 'InvalidParameter')
    await rejectsWith(kms.createSecret({ secretName: 'mixed', versionId: 'v1', secretData: 'text', secretDataType: 'binary' }), 'InvalidParameter')
    await rejectsWith(kms.createSecret({ secretName: 'empty', versionId: 'v1', secretData: '' }), 'InvalidParameter')
    await rejectsWith(kms.createSecret({ secretName: 'bad name!', versionId: 'v1', secretData: 'x' }), 'InvalidParameter')
    await rejectsWith(kms.createSecret({ secretName: 'acs/reserved', versionId: 'v1', secretData: 'x' }), 'InvalidParameter')
    await rejectsWith(kms.createSecret({ secretName: 'ok', versionId: 'bad/version', secretData: 'x' }), 'InvalidParameter')
    await rejectsWith(kms.createSecret({ secretName: 'cert', versionId: 'v1', secretData: 'x' }), 'AlreadyExists')
    expect(() => kms.createSecret({ secretName: 'typed', versionId: 'v1', secretData: 42 as unknown as string })).rejects.toThrow(TypeError)
    // Nothing was written by the refused calls.
    expect((await kms.listSecrets()).secretList.map((s) => s.secretName)).toEqual(['cert'])
  })

  it('moves ACSCurrent to a new version and ACSPrevious to the one before, in one commit', async () => {
    const { kms } = await open()
    await kms.createSecret({ secretName: 'api', versionId: 'v1', secretData: 'one' })
    const changes: string[] = []
    kms.events.on('secretChanged', (e) => changes.push(`${e.change}:${e.versionId ?? ''}`))
    expect(await kms.putSecretValue({ secretName: 'api', versionId: 'v2', secretData: 'two' })).toMatchObject({ versionStages: ['ACSCurrent'] })
    await kms.putSecretValue({ secretName: 'api', versionId: 'v3', secretData: 'three' })
    expect((await kms.getSecretValue({ secretName: 'api' })).secretData).toBe('three')
    expect((await kms.getSecretValue({ secretName: 'api', versionStage: 'ACSPrevious' })).secretData).toBe('two')
    expect((await kms.getSecretValue({ secretName: 'api', versionId: 'v1' })).secretData).toBe('one')
    const listed = await kms.listSecretVersionIds({ secretName: 'api' })
    expect(listed.versionIds.map((v) => [v.versionId, v.versionStages])).toEqual([['v3', ['ACSCurrent']], ['v2', ['ACSPrevious']]])
    const all = await kms.listSecretVersionIds({ secretName: 'api', includeDeprecated: true })
    expect(all.versionIds.map((v) => v.versionId)).toEqual(['v3', 'v2', 'v1'])
    // A custom stage, then moving ACSCurrent back: v3 becomes ACSPrevious.
    await kms.updateSecretVersionStage({ secretName: 'api', versionStage: 'canary', moveToVersion: 'v1' })
    await kms.updateSecretVersionStage({ secretName: 'api', versionStage: 'ACSCurrent', removeFromVersion: 'v3', moveToVersion: 'v1' })
    const stages = (await kms.listSecretVersionIds({ secretName: 'api', includeDeprecated: true })).versionIds.map((v) => [v.versionId, v.versionStages])
    expect(stages).toEqual([['v3', ['ACSPrevious']], ['v2', []], ['v1', ['canary', 'ACSCurrent']]])
    expect((await kms.getSecretValue({ secretName: 'api', versionStage: 'canary' })).secretData).toBe('one')
    // ACSCurrent is never removed without a destination; a stage is moved only from the version that has it.
    await rejectsWith(kms.updateSecretVersionStage({ secretName: 'api', versionStage: 'ACSCurrent', removeFromVersion: 'v1' }), 'InvalidParameter')
    await rejectsWith(kms.updateSecretVersionStage({ secretName: 'api', versionStage: 'canary', removeFromVersion: 'v2', moveToVersion: 'v3' }), 'InvalidParameter')
    await rejectsWith(kms.updateSecretVersionStage({ secretName: 'api', versionStage: 'canary', removeFromVersion: 'v1', moveToVersion: 'v9' }), 'Forbidden.ResourceNotFound')
    await rejectsWith(kms.getSecretValue({ secretName: 'api', versionStage: 'nothing' }), 'Forbidden.ResourceNotFound')
    await rejectsWith(kms.getSecretValue({ secretName: 'api', versionId: 'v9' }), 'Forbidden.ResourceNotFound')
    await rejectsWith(kms.getSecretValue({ secretName: 'missing' }), 'Forbidden.ResourceNotFound')
    expect(changes).toEqual(['value:v2', 'value:v3', 'stages:', 'stages:'])
  })

  it('putSecretValue is idempotent for the same id and value, and refuses the same id with another value', async () => {
    const { kms } = await open()
    await kms.createSecret({ secretName: 's', versionId: 'v1', secretData: 'one' })
    await kms.putSecretValue({ secretName: 's', versionId: 'v2', secretData: 'two', versionStages: ['pending'] })
    expect(await kms.putSecretValue({ secretName: 's', versionId: 'v2', secretData: 'two' })).toMatchObject({ versionStages: ['pending'] })
    await rejectsWith(kms.putSecretValue({ secretName: 's', versionId: 'v2', secretData: 'other' }), 'AlreadyExists')
    await rejectsWith(kms.putSecretValue({ secretName: 's', versionId: 'v2', secretData: new Uint8Array([1]) }), 'AlreadyExists')
    // A version put with only a custom stage leaves ACSCurrent where it was.
    expect((await kms.getSecretValue({ secretName: 's' })).secretData).toBe('one')
  })

  it('keeps at most 10 versions, dropping the oldest without a stage', async () => {
    const { kms } = await open()
    await kms.createSecret({ secretName: 's', versionId: 'v0', secretData: 'x0' })
    for (let i = 1; i <= 11; i++) await kms.putSecretValue({ secretName: 's', versionId: `v${i}`, secretData: `x${i}` })
    const ids = (await kms.listSecretVersionIds({ secretName: 's', includeDeprecated: true, pageSize: 100 })).versionIds.map((v) => v.versionId)
    expect(ids).toEqual(['v11', 'v10', 'v9', 'v8', 'v7', 'v6', 'v5', 'v4', 'v3', 'v2'])
    await rejectsWith(kms.getSecretValue({ secretName: 's', versionId: 'v0' }), 'Forbidden.ResourceNotFound')
    expect((await kms.getSecretValue({ secretName: 's', versionId: 'v2' })).secretData).toBe('x2')
  })

  it('lists secrets a page at a time, with filters by name, description and tag', async () => {
    const { kms } = await open()
    for (const name of ['a', 'b/one', 'b/two', 'c', 'd', 'e']) {
      await kms.createSecret({ secretName: name, versionId: 'v1', secretData: 'x', description: `about ${name}`, tags: [{ tagKey: 'team', tagValue: name.startsWith('b') ? 'billing' : 'core' }] })
    }
    const first = await kms.listSecrets({ pageSize: 4 })
    expect(first.secretList.map((s) => s.secretName)).toEqual(['a', 'b/one', 'b/two', 'c'])
    expect(first.nextToken).toBe('c')
    const second = await kms.listSecrets({ pageSize: 4, nextToken: first.nextToken! })
    expect(second.secretList.map((s) => s.secretName)).toEqual(['d', 'e'])
    expect(second.nextToken).toBeUndefined()
    // An exactly full last page promises nothing more.
    expect((await kms.listSecrets({ pageSize: 2, nextToken: 'c' })).nextToken).toBeUndefined()
    const billing = await kms.listSecrets({ filters: [{ key: 'TagValue', values: ['billing'] }] })
    expect(billing.secretList.map((s) => s.secretName)).toEqual(['b/one', 'b/two'])
    expect(billing.secretList[0]!.tags).toEqual([{ tagKey: 'team', tagValue: 'billing' }])
    const named = await kms.listSecrets({ filters: [{ key: 'SecretName', values: ['two', 'd'] }, { key: 'Description', values: ['about'] }] })
    expect(named.secretList.map((s) => s.secretName)).toEqual(['b/two', 'd'])
    await rejectsWith(kms.listSecrets({ filters: [{ key: 'Nope' as 'TagKey', values: ['x'] }] }), 'InvalidParameter')
    await rejectsWith(kms.listSecrets({ pageSize: 101 }), 'InvalidParameter')
  })

  it('tags secrets through tagResource, untagResource and listResourceTags', async () => {
    const { kms } = await open()
    await kms.createSecret({ secretName: 's', versionId: 'v1', secretData: 'x', tags: [{ tagKey: 'env', tagValue: 'prod' }] })
    await kms.tagResource({ secretName: 's', tags: [{ tagKey: 'team', tagValue: 'pay' }] })
    expect((await kms.listResourceTags({ secretName: 's' })).tags).toEqual([
      { secretName: 's', tagKey: 'env', tagValue: 'prod' }, { secretName: 's', tagKey: 'team', tagValue: 'pay' },
    ])
    await kms.untagResource({ secretName: 's', tagKeys: ['env'] })
    expect((await kms.describeSecret({ secretName: 's' })).tags).toEqual([{ tagKey: 'team', tagValue: 'pay' }])
    await rejectsWith(kms.tagResource({ secretName: 's', tags: [{ tagKey: 'acs:x', tagValue: 'y' }] }), 'InvalidParameter')
  })

  it('deletes with a recovery window (restorable, then purged by maintenance), or at once when forced', async () => {
    const { kms, clock } = await open()
    await kms.createSecret({ secretName: 'doomed', versionId: 'v1', secretData: 'x' })
    await kms.createSecret({ secretName: 'gone', versionId: 'v1', secretData: 'y' })
    await rejectsWith(kms.deleteSecret({ secretName: 'doomed', recoveryWindowInDays: 6 }), 'InvalidParameter')
    await rejectsWith(kms.deleteSecret({ secretName: 'doomed', recoveryWindowInDays: 31 }), 'InvalidParameter')
    const deleted = await kms.deleteSecret({ secretName: 'doomed' })
    expect(deleted.plannedDeleteTime).toBe('2026-01-31T00:00:00Z')
    await rejectsWith(kms.getSecretValue({ secretName: 'doomed' }), 'Rejected.InvalidState')
    await rejectsWith(kms.putSecretValue({ secretName: 'doomed', versionId: 'v2', secretData: 'z' }), 'Rejected.InvalidState')
    await rejectsWith(kms.createSecret({ secretName: 'doomed', versionId: 'v1', secretData: 'x' }), 'AlreadyExists')
    await kms.restoreSecret({ secretName: 'doomed' })
    expect((await kms.getSecretValue({ secretName: 'doomed' })).secretData).toBe('x')
    await rejectsWith(kms.restoreSecret({ secretName: 'doomed' }), 'Rejected.InvalidState')
    await kms.deleteSecret({ secretName: 'doomed', recoveryWindowInDays: 7 })
    clock.advance(7 * DAY_MS - 1)
    expect((await kms.maintenance()).secrets).toBeUndefined()
    clock.advance(1)
    expect((await kms.maintenance()).secrets).toEqual({ purged: ['doomed'], rotated: [], rotationFailed: [] })
    await rejectsWith(kms.describeSecret({ secretName: 'doomed' }), 'Forbidden.ResourceNotFound')
    // The name is free again.
    await kms.createSecret({ secretName: 'doomed', versionId: 'v1', secretData: 'new' })
    expect((await kms.getSecretValue({ secretName: 'doomed' })).secretData).toBe('new')
    expect(await kms.deleteSecret({ secretName: 'gone', forceDeleteWithoutRecovery: true })).not.toHaveProperty('plannedDeleteTime')
    await rejectsWith(kms.getSecretValue({ secretName: 'gone' }), 'Forbidden.ResourceNotFound')
    await rejectsWith(kms.deleteSecret({ secretName: 'gone', forceDeleteWithoutRecovery: true, recoveryWindowInDays: 7 }), 'InvalidParameter')
  })

  it('encrypts each value under the master key the caller names, and fails closed when that key is disabled', async () => {
    const { kms } = await open()
    const { keyId } = (await kms.createKey()).keyMetadata
    await kms.createSecret({ secretName: 's', versionId: 'v1', secretData: 'x', encryptionKeyId: keyId })
    expect((await kms.describeSecret({ secretName: 's' })).encryptionKeyId).toBe(keyId)
    await kms.disableKey({ keyId })
    await rejectsWith(kms.getSecretValue({ secretName: 's' }), 'Rejected.Disabled')
    await kms.enableKey({ keyId })
    expect((await kms.getSecretValue({ secretName: 's' })).secretData).toBe('x')
    const signing = (await kms.createKey({ keySpec: 'EC_P256' })).keyMetadata.keyId
    await rejectsWith(kms.createSecret({ secretName: 't', versionId: 'v1', secretData: 'x', encryptionKeyId: signing }), 'InvalidKeyUsage')
  })

  it('binds a value to its secret and version: a value record moved elsewhere does not open', async () => {
    const storage = memoryStorage()
    const { kms } = await open({ storage })
    await kms.createSecret({ secretName: 'a', versionId: 'v1', secretData: 'alpha' })
    await kms.createSecret({ secretName: 'b', versionId: 'v1', secretData: 'bravo' })
    await kms.close()
    // Whoever can write the store copies a's value over b's: the barrier and the value's own binding both refuse it.
    const a = (await storage.get('secret-value/local/a#v1'))!
    const b = (await storage.get('secret-value/local/b#v1'))!
    await storage.commit([{ type: 'put', key: 'secret-value/local/b#v1', value: a.value, expectedRevision: b.revision }])
    const { kms: reopened } = await open({ storage })
    await rejectsWith(reopened.getSecretValue({ secretName: 'b' }), 'CorruptRecord')
    expect((await reopened.getSecretValue({ secretName: 'a' })).secretData).toBe('alpha')
  })

  it('two engines on one store: a read served from memory sees the other engine\'s change at once', async () => {
    const storage = memoryStorage()
    const { kms: a } = await open({ storage })
    const { kms: b } = await open({ storage })
    await a.createSecret({ secretName: 'shared', versionId: 'v1', secretData: 'one' })
    expect((await b.getSecretValue({ secretName: 'shared' })).secretData).toBe('one')
    expect((await b.getSecretValue({ secretName: 'shared' })).secretData).toBe('one')
    await a.putSecretValue({ secretName: 'shared', versionId: 'v2', secretData: 'two' })
    expect((await b.getSecretValue({ secretName: 'shared' })).secretData).toBe('two')
    await a.deleteSecret({ secretName: 'shared', forceDeleteWithoutRecovery: true })
    await rejectsWith(b.getSecretValue({ secretName: 'shared' }), 'Forbidden.ResourceNotFound')
  })

  it('persists secrets, versions and stages across reopening the store', async () => {
    const storage = memoryStorage()
    const { kms } = await open({ storage })
    await kms.createSecret({ secretName: 's', versionId: 'v1', secretData: 'one' })
    await kms.putSecretValue({ secretName: 's', versionId: 'v2', secretData: 'two' })
    await kms.close()
    const { kms: reopened } = await open({ storage })
    expect((await reopened.getSecretValue({ secretName: 's' })).secretData).toBe('two')
    expect((await reopened.getSecretValue({ secretName: 's', versionStage: 'ACSPrevious' })).secretData).toBe('one')
  })
})
