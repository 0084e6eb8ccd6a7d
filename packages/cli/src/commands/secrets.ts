/**
 * Secret commands: `secret put|get|list|describe|delete|restore|rotate`. A secret is a
 * versioned value (a password, a token, a private key) kept encrypted in the keystore;
 * ACSCurrent marks the version `get` returns.
 *
 * ```sh
 * printf 'hunter2' | strongroom secret put db/password
 * strongroom secret get db/password                       # the value, on stdout
 * strongroom secret rotate db/password --length 40        # a new random password becomes ACSCurrent
 * ```
 *
 * Values come from stdin or `--file`, never from an argument (it would be in shell history
 * and the process list). `get` writes the bytes as they are, to stdout or a new file with
 * mode 0600; read buffers are wiped once written.
 */
import { randomUUID } from 'node:crypto'
import { MAX_SECRET_DATA_BYTES, type Kms, type SecretMetadata } from '@strongroom/core'
import { integerOption, keyValuePairs, positional } from '../args.js'
import { flag, stringValue, stringValues, type Command } from '../command.js'
import { UsageError } from '../errors.js'
import { readInput, writeOutput } from '../io.js'
import { table } from '../output.js'

const NAME = 'NAME (a secret name, e.g. db/password)'
const FILTER_KEYS = ['SecretName', 'Description', 'TagKey', 'TagValue'] as const

/** The value to store: text unless --binary (then bytes as they are). */
async function readValue(context: Parameters<Command['run']>[0]): Promise<string | Uint8Array> {
  const { io, values } = context
  const bytes = await readInput(io, stringValue(values, 'file'), MAX_SECRET_DATA_BYTES + 1, 'secret value')
  if (bytes.length === 0) throw new UsageError('nothing to store: the input is empty')
  if (flag(values, 'binary')) return bytes
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch {
    throw new UsageError('the value is not UTF-8 text: store it with --binary')
  } finally {
    if (!flag(values, 'binary')) bytes.fill(0)
  }
}

async function exists(kms: Kms, secretName: string): Promise<boolean> {
  try {
    await kms.describeSecret({ secretName })
    return true
  } catch (error) {
    if ((error as { code?: unknown }).code === 'Forbidden.ResourceNotFound') return false
    throw error
  }
}

export const secretPut: Command = {
  name: 'secret put', args: 'NAME', summary: 'Store a secret value from stdin or a file (a new secret, or its new ACSCurrent version)', positionals: 1, needs: 'kms',
  options: {
    file: { type: 'string', value: 'FILE', description: 'read the value from FILE (default: stdin)' },
    binary: { type: 'boolean', description: 'store the bytes as a binary value (default: UTF-8 text)' },
    'version-id': { type: 'string', value: 'ID', description: 'the new version\'s id (default: a random UUID)' },
    stage: { type: 'string', multiple: true, value: 'STAGE', description: 'stage of the new version (default ACSCurrent)' },
    key: { type: 'string', value: 'KEY', description: 'a new secret\'s master key (default: the keystore\'s secrets key)' },
    description: { type: 'string', value: 'TEXT', description: 'a new secret\'s description' },
    tag: { type: 'string', multiple: true, value: 'KEY=VALUE', description: 'a new secret\'s tag' },
  },
  async run(context) {
    const { kms, values, positionals, out } = context
    const secretName = positional(positionals, 0, NAME)
    const versionId = stringValue(values, 'version-id') ?? randomUUID()
    const secretData = await readValue(context)
    try {
      if (await exists(kms, secretName)) {
        for (const option of ['key', 'description', 'tag']) {
          if (values[option] !== undefined) throw new UsageError(`--${option} applies to a new secret; ${secretName} exists`)
        }
        const stages = stringValues(values, 'stage')
        const result = await kms.putSecretValue({ secretName, versionId, secretData, ...(stages === undefined ? {} : { versionStages: stages }) })
        out.result(result, () => [`Stored ${secretName} version ${versionId} (${result.versionStages.join(', ') || 'no stage'})`])
        return
      }
      if (values['stage'] !== undefined) throw new UsageError('--stage applies to a new version of an existing secret (the first is ACSCurrent)')
      const key = stringValue(values, 'key')
      const description = stringValue(values, 'description')
      const tags = Object.entries(keyValuePairs(stringValues(values, 'tag'), 'tag')).map(([tagKey, tagValue]) => ({ tagKey, tagValue }))
      const result = await kms.createSecret({
        secretName, versionId, secretData, ...(key === undefined ? {} : { encryptionKeyId: key }),
        ...(description === undefined ? {} : { description }), ...(tags.length === 0 ? {} : { tags }),
      })
      out.result(result, () => [`Created ${secretName} version ${versionId} (ACSCurrent)`])
    } finally {
      if (secretData instanceof Uint8Array) secretData.fill(0)
    }
  },
}

