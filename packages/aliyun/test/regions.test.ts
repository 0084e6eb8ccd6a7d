/**
 * Regions: a key belongs to the region it was created in. An endpoint for cn-hangzhou on a
 * store that also holds cn-shanghai keys does not describe or list them, and
 * DescribeRegions names every region the store has keys in.
 */
import { randomBytes } from 'node:crypto'
import { Kms, rawRootKey } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { aliyunKmsProtocol, startAliyunKmsServer, type AliyunKmsServer } from '@strongroom/aliyun'
import { $Kms, ACCOUNT, REGION, failure, kmsClient } from './helpers.js'

describe('regions on one store', () => {
  const storage = memoryStorage()
  // One root secret; a provider per engine (an engine wipes its provider's copy on close).
  const rootSecret = new Uint8Array(randomBytes(32))
  let shanghaiKeyId: string
  let hangzhou: Kms
  let server: AliyunKmsServer

  beforeAll(async () => {
    const shanghai = await Kms.open({ storage, rootKey: rawRootKey(rootSecret), region: 'cn-shanghai', accountId: ACCOUNT, closeStorage: false })
    shanghaiKeyId = (await shanghai.createKey({ description: 'shanghai' })).keyMetadata.keyId
    await shanghai.createAlias({ aliasName: 'alias/shanghai-only', keyId: shanghaiKeyId })
    await shanghai.close()
    hangzhou = await Kms.open({ storage, rootKey: rawRootKey(rootSecret), region: REGION, accountId: ACCOUNT })
    server = await startAliyunKmsServer({ kms: hangzhou })
  })
  afterAll(async () => {
    await server.close()
    await hangzhou.close()
  })

  it('DescribeKey of another region\'s key is Forbidden.KeyNotFound; ListKeys and ListAliases leave it out', async () => {
    const client = kmsClient(server)
    const own = (await client.createKey(new $Kms.CreateKeyRequest({}))).keyMetadata.keyId
    const missing = await failure(client.describeKey(new $Kms.DescribeKeyRequest({ keyId: shanghaiKeyId })))
    expect([missing.data['Code'], missing.status]).toEqual(['Forbidden.KeyNotFound', 404])
    const listed = await client.listKeys(new $Kms.ListKeysRequest({ pageSize: 100 }))
    expect(listed.keys.key.map((k) => k.keyId)).toEqual([own])
    expect(listed.totalCount).toBe(1)
    const aliases = await client.listAliases(new $Kms.ListAliasesRequest({}))
    expect(aliases.aliases.alias).toEqual([])
    // An ARN naming the other region names nothing here.
    const byArn = await failure(client.describeKey(new $Kms.DescribeKeyRequest({ keyId: `acs:kms:cn-shanghai:${ACCOUNT}:key/${shanghaiKeyId}` })))
    expect(byArn.data['Code']).toBe('Forbidden.KeyNotFound')
  })

  it('DescribeRegions lists this region first, then the other regions of the store', async () => {
    const regions = await kmsClient(server).describeRegions(new $Kms.DescribeRegionsRequest({}))
    expect(regions.regions.region.map((r) => r.regionId)).toEqual([REGION, 'cn-shanghai'])
  })

  it('an endpoint cannot claim a region its engine was not opened for, and a request for another RegionId is refused', async () => {
    expect(() => aliyunKmsProtocol(hangzhou, { region: 'cn-shanghai' })).toThrow(/opened for cn-hangzhou/)
    const client = kmsClient(server)
    const other = await failure(client.listKeys(new $Kms.ListKeysRequest({})).then(async () => {
      const protocol = aliyunKmsProtocol(hangzhou)
      const response = await protocol({ method: 'GET', path: '/', query: { Action: 'ListKeys', Version: '2016-01-20', RegionId: 'cn-shanghai' }, headers: {}, body: new Uint8Array() })
      const body = JSON.parse(Buffer.from(response.body).toString()) as Record<string, unknown>
      throw Object.assign(new Error(`code: ${response.statusCode}`), { code: body['Code'], data: body })
    }))
    expect([other.code, other.status]).toEqual(['InvalidRegionId', 400])
  })
})
