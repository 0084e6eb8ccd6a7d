/**
 * Alias commands: `alias create|update|delete|list`. An alias (`alias/NAME`) names a key
 * wherever a key is expected, and can be moved to another key (e.g. after re-keying).
 *
 * ```sh
 * strongroom alias create alias/backup 0f1e2d3c-…
 * strongroom alias list --key alias/backup
 * ```
 */
import { positional } from '../args.js'
import { stringValue, type Command } from '../command.js'
import { table } from '../output.js'
import { allPages } from './keys.js'

const ALIAS = 'ALIAS (alias/NAME)'
const KEY = 'KEY (a key id, resource name or alias/NAME)'

export const aliasCreate: Command = {
  name: 'alias create', args: 'ALIAS KEY', summary: 'Name a key', positionals: 2, needs: 'kms',
  async run({ kms, positionals, out }) {
    const aliasName = positional(positionals, 0, ALIAS)
    const keyId = (await kms.describeKey({ keyId: positional(positionals, 1, KEY) })).keyMetadata.keyId
    await kms.createAlias({ aliasName, keyId })
    out.result({ aliasName, keyId }, () => [`${aliasName} → ${keyId}`])
  },
}

export const aliasUpdate: Command = {
  name: 'alias update', args: 'ALIAS KEY', summary: 'Point an alias at another key', positionals: 2, needs: 'kms',
  async run({ kms, positionals, out }) {
    const aliasName = positional(positionals, 0, ALIAS)
    const keyId = (await kms.describeKey({ keyId: positional(positionals, 1, KEY) })).keyMetadata.keyId
    await kms.updateAlias({ aliasName, keyId })
    out.result({ aliasName, keyId }, () => [`${aliasName} → ${keyId}`])
  },
}

export const aliasDelete: Command = {
  name: 'alias delete', args: 'ALIAS', summary: 'Remove an alias (the key stays)', positionals: 1, needs: 'kms',
  async run({ kms, positionals, out }) {
    const aliasName = positional(positionals, 0, ALIAS)
    await kms.deleteAlias({ aliasName })
    out.result({ aliasName }, () => [`Deleted ${aliasName}`])
  },
}

export const aliasList: Command = {
  name: 'alias list', args: '', summary: 'List aliases (all, or one key\'s)', positionals: 0, needs: 'kms',
  options: { key: { type: 'string', value: 'KEY', description: 'only the aliases of this key' } },
  async run({ kms, values, out }) {
    const key = stringValue(values, 'key')
    const aliases = await allPages((marker) => (key === undefined
      ? kms.listAliases({ pageSize: 100, marker })
      : kms.listAliasesByKeyId({ keyId: key, pageSize: 100, marker })).then((r) => ({ nextMarker: r.nextMarker, items: r.aliases })))
    out.result({ aliases }, () => aliases.length === 0 ? ['No aliases'] : table(['ALIAS', 'KEY ID'], aliases.map((a) => [a.aliasName, a.keyId])))
  },
}
