/**
 * Least privilege and proof of control: a principal that may only encrypt under one key
 * with `tenant=acme` is refused everything else; the audit trail shows both calls and
 * verifies; tampering with one stored record is detected.
 *
 * Run it: `npx tsx --conditions=source examples/least-privilege.ts`
 */
import { Kms, KmsError, type AuditRecord, type StorageAdapter } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'

export interface LeastPrivilegeOutcome {
  readonly allowed: string
  readonly refused: string
  readonly trail: readonly Pick<AuditRecord, 'eventName' | 'principal' | 'result' | 'errorCode'>[]
  readonly verifiedBefore: boolean
  readonly tamperDetected: string
}

export async function leastPrivilegeDemo(storage: StorageAdapter = memoryStorage()): Promise<LeastPrivilegeOutcome> {
  const kms = await Kms.open({ storage, closeStorage: false })
  const { keyMetadata } = await kms.createKey({ description: 'acme orders' })

  // The owner writes a policy: Encrypt on this one key, only for tenant acme.
  await kms.createPolicy({
    policyName: 'acme-encrypt-only',
    policyDocument: {
      Version: '1',
      Statement: [{
        Effect: 'Allow',
        Action: 'kms:Encrypt',
        Resource: keyMetadata.arn,
        Condition: { StringEquals: { 'kms:EncryptionContext:tenant': 'acme' } },
      }],
    },
  })
  await kms.attachPolicy({ policyName: 'acme-encrypt-only', principal: 'order-service' })

  const service = kms.as('order-service')
  const plaintext = new TextEncoder().encode('card 4111')
  const { requestId } = await service.encrypt({ keyId: keyMetadata.keyId, plaintext, encryptionContext: { tenant: 'acme' } })
  let refused = ''
  try {
    await service.encrypt({ keyId: keyMetadata.keyId, plaintext, encryptionContext: { tenant: 'globex' } })
  } catch (error) {
    if (!KmsError.is(error, 'Forbidden.NoPermission')) throw error
    refused = `${error.code}: ${error.message}`
  }

  const { records } = await kms.audit.query({ principal: 'order-service' })
  const verifiedBefore = (await kms.audit.verify()).ok

  // Someone with write access to the store rewrites history: the chain no longer verifies.
  // Here: turn the refused call into a success, to hide the attempt.
  const page = await storage.scan({ prefix: 'audit/chain/' })
  const segment = page.records.find((r) => new TextDecoder().decode(r.value).includes('"Forbidden.NoPermission"'))!
  const tampered = new TextDecoder().decode(segment.value).replace('"Forbidden.NoPermission"', 'null')
  await storage.commit([{ type: 'put', key: segment.key, value: new TextEncoder().encode(tampered), expectedRevision: segment.revision }])
  const report = await kms.audit.verify()
  await kms.close()
  await storage.close()

  return {
    allowed: `encrypt for tenant acme (request ${requestId})`,
    refused,
    trail: records.map(({ eventName, principal, result, errorCode }) => ({ eventName, principal, result, ...(errorCode === undefined ? {} : { errorCode }) })),
    verifiedBefore,
    tamperDetected: report.ok ? 'NOT DETECTED' : `record ${report.seq} of chain ${report.chain}: ${report.problem}`,
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const outcome = await leastPrivilegeDemo()
  console.log(`allowed:  ${outcome.allowed}`)
  console.log(`refused:  ${outcome.refused}`)
  console.log('trail:')
  for (const r of outcome.trail) console.log(`  ${r.principal} ${r.eventName} → ${r.result}${r.errorCode ? ` (${r.errorCode})` : ''}`)
  console.log(`verified before tampering: ${outcome.verifiedBefore}`)
  console.log(`after tampering: ${outcome.tamperDetected}`)
}
