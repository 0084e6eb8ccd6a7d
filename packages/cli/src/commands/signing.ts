/**
 * Signatures and MACs: `sign`, `verify` and `get-public-key` with an asymmetric key
 * (`create-key --spec EC_P256`), `mac` and `verify-mac` with an HMAC key
 * (`create-key --spec HMAC_SHA_256`). The message comes from a file or stdin (1 B to
 * 4 KiB; with `--digest`, a 32-byte SHA-256 digest instead); signatures and MACs are
 * base64 on stdout, or raw bytes in `--out`.
 *
 * ```sh
 * strongroom sign --key alias/release --in notes.txt > notes.sig
 * strongroom verify --key alias/release --in notes.txt --signature "$(cat notes.sig)"   # exit 0, or 1 when invalid
 * strongroom get-public-key alias/release --out release.pem
 * ```
 *
 * A signature or MAC that does not verify exits with status 1 (`InvalidSignature`,
 * `InvalidMac`), so `verify … && deploy` is safe in a script.
 */
import { readFile } from 'node:fs/promises'
import type { Kms } from '@strongroom/core'
import { positional } from '../args.js'
import { flag, stringValue, type Command, type OptionValues } from '../command.js'
import { UsageError, VerificationFailed } from '../errors.js'
import { rawOrBase64, readInput, writeOutput } from '../io.js'
import { fields } from '../output.js'

type SigningAlgorithm = Parameters<Kms['asymmetricSign']>[0]['algorithm']
type HmacAlgorithm = Parameters<Kms['generateMac']>[0]['macAlgorithm']

/** The engine's message limit for signing and MACs: 4 KiB. */
const MESSAGE_LIMIT = 4096

const keyOption = { type: 'string', value: 'KEY', description: 'the key (id, resource name or alias/NAME)' } as const
const inOption = { type: 'string', value: 'FILE', description: 'read the message from FILE (default: stdin)' } as const

function requireKey(values: OptionValues): string {
  const keyId = stringValue(values, 'key')
  if (keyId === undefined) throw new UsageError('missing --key KEY')
  return keyId
}

/** The message (or with --digest, the 32-byte digest) to sign or verify. */
async function signingInput(context: { values: OptionValues; io: Parameters<typeof readInput>[0] }): Promise<{ message: Uint8Array } | { digest: Uint8Array }> {
  const bytes = await readInput(context.io, stringValue(context.values, 'in'), MESSAGE_LIMIT + 1, 'message')
  if (bytes.length === 0) throw new UsageError('nothing to sign: the input is empty')
  return flag(context.values, 'digest') ? { digest: bytes } : { message: bytes }
}

/** A signature or MAC given inline (base64) or as a file (raw, or base64 text). */
async function givenValue(values: OptionValues, name: string): Promise<Uint8Array> {
  const inline = stringValue(values, name)
  const file = stringValue(values, `${name}-file`)
  if ((inline === undefined) === (file === undefined)) throw new UsageError(`pass the ${name} with --${name} BASE64 or --${name}-file FILE`)
  if (inline !== undefined) return new Uint8Array(Buffer.from(inline, 'base64'))
  return rawOrBase64(new Uint8Array(await readFile(file!)))
}

/** `--algorithm`, or the first the key supports. */
async function signingAlgorithm(kms: Kms, keyId: string, values: OptionValues): Promise<SigningAlgorithm> {
  const named = stringValue(values, 'algorithm')
  if (named !== undefined) return named as SigningAlgorithm
  const { signingAlgorithms } = await kms.getPublicKey({ keyId })
  const first = signingAlgorithms?.[0]
  if (first === undefined) throw new UsageError(`${keyId} is not a signing key (create one with: strongroom create-key --spec EC_P256)`)
  return first
}

/** An HMAC key computes the algorithm of its spec. */
async function macAlgorithm(kms: Kms, keyId: string): Promise<HmacAlgorithm> {
  return (await kms.describeKey({ keyId })).keyMetadata.keySpec as HmacAlgorithm
}

async function printBinary(out: { json: boolean; result(value: object, human: () => readonly string[]): void }, values: OptionValues, value: Uint8Array, result: object): Promise<void> {
  const outPath = stringValue(values, 'out')
  if (outPath !== undefined) await writeOutput(outPath, value, { force: flag(values, 'force'), mode: 0o644 })
  out.result(result, () => (outPath === undefined ? [Buffer.from(value).toString('base64')] : []))
}

const signingOptions = {
  key: keyOption,
  in: inOption,
  digest: { type: 'boolean', description: 'the input is a 32-byte SHA-256 digest, not the message' },
  algorithm: { type: 'string', value: 'ALG', description: 'ECDSA_SHA_256, ED25519, RSA_PSS_SHA_256 or RSA_PKCS1_SHA_256 (default: the key\'s first)' },
} as const

