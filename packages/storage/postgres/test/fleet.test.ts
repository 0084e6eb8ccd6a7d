/**
 * A fleet: several engines (each with its own pool, as separate processes would have) on
 * one PostgreSQL database keep the guarantees one engine has alone — a disable or a
 * rotation in one is seen by the others within a second, concurrent changes to one key
 * lose nothing, and the audit trail stays complete and verifiable.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { Kms, KmsError, rawRootKey } from '@strongroom/core'
import { postgresStorage } from '@strongroom/storage-postgres'
import { eventually, probeServer, skipLoudly } from './server.js'

const server = await probeServer()
const ROOT_KEY = new Uint8Array(32).fill(11)
const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text)

/** The documented bound on how long another engine may keep serving a changed key. */
const STALENESS_BOUND_MS = 1000

if (server === undefined) {
  skipLoudly()
} else {
  const engines: Kms[] = []
  afterEach(async () => {
    for (const kms of engines.splice(0)) await kms.close()
    await server.dropSchemas()
  })
  afterAll(() => server.end())

  async function fleet(size: number): Promise<Kms[]> {
    const schema = server!.freshSchema()
    const opened = await Promise.all(
      Array.from({ length: size }, () => Kms.open({ storage: postgresStorage(server!.pool(), { schema }), rootKey: rawRootKey(ROOT_KEY.slice()) })),
    )
    engines.push(...opened)
    return opened
  }

  const refuses = async (kms: Kms, keyId: string, code: string): Promise<boolean> => {
    try {
      await kms.encrypt({ keyId, plaintext: utf8('probe') })
      return false
    } catch (error) {
      if (KmsError.is(error) && error.code === code) return true
      throw error
    }
  }

  describe('a fleet of engines on one PostgreSQL database', () => {
    it(`a key disabled in one engine is refused by the others within ${STALENESS_BOUND_MS} ms; re-enabled, usable again`, async () => {
      const [a, b, c, d] = await fleet(4)
      const keyId = (await a!.createKey()).keyMetadata.keyId
      // Every engine has the key hot in its cache.
      for (const kms of [a!, b!, c!, d!]) await kms.encrypt({ keyId, plaintext: utf8('warm') })
      await a!.disableKey({ keyId })
      const start = Date.now()
      for (const kms of [b!, c!, d!]) await eventually(() => refuses(kms, keyId, 'Rejected.Disabled'), STALENESS_BOUND_MS)
      expect(Date.now() - start).toBeLessThan(STALENESS_BOUND_MS)
      await b!.enableKey({ keyId })
      for (const kms of [a!, c!, d!]) await eventually(async () => !(await refuses(kms, keyId, 'Rejected.Disabled')), STALENESS_BOUND_MS)
      await c!.scheduleKeyDeletion({ keyId, pendingWindowInDays: 7 })
      for (const kms of [a!, b!, d!]) await eventually(() => refuses(kms, keyId, 'Rejected.InvalidState'), STALENESS_BOUND_MS)
    })

    it('a rotation in one engine is seen by all; every version decrypts everywhere', async () => {
      const engines = await fleet(3)
      const [a, b, c] = engines as [Kms, Kms, Kms]
      const keyId = (await a.createKey()).keyMetadata.keyId
      const before = await b.encrypt({ keyId, plaintext: utf8('v1') })
      await c.encrypt({ keyId, plaintext: utf8('warm') })
      const { keyVersionId } = (await a.createKeyVersion({ keyId })).keyVersion
      for (const kms of [b, c]) {
        await eventually(async () => (await kms.encrypt({ keyId, plaintext: utf8('x') })).keyVersionId === keyVersionId, STALENESS_BOUND_MS)
      }
      const after = await c.encrypt({ keyId, plaintext: utf8('v2') })
      for (const kms of engines) {
        expect(new TextDecoder().decode((await kms.decrypt({ ciphertextBlob: before.ciphertextBlob })).plaintext)).toBe('v1')
        expect(new TextDecoder().decode((await kms.decrypt({ ciphertextBlob: after.ciphertextBlob })).plaintext)).toBe('v2')
      }
    })

    it('concurrent changes to one key from every engine lose no update; the audit trail verifies in each', async () => {
      const engines = await fleet(3)
      const keyId = (await engines[0]!.createKey()).keyMetadata.keyId
      // Each tag is a read-modify-write of the one key record, raced from three engines.
      await Promise.all(engines.flatMap((kms, e) => Array.from({ length: 6 }, (_, i) => kms.tagResource({ keyId, tags: [{ tagKey: `e${e}-t${i}`, tagValue: 'v' }] }))))
      await Promise.all(engines.flatMap((kms, e) => Array.from({ length: 4 }, (_, i) => kms.createAlias({ aliasName: `alias/e${e}-a${i}`, keyId }))))
      for (const kms of engines) {
        await eventually(async () => (await kms.listResourceTags({ keyId })).tags.length === 18, STALENESS_BOUND_MS)
        expect((await kms.listAliasesByKeyId({ keyId, pageSize: 100 })).aliases).toHaveLength(12)
      }
      for (const kms of engines) await kms.audit.flush()
      for (const kms of engines) {
        const verification = await kms.audit.verify()
        expect(verification.ok).toBe(true)
        const tagged = await kms.audit.query({ action: 'TagResource', limit: 1000 })
        expect(tagged.records.filter((r) => r.errorCode === undefined || r.errorCode === null)).toHaveLength(18)
      }
    })
  })
}
