/**
 * Key commands: create-key, list-keys, describe-key, enable-key, disable-key, rotate,
 * schedule-deletion, cancel-deletion. Each is one or two engine calls; `--json` prints
 * the engine's response shapes (without `requestId`).
 *
 * ```sh
 * strongroom create-key --description "backups" --alias alias/backup --rotation-interval 90d
 * strongroom schedule-deletion alias/old --days 7
 * ```
 */
import type { Kms, KeyMetadata, KeyOrigin, KeySpec, KeyUsage } from '@strongroom/core'
import { integerOption, keyValuePairs, positional } from '../args.js'
import { stringValue, stringValues, type Command } from '../command.js'
import { fields, formatPeriod, table } from '../output.js'

const KEY = 'KEY (a key id, resource name or alias/NAME)'

/** Every page of a paged engine listing, walked by its cursor (each page costs its own entries). */
export async function allPages<T>(fetch: (marker: string | undefined) => Promise<{ readonly nextMarker?: string | undefined; readonly items: readonly T[] }>): Promise<T[]> {
  const out: T[] = []
  let marker: string | undefined
  do {
    const page = await fetch(marker)
    out.push(...page.items)
    marker = page.nextMarker
  } while (marker !== undefined)
  return out
}

async function aliasesByKey(kms: Kms): Promise<Map<string, string[]>> {
  const aliases = await allPages((marker) =>
    kms.listAliases({ pageSize: 100, marker }).then((r) => ({ nextMarker: r.nextMarker, items: r.aliases })))
  const map = new Map<string, string[]>()
  for (const a of aliases) map.set(a.keyId, [...(map.get(a.keyId) ?? []), a.aliasName])
  return map
}

async function keyAliases(kms: Kms, keyId: string): Promise<string[]> {
  const aliases = await allPages((marker) =>
    kms.listAliasesByKeyId({ keyId, pageSize: 100, marker }).then((r) => ({ nextMarker: r.nextMarker, items: r.aliases })))
  return aliases.map((a) => a.aliasName)
}

function describeLines(m: KeyMetadata, aliases: readonly string[], versions?: number, tags?: readonly { tagKey: string; tagValue: string }[]): string[] {
  return fields([
    ['Key ID', m.keyId],
    ['ARN', m.arn],
    ['State', m.keyState],
    ['Description', m.description],
    ['Spec', m.keySpec],
    ['Usage', m.keyUsage],
    ['Origin', m.origin],
    ['Aliases', aliases.join(', ')],
    ['Created', m.creationDate],
    ['Primary version', m.primaryKeyVersion],
    ['Versions', versions === undefined ? undefined : String(versions)],
    ['Rotation', m.automaticRotation === 'Enabled' ? `every ${m.rotationInterval === undefined ? '?' : formatPeriod(m.rotationInterval)}, next ${m.nextRotationDate ?? '?'}` : 'manual'],
    ['Last rotated', m.lastRotationDate],
    ['Deletion date', m.deleteDate],
    ['Deletion protection', m.deletionProtection === 'Enabled' ? 'on' : undefined],
    ['Tags', tags?.map((t) => `${t.tagKey}=${t.tagValue}`).join(', ')],
  ])
}

export const createKey: Command = {
  name: 'create-key', args: '', summary: 'Create a master key (AES-256 unless --spec says otherwise: EC, RSA, Ed25519, HMAC)', positionals: 0, needs: 'kms',
  options: {
    description: { type: 'string', value: 'TEXT', description: 'what the key is for' },
    spec: { type: 'string', value: 'SPEC', description: 'Aliyun_AES_256 (default), Aliyun_AES_128; EC_P256, EC_P384, EC_P521, EC_P256K, ED25519, RSA_2048/3072/4096; HMAC_SHA_224/256/384/512' },
    usage: { type: 'string', value: 'USAGE', description: 'ENCRYPT/DECRYPT, SIGN/VERIFY or GENERATE/VERIFY_MAC (default: the spec\'s first)' },
    origin: { type: 'string', value: 'ORIGIN', description: 'Aliyun_KMS (default) or EXTERNAL (import your own material)' },
    alias: { type: 'string', value: 'alias/NAME', description: 'also create this alias for the key' },
    'rotation-interval': { type: 'string', value: 'PERIOD', description: 'rotate automatically, e.g. 90d (7d to 365d)' },
    tag: { type: 'string', multiple: true, value: 'KEY=VALUE', description: 'a tag' },
  },
  async run({ kms, values, out }) {
    const spec = stringValue(values, 'spec')
    const interval = stringValue(values, 'rotation-interval')
    const usage = stringValue(values, 'usage')
    const origin = stringValue(values, 'origin')
    const tags = Object.entries(keyValuePairs(stringValues(values, 'tag'), 'tag')).map(([tagKey, tagValue]) => ({ tagKey, tagValue }))
    const description = stringValue(values, 'description')
    const { keyMetadata } = await kms.createKey({
      ...(description === undefined ? {} : { description }),
      ...(spec === undefined ? {} : { keySpec: spec as KeySpec }),
      ...(usage === undefined ? {} : { keyUsage: usage as KeyUsage }),
      ...(origin === undefined ? {} : { origin: origin as KeyOrigin }),
      ...(interval === undefined ? {} : { enableAutomaticRotation: true, rotationInterval: interval }),
      ...(tags.length === 0 ? {} : { tags }),
    })
    const alias = stringValue(values, 'alias')
    if (alias !== undefined) await kms.createAlias({ aliasName: alias, keyId: keyMetadata.keyId })
    const aliases = alias === undefined ? [] : [alias]
    out.result({ keyMetadata, aliases }, () => describeLines(keyMetadata, aliases))
  },
}