export const sign: Command = {
  name: 'sign', args: '', summary: 'Sign a message (≤ 4 KiB) or a SHA-256 digest with an asymmetric key', positionals: 0, needs: 'kms',
  options: {
    ...signingOptions,
    'key-version': { type: 'string', value: 'ID', description: 'sign with this version (default: the primary)' },
    out: { type: 'string', value: 'FILE', description: 'write the raw signature to FILE instead of base64 on stdout' },
    force: { type: 'boolean', description: 'replace an existing --out file' },
  },
  async run({ kms, values, io, out }) {
    const keyId = requireKey(values)
    const input = await signingInput({ values, io })
    const algorithm = await signingAlgorithm(kms, keyId, values)
    const keyVersionId = stringValue(values, 'key-version')
    const result = await kms.asymmetricSign({ keyId, algorithm, ...input, ...(keyVersionId === undefined ? {} : { keyVersionId }) })
    await printBinary(out, values, result.value, result)
  },
}

export const verify: Command = {
  name: 'verify', args: '', summary: 'Check a signature made by sign (exit 1 when it does not verify)', positionals: 0, needs: 'kms',
  options: {
    ...signingOptions,
    signature: { type: 'string', value: 'BASE64', description: 'the signature, base64' },
    'signature-file': { type: 'string', value: 'FILE', description: 'the signature in a file (raw or base64)' },
    'key-version': { type: 'string', value: 'ID', description: 'the version that signed (default: the primary)' },
  },
  async run({ kms, values, io, out }) {
    const keyId = requireKey(values)
    const value = await givenValue(values, 'signature')
    const input = await signingInput({ values, io })
    const algorithm = await signingAlgorithm(kms, keyId, values)
    const keyVersionId = stringValue(values, 'key-version')
    const result = await kms.asymmetricVerify({ keyId, algorithm, value, ...input, ...(keyVersionId === undefined ? {} : { keyVersionId }) })
    if (!result.value) throw new VerificationFailed('InvalidSignature', `the signature does not verify under ${result.keyId} version ${result.keyVersionId}`)
    out.result({ keyId: result.keyId, keyVersionId: result.keyVersionId, algorithm: result.algorithm, signatureValid: true }, () => [
      `Valid signature (${result.algorithm}, key ${result.keyId}, version ${result.keyVersionId})`,
    ])
  },
}

export const getPublicKey: Command = {
  name: 'get-public-key', args: 'KEY', summary: 'Print an asymmetric key\'s public key (PEM)', positionals: 1, needs: 'kms',
  options: {
    'key-version': { type: 'string', value: 'ID', description: 'this version (default: the primary)' },
    out: { type: 'string', value: 'FILE', description: 'write the PEM to FILE' },
    force: { type: 'boolean', description: 'replace an existing --out file' },
  },
  async run({ kms, positionals, values, out }) {
    const keyId = positional(positionals, 0, 'KEY (a key id, resource name or alias/NAME)')
    const keyVersionId = stringValue(values, 'key-version')
    const result = await kms.getPublicKey({ keyId, ...(keyVersionId === undefined ? {} : { keyVersionId }) })
    const outPath = stringValue(values, 'out')
    if (outPath !== undefined) await writeOutput(outPath, Buffer.from(result.publicKey), { force: flag(values, 'force'), mode: 0o644 })
    out.result(result, () => outPath === undefined ? [result.publicKey.trimEnd()] : fields([
      ['Key ID', result.keyId], ['Version', result.keyVersionId], ['Spec', result.keySpec], ['Written to', outPath],
    ]))
  },
}

export const mac: Command = {
  name: 'mac', args: '', summary: 'Compute an HMAC of a message (≤ 4 KiB) with an HMAC key', positionals: 0, needs: 'kms',
  options: {
    key: keyOption, in: inOption,
    out: { type: 'string', value: 'FILE', description: 'write the raw MAC to FILE instead of base64 on stdout' },
    force: { type: 'boolean', description: 'replace an existing --out file' },
  },
  async run({ kms, values, io, out }) {
    const keyId = requireKey(values)
    const message = await readInput(io, stringValue(values, 'in'), MESSAGE_LIMIT + 1, 'message')
    if (message.length === 0) throw new UsageError('nothing to MAC: the input is empty')
    const result = await kms.generateMac({ keyId, message, macAlgorithm: await macAlgorithm(kms, keyId) })
    await printBinary(out, values, result.mac, result)
  },
}

export const verifyMac: Command = {
  name: 'verify-mac', args: '', summary: 'Check a MAC made by mac, against every version (exit 1 when it does not match)', positionals: 0, needs: 'kms',
  options: {
    key: keyOption, in: inOption,
    mac: { type: 'string', value: 'BASE64', description: 'the MAC, base64' },
    'mac-file': { type: 'string', value: 'FILE', description: 'the MAC in a file (raw or base64)' },
  },
  async run({ kms, values, io, out }) {
    const keyId = requireKey(values)
    const value = await givenValue(values, 'mac')
    const message = await readInput(io, stringValue(values, 'in'), MESSAGE_LIMIT + 1, 'message')
    if (message.length === 0) throw new UsageError('nothing to check: the input is empty')
    const result = await kms.verifyMac({ keyId, message, mac: value, macAlgorithm: await macAlgorithm(kms, keyId) })
    if (!result.macValid) throw new VerificationFailed('InvalidMac', `the MAC does not match any version of ${result.keyId}`)
    out.result({ keyId: result.keyId, keyVersionId: result.keyVersionId, macAlgorithm: result.macAlgorithm, macValid: true }, () => [
      `Valid MAC (${result.macAlgorithm}, key ${result.keyId}, version ${result.keyVersionId})`,
    ])
  },
}
