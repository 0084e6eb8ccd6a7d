/**
 * Every public method answers every input with a settled promise, audits the refusal, and
 * leaves `close()` able to resolve. Regression: `generateDataKey({ encryptionContext: null })`
 * threw synchronously from inside the audit step, recorded nothing, and `close()` then
 * waited forever for the call it had counted as running.
 */
import { describe, expect, it } from 'vitest'
import { Kms, KmsError } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'
import { rejectsWith, utf8 } from './helpers.js'

/** Resolves with 'closed', or 'hung' if close() takes more than two seconds (it takes milliseconds). */
async function closes(kms: Kms): Promise<string> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const hung = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('hung'), 2000)))
  const result = await Promise.race([kms.close().then(() => 'closed'), hung])
  clearTimeout(timer)
  return result
}

describe('malformed requests', () => {
  it('a null encryption context is InvalidParameter for every operation that takes one, each refusal is audited, and close() resolves', async () => {
    const kms = await Kms.open({ storage: memoryStorage(), audit: { encryptionContext: 'plain' } })
    const { keyMetadata: { keyId } } = await kms.createKey()
    const blob = (await kms.encrypt({ keyId, plaintext: utf8('x') })).ciphertextBlob
    const nullContext = null as never
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['GenerateDataKey', () => kms.generateDataKey({ keyId, encryptionContext: nullContext })],
      ['GenerateDataKeyWithoutPlaintext', () => kms.generateDataKeyWithoutPlaintext({ keyId, encryptionContext: nullContext })],
      ['Encrypt', () => kms.encrypt({ keyId, plaintext: utf8('x'), encryptionContext: nullContext })],
      ['Decrypt', () => kms.decrypt({ ciphertextBlob: blob, encryptionContext: nullContext })],
      ['ReEncrypt', () => kms.reEncrypt({ ciphertextBlob: blob, destinationKeyId: keyId, destinationEncryptionContext: nullContext })],
      ['GenerateAndExportDataKey', () => kms.generateAndExportDataKey({
        keyId, encryptionContext: nullContext, publicKeyBlob: new Uint8Array(0), wrappingKeySpec: 'RSA_2048', wrappingAlgorithm: 'RSAES_OAEP_SHA_256',
      })],
    ]
    for (const [action, call] of calls) {
      let returned: Promise<unknown> | undefined
      expect(() => (returned = call()), `${action} must not throw synchronously`).not.toThrow()
      const error = await returned!.then(() => undefined, (e: unknown) => e)
      expect([action, KmsError.is(error) ? error.code : String(error)]).toEqual([action, action === 'GenerateAndExportDataKey' ? expect.any(String) : 'InvalidParameter'])
    }
    const { records } = await kms.audit.query({ limit: 1000 })
    for (const [action] of calls) {
      const refusals = records.filter((r) => r.eventName === action && r.result === 'Failure')
      expect(refusals, `${action} refusal audited`).toHaveLength(1)
    }
    expect(await closes(kms)).toBe('closed')
  })

  it('a context of the wrong type is refused (TypeError, programmer misuse), audited, and close() resolves', async () => {
    const kms = await Kms.open({ storage: memoryStorage() })
    const { keyMetadata: { keyId } } = await kms.createKey()
    for (const encryptionContext of [5, 'tenant=acme', ['a'], { n: 1 }] as never[]) {
      const error = await kms.generateDataKey({ keyId, encryptionContext }).then(() => undefined, (e: unknown) => e)
      expect(error).toBeInstanceOf(TypeError)
    }
    const { records } = await kms.audit.query()
    expect(records.filter((r) => r.eventName === 'GenerateDataKey' && r.errorCode === 'TypeError')).toHaveLength(4)
    expect(await closes(kms)).toBe('closed')
  })

  it('a missing request object rejects (never throws) and the engine still closes', async () => {
    const kms = await Kms.open({ storage: memoryStorage() })
    for (const call of [() => kms.encrypt(undefined as never), () => kms.generateDataKey(null as never), () => kms.describeKey(7 as never)]) {
      let returned: Promise<unknown> | undefined
      expect(() => (returned = call())).not.toThrow()
      await expect(returned).rejects.toBeInstanceOf(TypeError)
    }
    await rejectsWith(kms.describeKey({ keyId: 'alias/none' }), 'Forbidden.AliasNotFound')
    expect(await closes(kms)).toBe('closed')
  })
})
