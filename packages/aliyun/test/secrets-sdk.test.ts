/**
 * Secrets over the wire (issue 17): the official `@alicloud/kms20160120` client against
 * Strongroom over loopback HTTP — CreateSecret, GetSecretValue (by stage and version),
 * PutSecretValue, UpdateSecretVersionStage, ListSecretVersionIds, DescribeSecret,
 * UpdateSecret, ListSecrets with Filters, DeleteSecret / RestoreSecret, RotateSecret and
 * UpdateSecretRotationPolicy, binary values as base64, and Alibaba's error codes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Kms } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import type { AliyunKmsServer } from '@strongroom/aliyun'
import { $Kms, ACCOUNT, REGION, callV3, failure, kmsClient, openApiClient, startServer } from './helpers.js'

describe('secrets through @alicloud/kms20160120', () => {
  let kms: Kms
  let server: AliyunKmsServer
  let client: ReturnType<typeof kmsClient>

  beforeAll(async () => {
    kms = await Kms.open({ storage: memoryStorage(), region: REGION, accountId: ACCOUNT, secretRotation: ({ current }) => `${current.secretData as string}-next` })
    server = await startServer(kms)
    client = kmsClient(server)
  })
  afterAll(async () => {
    await server.close()
    await kms.close()
  })

  it('creates a secret, stores versions and reads them by stage and by version', async () => {
    const created = await client.createSecret(new $Kms.CreateSecretRequest({
      secretName: 'db/password', versionId: 'v1', secretData: 'hunter2', description: 'orders', tags: '[{"TagKey":"team","TagValue":"pay"}]',
    }))
    expect([created.arn, created.secretName, created.versionId]).toEqual([`acs:kms:${REGION}:${ACCOUNT}:secret/db/password`, 'db/password', 'v1'])
    const put = await client.putSecretValue(new $Kms.PutSecretValueRequest({ secretName: 'db/password', versionId: 'v2', secretData: 'correct horse' }))
    expect(put.versionStages.versionStage).toEqual(['ACSCurrent'])
    const current = await client.getSecretValue(new $Kms.GetSecretValueRequest({ secretName: 'db/password' }))
    expect([current.secretData, current.secretDataType, current.versionId, current.versionStages.versionStage]).toEqual(['correct horse', 'text', 'v2', ['ACSCurrent']])
    const previous = await client.getSecretValue(new $Kms.GetSecretValueRequest({ secretName: 'db/password', versionStage: 'ACSPrevious' }))
    expect(previous.secretData).toBe('hunter2')
    expect((await client.getSecretValue(new $Kms.GetSecretValueRequest({ secretName: 'db/password', versionId: 'v1' }))).secretData).toBe('hunter2')
    const versions = await client.listSecretVersionIds(new $Kms.ListSecretVersionIdsRequest({ secretName: 'db/password', includeDeprecated: 'true' }))
    expect(versions.versionIds.versionId.map((v) => [v.versionId, v.versionStages.versionStage])).toEqual([['v2', ['ACSCurrent']], ['v1', ['ACSPrevious']]])
    expect(versions.totalCount).toBe(2)
  })

  it('carries binary values as base64', async () => {
    const bytes = Buffer.from([0, 1, 2, 250, 255])
    await client.createSecret(new $Kms.CreateSecretRequest({ secretName: 'tls/key', versionId: 'v1', secretData: bytes.toString('base64'), secretDataType: 'binary' }))
    const value = await client.getSecretValue(new $Kms.GetSecretValueRequest({ secretName: 'tls/key' }))
    expect([value.secretDataType, value.secretData]).toEqual(['binary', bytes.toString('base64')])
    expect((await kms.getSecretValue({ secretName: 'tls/key' })).secretData).toEqual(new Uint8Array(bytes))
  })

  it('moves stages, describes, updates and lists secrets with Filters', async () => {
    await client.updateSecretVersionStage(new $Kms.UpdateSecretVersionStageRequest({ secretName: 'db/password', versionStage: 'ACSCurrent', removeFromVersion: 'v2', moveToVersion: 'v1' }))
    expect((await client.getSecretValue(new $Kms.GetSecretValueRequest({ secretName: 'db/password' }))).versionId).toBe('v1')
    await client.updateSecret(new $Kms.UpdateSecretRequest({ secretName: 'db/password', description: 'orders db' }))
    const described = await client.describeSecret(new $Kms.DescribeSecretRequest({ secretName: 'db/password', fetchTags: 'true' }))
    expect([described.description, described.arn]).toEqual(['orders db', `acs:kms:${REGION}:${ACCOUNT}:secret/db/password`])
    expect(described.tags.tag).toEqual([expect.objectContaining({ tagKey: 'team', tagValue: 'pay' })])
    await client.tagResource(new $Kms.TagResourceRequest({ secretName: 'db/password', tags: '[{"TagKey":"env","TagValue":"prod"}]' }))
    await client.untagResource(new $Kms.UntagResourceRequest({ secretName: 'db/password', tagKeys: '["team"]' }))
    expect((await kms.describeSecret({ secretName: 'db/password' })).tags).toEqual([{ tagKey: 'env', tagValue: 'prod' }])
    await client.tagResource(new $Kms.TagResourceRequest({ secretName: 'db/password', tags: '[{"TagKey":"team","TagValue":"pay"}]' }))
    // This release of the generated client has no Filters member: the OpenAPI client sends it.
    const listed = await callV3(openApiClient(server), 'ListSecrets', { PageSize: '10', Filters: '[{"Key":"TagValue","Values":["pay"]}]' })
    expect(listed).toMatchObject({ TotalCount: 1, SecretList: { Secret: [expect.objectContaining({ SecretName: 'db/password' })] } })
    const all = await client.listSecrets(new $Kms.ListSecretsRequest({ pageNumber: 2, pageSize: 1 }))
    expect([all.totalCount, all.secretList.secret.map((s) => s.secretName)]).toEqual([2, ['tls/key']])
  })

  // This release of @alicloud/kms20160120 has no RotateSecret / UpdateSecretRotationPolicy methods: the official OpenAPI client calls them.
  it('rotates with the engine\'s rotation function and keeps a rotation policy', async () => {
    const generic = openApiClient(server)
    const rotated = await callV3(generic, 'RotateSecret', { SecretName: 'db/password', VersionId: 'v3' })
    expect([rotated['VersionId'], rotated['SecretName']]).toEqual(['v3', 'db/password'])
    expect((await client.getSecretValue(new $Kms.GetSecretValueRequest({ secretName: 'db/password' }))).secretData).toBe('hunter2-next')
    await callV3(generic, 'UpdateSecretRotationPolicy', { SecretName: 'db/password', EnableAutomaticRotation: 'true', RotationInterval: '30d' })
    const described = await callV3(generic, 'DescribeSecret', { SecretName: 'db/password' })
    expect([described['AutomaticRotation'], described['RotationInterval']]).toEqual(['Enabled', '2592000s'])
  })

  it('deletes with a recovery window, restores, and answers Alibaba\'s error codes', async () => {
    const deleted = await client.deleteSecret(new $Kms.DeleteSecretRequest({ secretName: 'tls/key', recoveryWindowInDays: '7' }))
    expect(deleted.plannedDeleteTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect((await failure(client.getSecretValue(new $Kms.GetSecretValueRequest({ secretName: 'tls/key' })))).data['Code']).toBe('Rejected.InvalidState')
    await client.restoreSecret(new $Kms.RestoreSecretRequest({ secretName: 'tls/key' }))
    expect((await client.getSecretValue(new $Kms.GetSecretValueRequest({ secretName: 'tls/key' }))).secretDataType).toBe('binary')
    const exists = await failure(client.createSecret(new $Kms.CreateSecretRequest({ secretName: 'tls/key', versionId: 'v1', secretData: 'x' })))
    expect([exists.data['Code'], exists.status]).toEqual(['Rejected.ResourceExist', 400])
    const missing = await failure(client.getSecretValue(new $Kms.GetSecretValueRequest({ secretName: 'nothing' })))
    expect([missing.data['Code'], missing.status]).toEqual(['Forbidden.ResourceNotFound', 404])
    await client.deleteSecret(new $Kms.DeleteSecretRequest({ secretName: 'tls/key', forceDeleteWithoutRecovery: 'true' }))
    expect((await failure(client.describeSecret(new $Kms.DescribeSecretRequest({ secretName: 'tls/key' })))).data['Code']).toBe('Forbidden.ResourceNotFound')
  })
})