export const secretGet: Command = {
  name: 'secret get', args: 'NAME', summary: 'Print a secret value (ACSCurrent, or a version or stage)', positionals: 1, needs: 'kms',
  options: {
    'version-id': { type: 'string', value: 'ID', description: 'this version' },
    stage: { type: 'string', value: 'STAGE', description: 'the version with this stage (e.g. ACSPrevious)' },
    out: { type: 'string', value: 'FILE', description: 'write the value to FILE (mode 0600) instead of stdout' },
    force: { type: 'boolean', description: 'replace an existing --out file' },
  },
  async run({ kms, values, positionals, out }) {
    const secretName = positional(positionals, 0, NAME)
    const versionId = stringValue(values, 'version-id')
    const versionStage = stringValue(values, 'stage')
    const result = await kms.getSecretValue({
      secretName, ...(versionId === undefined ? {} : { versionId }), ...(versionStage === undefined ? {} : { versionStage }),
    })
    const bytes = result.secretDataType === 'binary' ? result.secretData : new Uint8Array(Buffer.from(result.secretData, 'utf8'))
    try {
      const outPath = stringValue(values, 'out')
      if (outPath !== undefined) {
        await writeOutput(outPath, bytes, { force: flag(values, 'force'), mode: 0o600 })
        out.result({ secretName, versionId: result.versionId, versionStages: result.versionStages, out: outPath }, () => [])
      } else if (out.json) {
        out.result(result, () => [])
      } else {
        await out.bytes(bytes)
      }
    } finally {
      bytes.fill(0)
    }
  },
}

export const secretList: Command = {
  name: 'secret list', args: '', summary: 'List secrets (names, never values)', positionals: 0, needs: 'kms',
  options: {
    filter: { type: 'string', multiple: true, value: 'KEY=VALUE', description: `only secrets matching (KEY: ${FILTER_KEYS.join(', ')})` },
  },
  async run({ kms, values, out }) {
    const filters = Object.entries(keyValuePairs(stringValues(values, 'filter'), 'filter')).map(([key, value]) => {
      if (!(FILTER_KEYS as readonly string[]).includes(key)) throw new UsageError(`--filter KEY must be one of ${FILTER_KEYS.join(', ')}`)
      return { key: key as (typeof FILTER_KEYS)[number], values: [value] }
    })
    const secrets: SecretMetadata[] = []
    let nextToken: string | undefined
    do {
      const page = await kms.listSecrets({ pageSize: 100, ...(filters.length === 0 ? {} : { filters }), ...(nextToken === undefined ? {} : { nextToken }) })
      secrets.push(...page.secretList)
      nextToken = page.nextToken
    } while (nextToken !== undefined)
    out.result({ secrets }, () => secrets.length === 0 ? ['No secrets'] : table(
      ['NAME', 'UPDATED', 'ROTATION', 'DELETES'],
      secrets.map((s) => [s.secretName, s.updateTime, s.automaticRotation === 'Enabled' ? s.rotationInterval! : '-', s.plannedDeleteTime ?? '-']),
    ))
  },
}

