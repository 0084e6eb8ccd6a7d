/**
 * `encrypt` and `decrypt` of small values (at most 6 KiB, the engine's Encrypt limit) with
 * the engine directly: the result is an engine ciphertext blob, base64 on stdout or raw
 * bytes in a file. Larger data belongs in `encrypt-file`.
 *
 * ```sh
 * printf 'db password' | strongroom encrypt --key alias/app --context app=web > secret.b64
 * strongroom decrypt --in secret.b64 --context app=web
 * ```
 *
 * The plaintext comes from a file or stdin, never from an argument (it would be in shell
 * history). Decrypted bytes go to stdout or a new file with mode 0600, and are wiped from
 * memory once written.
 */
import { MAX_ENCRYPT_PLAINTEXT_BYTES } from '@strongroom/core'
import { contextOption } from '../args.js'
import { flag, stringValue, stringValues, type Command } from '../command.js'
import { UsageError } from '../errors.js'
import { rawOrBase64, readInput, writeOutput } from '../io.js'

/** Engine blobs start with their format version byte (0x01), never a base64 character. */
const decodeBlob = (input: Uint8Array): Uint8Array => rawOrBase64(input, 0x01)

const context = { type: 'string', multiple: true, value: 'KEY=VALUE', description: 'encryption context pair; decrypt needs the same pairs' } as const

export const encrypt: Command = {
  name: 'encrypt', args: '', summary: 'Encrypt a small value (≤ 6 KiB) from a file or stdin', positionals: 0, needs: 'kms',
  options: {
    key: { type: 'string', value: 'KEY', description: 'the key to encrypt under (id, resource name or alias/NAME)' },
    context,
    in: { type: 'string', value: 'FILE', description: 'read the value from FILE (default: stdin)' },
    out: { type: 'string', value: 'FILE', description: 'write the raw ciphertext blob to FILE instead of base64 on stdout' },
    force: { type: 'boolean', description: 'replace an existing --out file' },
  },
  async run({ kms, values, io, out }) {
    const keyId = stringValue(values, 'key')
    if (keyId === undefined) throw new UsageError('missing --key KEY')
    const encryptionContext = contextOption(stringValues(values, 'context'))
    // One byte over the limit is enough for the engine to refuse it with its own message.
    const plaintext = await readInput(io, stringValue(values, 'in'), MAX_ENCRYPT_PLAINTEXT_BYTES + 1, 'value')
    if (plaintext.length === 0) throw new UsageError('nothing to encrypt: the input is empty')
    try {
      const result = await kms.encrypt({ keyId, plaintext, ...(encryptionContext === undefined ? {} : { encryptionContext }) })
      const outPath = stringValue(values, 'out')
      if (outPath !== undefined) await writeOutput(outPath, result.ciphertextBlob, { force: flag(values, 'force'), mode: 0o644 })
      out.result(result, () => outPath === undefined ? [Buffer.from(result.ciphertextBlob).toString('base64')] : [])
    } finally {
      plaintext.fill(0)
    }
  },
}

export const decrypt: Command = {
  name: 'decrypt', args: '', summary: 'Decrypt a value made by encrypt (raw or base64)', positionals: 0, needs: 'kms',
  options: {
    context,
    in: { type: 'string', value: 'FILE', description: 'read the ciphertext from FILE (default: stdin)' },
    ciphertext: { type: 'string', value: 'BASE64', description: 'the ciphertext blob itself, base64' },
    out: { type: 'string', value: 'FILE', description: 'write the plaintext to FILE (mode 0600) instead of stdout' },
    base64: { type: 'boolean', description: 'print the plaintext as base64' },
    force: { type: 'boolean', description: 'replace an existing --out file' },
  },
  async run({ kms, values, io, out }) {
    const inline = stringValue(values, 'ciphertext')
    if (inline !== undefined && stringValue(values, 'in') !== undefined) throw new UsageError('pass either --ciphertext or --in, not both')
    // A blob is the plaintext plus 78 bytes; base64 makes it 4/3 longer.
    const input = inline === undefined
      ? await readInput(io, stringValue(values, 'in'), 16 * 1024, 'ciphertext')
      : new Uint8Array(Buffer.from(inline))
    const encryptionContext = contextOption(stringValues(values, 'context'))
    const result = await kms.decrypt({ ciphertextBlob: decodeBlob(input), ...(encryptionContext === undefined ? {} : { encryptionContext }) })
    const { plaintext } = result
    try {
      const outPath = stringValue(values, 'out')
      if (outPath !== undefined) {
        await writeOutput(outPath, plaintext, { force: flag(values, 'force'), mode: 0o600 })
        out.result({ keyId: result.keyId, keyVersionId: result.keyVersionId, out: outPath }, () => [])
      } else if (out.json || flag(values, 'base64')) {
        out.result(result, () => [Buffer.from(plaintext).toString('base64')])
      } else {
        await out.bytes(plaintext)
      }
    } finally {
      plaintext.fill(0)
    }
  },
}
