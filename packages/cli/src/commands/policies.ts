/**
 * Policies for principals: `policy create` stores a named policy document (JSON, the
 * AWS-style `Statement` list without `Principal`), `policy attach` / `detach` grant it to
 * or take it from a principal, `policy list` shows them all or one principal's.
 *
 * ```sh
 * strongroom policy create app-decrypt --document app-decrypt.json --description "the web app"
 * strongroom policy attach app-decrypt web-app
 * strongroom policy list --principal web-app
 * ```
 */
import { readFile } from 'node:fs/promises'
import type { PolicyInfo } from '@strongroom/core'
import { positional } from '../args.js'
import { stringValue, type Command } from '../command.js'
import { UsageError } from '../errors.js'
import { table } from '../output.js'
import { allPages } from './keys.js'

const NAME = 'NAME (the policy name)'
const PRINCIPAL = 'PRINCIPAL (who the policy applies to)'

export const policyCreate: Command = {
  name: 'policy create', args: 'NAME', summary: 'Create a policy from a JSON document', positionals: 1, needs: 'kms',
  options: {
    document: { type: 'string', value: 'FILE', description: 'the policy document, JSON (- for stdin)' },
    description: { type: 'string', value: 'TEXT', description: 'what the policy is for' },
  },
  async run({ kms, positionals, values, io, out }) {
    const policyName = positional(positionals, 0, NAME)
    const path = stringValue(values, 'document')
    if (path === undefined) throw new UsageError('missing --document FILE (a JSON policy document)')
    let text: string
    if (path === '-') {
      const chunks: Buffer[] = []
      for await (const chunk of io.stdin as AsyncIterable<Buffer | string>) chunks.push(Buffer.from(chunk))
      text = Buffer.concat(chunks).toString('utf8')
    } else {
      text = await readFile(path, 'utf8')
    }
    const description = stringValue(values, 'description')
    // The engine parses and validates the document (a JSON string is accepted as is).
    const { policy } = await kms.createPolicy({ policyName, policyDocument: text, ...(description === undefined ? {} : { description }) })
    out.result({ policy }, () => [`Created policy ${policy.policyName}`])
  },
}

export const policyAttach: Command = {
  name: 'policy attach', args: 'NAME PRINCIPAL', summary: 'Attach a policy to a principal', positionals: 2, needs: 'kms',
  async run({ kms, positionals, out }) {
    const policyName = positional(positionals, 0, NAME)
    const principal = positional(positionals, 1, PRINCIPAL)
    await kms.attachPolicy({ policyName, principal })
    out.result({ policyName, principal }, () => [`Attached ${policyName} to ${principal}`])
  },
}

export const policyDetach: Command = {
  name: 'policy detach', args: 'NAME PRINCIPAL', summary: 'Detach a policy from a principal', positionals: 2, needs: 'kms',
  async run({ kms, positionals, out }) {
    const policyName = positional(positionals, 0, NAME)
    const principal = positional(positionals, 1, PRINCIPAL)
    await kms.detachPolicy({ policyName, principal })
    out.result({ policyName, principal }, () => [`Detached ${policyName} from ${principal}`])
  },
}

export const policyList: Command = {
  name: 'policy list', args: '', summary: 'List policies (all, or those attached to --principal)', positionals: 0, needs: 'kms',
  options: { principal: { type: 'string', value: 'PRINCIPAL', description: 'only the policies attached to this principal' } },
  async run({ kms, values, out }) {
    const principal = stringValue(values, 'principal')
    const policies: PolicyInfo[] = principal === undefined
      ? await allPages((marker) => kms.listPolicies({ pageSize: 100, marker }).then((r) => ({ nextMarker: r.nextMarker, items: r.policies })))
      : [...(await kms.listPoliciesForPrincipal({ principal })).policies]
    out.result({ policies }, () => policies.length === 0
      ? [principal === undefined ? 'No policies yet (create one with: strongroom policy create NAME --document FILE)' : `No policies attached to ${principal}`]
      : table(['POLICY', 'UPDATED', 'DESCRIPTION'], policies.map((p) => [p.policyName, p.updateDate, p.description])))
  },
}