export const listKeys: Command = {
  name: 'list-keys', args: '', summary: 'List every key with its state, aliases and description', positionals: 0, needs: 'kms',
  async run({ kms, out }) {
    const ids = await allPages((marker) =>
      kms.listKeys({ pageSize: 100, marker }).then((r) => ({ nextMarker: r.nextMarker, items: r.keys })))
    const aliases = await aliasesByKey(kms)
    const keys: { keyId: string; keyArn: string; keyState: string; keySpec: string; description: string; creationDate: string; aliases: string[]; deleteDate?: string }[] = []
    for (const { keyId } of ids) {
      const m = (await kms.describeKey({ keyId })).keyMetadata
      keys.push({
        keyId: m.keyId, keyArn: m.arn, keyState: m.keyState, keySpec: m.keySpec, description: m.description,
        creationDate: m.creationDate, aliases: aliases.get(m.keyId) ?? [],
        ...(m.deleteDate === undefined ? {} : { deleteDate: m.deleteDate }),
      })
    }
    out.result({ keys }, () => keys.length === 0
      ? ['No keys yet (create one with: strongroom create-key)']
      : table(['KEY ID', 'STATE', 'SPEC', 'ALIASES', 'DESCRIPTION'],
        keys.map((k) => [k.keyId, k.keyState, k.keySpec, k.aliases.join(',') || '-', k.description])))
  },
}

export const describeKey: Command = {
  name: 'describe-key', args: 'KEY', summary: 'Show a key: state, versions, rotation, aliases, tags', positionals: 1, needs: 'kms',
  async run({ kms, positionals, out }) {
    const keyId = positional(positionals, 0, KEY)
    const { keyMetadata } = await kms.describeKey({ keyId })
    const id = keyMetadata.keyId
    const aliases = await keyAliases(kms, id)
    const keyVersions = await allPages((marker) =>
      kms.listKeyVersions({ keyId: id, pageSize: 100, marker }).then((r) => ({ nextMarker: r.nextMarker, items: r.keyVersions })))
    const tags = (await kms.listResourceTags({ keyId: id })).tags.map(({ tagKey, tagValue }) => ({ tagKey, tagValue }))
    out.result({ keyMetadata, aliases, keyVersions, tags }, () => describeLines(keyMetadata, aliases, keyVersions.length, tags))
  },
}

function stateCommand(name: string, summary: string, change: (kms: Kms, keyId: string) => Promise<unknown>, verb: string): Command {
  return {
    name, args: 'KEY', summary, positionals: 1, needs: 'kms',
    async run({ kms, positionals, out }) {
      const ref = positional(positionals, 0, KEY)
      await change(kms, ref)
      const { keyMetadata } = await kms.describeKey({ keyId: ref })
      out.result({ keyId: keyMetadata.keyId, keyState: keyMetadata.keyState }, () => [`${verb} key ${keyMetadata.keyId} (now ${keyMetadata.keyState})`])
    },
  }
}

export const enableKey = stateCommand('enable-key', 'Enable a disabled key', (kms, keyId) => kms.enableKey({ keyId }), 'Enabled')
export const disableKey = stateCommand('disable-key', 'Disable a key: it can neither encrypt nor decrypt until enabled', (kms, keyId) => kms.disableKey({ keyId }), 'Disabled')
export const cancelDeletion = stateCommand('cancel-deletion', 'Cancel a scheduled deletion', (kms, keyId) => kms.cancelKeyDeletion({ keyId }), 'Kept')

export const rotate: Command = {
  name: 'rotate', args: 'KEY', summary: 'Rotate now: a new version encrypts from now on; older versions still decrypt', positionals: 1, needs: 'kms',
  async run({ kms, positionals, out }) {
    const { keyVersion } = await kms.createKeyVersion({ keyId: positional(positionals, 0, KEY) })
    out.result({ keyVersion }, () => [`Rotated key ${keyVersion.keyId}: new primary version ${keyVersion.keyVersionId}`])
  },
}

export const scheduleDeletion: Command = {
  name: 'schedule-deletion', args: 'KEY', summary: 'Delete a key after a waiting period (its data becomes unreadable then)', positionals: 1, needs: 'kms',
  options: { days: { type: 'string', value: 'N', description: 'waiting period in days, 7 to 366 (default 30)' } },
  async run({ kms, positionals, values, out }) {
    const ref = positional(positionals, 0, KEY)
    const days = integerOption(stringValue(values, 'days'), 'days', 7, 366) ?? 30
    await kms.scheduleKeyDeletion({ keyId: ref, pendingWindowInDays: days })
    const { keyMetadata: m } = await kms.describeKey({ keyId: ref })
    out.result({ keyId: m.keyId, keyState: m.keyState, deleteDate: m.deleteDate }, () => [
      `Key ${m.keyId} will be deleted on ${m.deleteDate ?? '?'} (undo with: strongroom cancel-deletion ${m.keyId})`,
    ])
  },
}
