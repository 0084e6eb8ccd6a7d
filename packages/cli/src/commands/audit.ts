/**
 * The audit trail: `audit verify` recomputes the hash chains (optionally against an anchor
 * you kept), `audit anchor` prints every chain's current end to keep outside the keystore,
 * `audit query` shows records by key, principal, action and time, `audit export` writes
 * them all as JSON lines.
 *
 * ```sh
 * strongroom audit anchor --json > anchor.json          # keep it somewhere else
 * strongroom audit verify --anchor anchor.json          # exit 1 (AuditTampered) when tampered with
 * strongroom audit query --key alias/app --action Decrypt --from 2026-01-01
 * strongroom audit export > trail.jsonl
 * ```
 */
import { readFile } from 'node:fs/promises'
import type { AuditAnchor, AuditQuery } from '@strongroom/core'
import { integerOption } from '../args.js'
import { stringValue, type Command, type OptionValues } from '../command.js'
import { UsageError, VerificationFailed } from '../errors.js'
import { fields, table } from '../output.js'

const filters = {
  key: { type: 'string', value: 'KEY', description: 'only records about this key id' },
  principal: { type: 'string', value: 'PRINCIPAL', description: 'only records of this caller (root, system or a principal name)' },
  action: { type: 'string', value: 'ACTION', description: 'only this action, e.g. Decrypt' },
  from: { type: 'string', value: 'TIME', description: 'from this time on (ISO 8601, inclusive)' },
  to: { type: 'string', value: 'TIME', description: 'before this time (ISO 8601, exclusive)' },
} as const

function query(values: OptionValues): AuditQuery {
  const q: Record<string, string> = {}
  for (const [option, field] of [['key', 'keyId'], ['principal', 'principal'], ['action', 'action'], ['from', 'from'], ['to', 'to']] as const) {
    const value = stringValue(values, option)
    if (value === undefined) continue
    if ((option === 'from' || option === 'to') && Number.isNaN(Date.parse(value))) throw new UsageError(`--${option} takes a date or time, e.g. 2026-01-31 or 2026-01-31T12:00:00Z`)
    q[field] = value
  }
  return q
}

export const auditVerify: Command = {
  name: 'audit verify', args: '', summary: 'Verify the audit trail\'s hash chain (exit 1 when it was tampered with)', positionals: 0, needs: 'kms',
  options: { anchor: { type: 'string', value: 'FILE', description: 'an anchor saved by "audit anchor --json": also catches a rollback past it' } },
  async run({ kms, values, out }) {
    const path = stringValue(values, 'anchor')
    let anchor: AuditAnchor | undefined
    if (path !== undefined) {
      const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<AuditAnchor>
      if (typeof parsed.seq !== 'number' || typeof parsed.hash !== 'string') throw new UsageError(`${path} is not an anchor ({ "seq": N, "hash": "…" })`)
      // The chains' ends (every anchor since engines have chains of their own); without them, a first-chain position.
      anchor = parsed.chains === undefined ? { seq: parsed.seq, hash: parsed.hash } : { seq: parsed.seq, hash: parsed.hash, chains: parsed.chains }
    }
    const result = await kms.audit.verify(anchor === undefined ? {} : { anchor })
    if (!result.ok) throw new VerificationFailed('AuditTampered', `the audit trail does not verify at record ${result.seq} of chain ${result.chain}: ${result.problem}`)
    out.result(result, () => [result.chains.length <= 1
      ? `The audit trail verifies: ${result.records} records (${result.firstSeq} to ${result.lastSeq})`
      : `The audit trail verifies: ${result.records} records in ${result.chains.length} chains`])
  },
}

export const auditAnchor: Command = {
  name: 'audit anchor', args: '', summary: 'Print the trail\'s current end, to keep outside the keystore', positionals: 0, needs: 'kms',
  async run({ kms, out }) {
    const anchor = await kms.audit.anchor()
    out.result(anchor, () => fields([['Records', String(anchor.seq)], ['Fingerprint', anchor.hash], ['Chains', String(Object.keys(anchor.chains ?? {}).length)]]))
  },
}

export const auditQuery: Command = {
  name: 'audit query', args: '', summary: 'Show audit records, oldest first (every chain, merged by time)', positionals: 0, needs: 'kms',
  options: {
    ...filters,
    limit: { type: 'string', value: 'N', description: 'at most N records, 1 to 1000 (default 100)' },
    cursor: { type: 'string', value: 'CURSOR', description: 'continue after a previous page (its nextCursor)' },
  },
  async run({ kms, values, out }) {
    const limit = integerOption(stringValue(values, 'limit'), 'limit', 1, 1000)
    const cursor = stringValue(values, 'cursor')
    const page = await kms.audit.query({ ...query(values), ...(limit === undefined ? {} : { limit }), ...(cursor === undefined ? {} : { cursor }) })
    out.result(page, () => [
      // Each engine (each command line, each process of a fleet) writes a chain of its own: a record is chain and position.
      ...table(['CHAIN', 'SEQ', 'TIME', 'PRINCIPAL', 'ACTION', 'RESULT', 'KEY ID'], page.records.map((r) => [
        r.chain, String(r.seq), r.eventTime, r.principal, r.eventName, r.errorCode === undefined ? r.result : `${r.result} (${r.errorCode})`, r.keyId ?? '-',
      ])),
      ...(page.nextCursor === undefined ? [] : [`(more: --cursor ${page.nextCursor})`]),
    ])
  },
}

export const auditExport: Command = {
  name: 'audit export', args: '', summary: 'Write every matching record as JSON lines on stdout', positionals: 0, needs: 'kms',
  options: filters,
  async run({ kms, values, out }) {
    for await (const line of kms.audit.export(query(values))) await out.bytes(Buffer.from(line))
  },
}
