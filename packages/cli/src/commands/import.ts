/**
 * Bring your own key: `import parameters` gives a single-use token and an RSA wrapping
 * public key for a key made with `create-key --origin EXTERNAL`; you wrap your 32-byte
 * key material under it (RSA-OAEP, e.g. with openssl) and `import material` loads it.
 *
 * ```sh
 * strongroom create-key --origin EXTERNAL --alias alias/byok
 * strongroom import parameters alias/byok --public-key wrap.pem --json > params.json
 * openssl pkeyutl -encrypt -pubin -inkey wrap.pem -pkeyopt rsa_padding_mode:oaep \
 *   -pkeyopt rsa_oaep_md:sha256 -pkeyopt rsa_mgf1_md:sha256 -in material.bin -out material.enc
 * strongroom import material alias/byok --token "$(jq -r .importToken params.json)" --in material.enc
 * ```
 */
import { readFile } from 'node:fs/promises'
import { integerOption, positional } from '../args.js'
import { flag, stringValue, type Command } from '../command.js'
import { UsageError } from '../errors.js'
import { rawOrBase64, writeOutput } from '../io.js'
import { fields } from '../output.js'

const KEY = 'KEY (a key created with --origin EXTERNAL)'

export const importParameters: Command = {
  name: 'import parameters', args: 'KEY', summary: 'Get a token and a wrapping public key to import key material', positionals: 1, needs: 'kms',
  options: {
    algorithm: { type: 'string', value: 'ALG', description: 'RSAES_OAEP_SHA_256 (default) or RSAES_OAEP_SHA_1' },
    'public-key': { type: 'string', value: 'FILE', description: 'write the wrapping public key (PEM) to FILE' },
    force: { type: 'boolean', description: 'replace an existing --public-key file' },
  },
  async run({ kms, positionals, values, out }) {
    const keyId = positional(positionals, 0, KEY)
    const algorithm = stringValue(values, 'algorithm') ?? 'RSAES_OAEP_SHA_256'
    if (algorithm !== 'RSAES_OAEP_SHA_256' && algorithm !== 'RSAES_OAEP_SHA_1') throw new UsageError('--algorithm takes RSAES_OAEP_SHA_256 or RSAES_OAEP_SHA_1')
    const result = await kms.getParametersForImport({ keyId, wrappingAlgorithm: algorithm, wrappingKeySpec: 'RSA_2048' })
    const pemPath = stringValue(values, 'public-key')
    if (pemPath !== undefined) await writeOutput(pemPath, Buffer.from(result.publicKey), { force: flag(values, 'force'), mode: 0o644 })
    out.result(result, () => [
      ...fields([
        ['Key ID', result.keyId], ['Wrapping', `${result.wrappingAlgorithm} with ${result.wrappingKeySpec}`],
        ['Token expires', result.tokenExpireTime], ['Public key', pemPath], ['Import token', result.importToken],
      ]),
      ...(pemPath === undefined ? [result.publicKey.trimEnd()] : []),
    ])
  },
}

export const importMaterial: Command = {
  name: 'import material', args: 'KEY', summary: 'Import key material wrapped under the parameters\' public key', positionals: 1, needs: 'kms',
  options: {
    token: { type: 'string', value: 'TOKEN', description: 'the import token from "import parameters"' },
    in: { type: 'string', value: 'FILE', description: 'the wrapped key material (raw or base64)' },
    'expires-at': { type: 'string', value: 'UNIX', description: 'when the material expires, in Unix seconds (default: never)' },
  },
  async run({ kms, positionals, values, out }) {
    const keyId = positional(positionals, 0, KEY)
    const importToken = stringValue(values, 'token')
    if (importToken === undefined) throw new UsageError('missing --token TOKEN (from: strongroom import parameters KEY)')
    const path = stringValue(values, 'in')
    if (path === undefined) throw new UsageError('missing --in FILE (the wrapped key material)')
    const raw = new Uint8Array(await readFile(path))
    // A 2048-bit RSA-OAEP ciphertext is 256 bytes, always raw; its base64 text is 344 characters.
    const encryptedKeyMaterial = raw.length === 256 ? raw : rawOrBase64(raw)
    const expires = integerOption(stringValue(values, 'expires-at'), 'expires-at', 0, Number.MAX_SAFE_INTEGER)
    await kms.importKeyMaterial({ keyId, importToken, encryptedKeyMaterial, ...(expires === undefined ? {} : { keyMaterialExpireUnix: expires }) })
    const { keyMetadata: m } = await kms.describeKey({ keyId })
    out.result({ keyId: m.keyId, keyState: m.keyState }, () => [`Imported key material into ${m.keyId} (now ${m.keyState})`])
  },
}