export const secretDescribe: Command = {
  name: 'secret describe', args: 'NAME', summary: 'Show a secret\'s metadata and versions (never its values)', positionals: 1, needs: 'kms',
  async run({ kms, positionals, out }) {
    const secretName = positional(positionals, 0, NAME)
    const metadata = await kms.describeSecret({ secretName })
    const { versionIds } = await kms.listSecretVersionIds({ secretName, includeDeprecated: true, pageSize: 100 })
    out.result({ ...metadata, versions: versionIds }, () => [
      `Name:        ${metadata.secretName}`,
      `Resource:    ${metadata.arn}`,
      `Description: ${metadata.description}`,
      `Master key:  ${metadata.encryptionKeyId}`,
      `Created:     ${metadata.createTime}`,
      `Updated:     ${metadata.updateTime}`,
      `Rotation:    ${metadata.automaticRotation === 'Enabled' ? `every ${metadata.rotationInterval}, next ${metadata.nextRotationDate}` : 'manual'}`,
      ...(metadata.plannedDeleteTime === undefined ? [] : [`Deletes:     ${metadata.plannedDeleteTime} (restore with: strongroom secret restore ${secretName})`]),
      ...(metadata.tags.length === 0 ? [] : [`Tags:        ${metadata.tags.map((t) => `${t.tagKey}=${t.tagValue}`).join(', ')}`]),
      '',
      ...table(['VERSION', 'CREATED', 'STAGES'], versionIds.map((v) => [v.versionId, v.createTime, v.versionStages.join(', ') || '-'])),
    ])
  },
}

export const secretDelete: Command = {
  name: 'secret delete', args: 'NAME', summary: 'Delete a secret after a recovery window (7-30 days, default 30), or at once', positionals: 1, needs: 'kms',
  options: {
    'recovery-window-days': { type: 'string', value: 'DAYS', description: 'days before it is purged (7-30, default 30)' },
    'force-delete-without-recovery': { type: 'boolean', description: 'purge it now, with every version: it cannot be restored' },
  },
  async run({ kms, values, positionals, out }) {
    const secretName = positional(positionals, 0, NAME)
    const days = integerOption(stringValue(values, 'recovery-window-days'), 'recovery-window-days', 7, 30)
    const force = flag(values, 'force-delete-without-recovery')
    const result = await kms.deleteSecret({
      secretName, ...(days === undefined ? {} : { recoveryWindowInDays: days }), ...(force ? { forceDeleteWithoutRecovery: true } : {}),
    })
    out.result(result, () => [result.plannedDeleteTime === undefined ? `Purged ${secretName}` : `${secretName} will be purged at ${result.plannedDeleteTime}`])
  },
}

export const secretRestore: Command = {
  name: 'secret restore', args: 'NAME', summary: 'Cancel the deletion of a secret in its recovery window', positionals: 1, needs: 'kms',
  async run({ kms, positionals, out }) {
    const secretName = positional(positionals, 0, NAME)
    const result = await kms.restoreSecret({ secretName })
    out.result(result, () => [`Restored ${secretName}`])
  },
}

export const secretRotate: Command = {
  name: 'secret rotate', args: 'NAME', summary: 'Make a new random password the secret\'s ACSCurrent (the old one becomes ACSPrevious)', positionals: 1, needs: 'kms',
  options: {
    length: { type: 'string', value: 'N', description: 'password length (8-128, default 32)' },
    'exclude-punctuation': { type: 'boolean', description: 'letters and digits only' },
    'version-id': { type: 'string', value: 'ID', description: 'the new version\'s id (default: a random UUID)' },
  },
  // The rotation function: a password from the engine's own CSPRNG (getRandomPassword).
  engineOptions(values, engine) {
    const passwordLength = integerOption(stringValue(values, 'length'), 'length', 8, 128)
    const excludePunctuation = flag(values, 'exclude-punctuation')
    return {
      secretRotation: async () => (await engine().getRandomPassword({
        ...(passwordLength === undefined ? {} : { passwordLength }), ...(excludePunctuation ? { excludePunctuation } : {}),
      })).randomPassword,
    }
  },
  async run({ kms, values, positionals, out }) {
    const secretName = positional(positionals, 0, NAME)
    const versionId = stringValue(values, 'version-id')
    const result = await kms.rotateSecret({ secretName, ...(versionId === undefined ? {} : { versionId }) })
    out.result(result, () => [`Rotated ${secretName}: version ${result.versionId} is ACSCurrent`])
  },
}
