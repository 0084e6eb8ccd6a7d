/**
 * serve-aws: the keystore over the AWS KMS protocol, so the AWS CLI and AWS SDKs in any
 * language can use it. Serves until Ctrl-C.
 *
 * ```console
 * $ strongroom serve-aws --region us-east-1 --account 111122223333 --credentials access-keys.json
 * Strongroom speaks AWS KMS at http://127.0.0.1:4599 (region us-east-1, account 111122223333)
 * Requests must be signed (SigV4) by one of 2 access keys: AKIAALICE00000000001, AKIABOB000000000002
 * Point AWS tools at it (paste into a shell):
 * export AWS_ENDPOINT_URL=http://127.0.0.1:4599
 * …
 * ```
 *
 * `--credentials FILE` is JSON mapping access key ids to their secret and the engine
 * principal they act as: `{ "AKIA…": { "secretAccessKey": "…", "principal": "alice" } }`.
 * With it every request must carry a valid SigV4 signature; without it the endpoint is open
 * (any key, or none) and the banner says so loudly. A non-loopback `--host` needs
 * credentials: without them it is a usage error (exit 2).
 */
import { readFile, stat } from 'node:fs/promises'
import { DEFAULT_AWS_KMS_PORT, isLoopbackHost, parseAccessKeys, serveAwsKms, type AccessKeys } from '@strongroom/aws'
import { integerOption } from '../args.js'
import { stringValue, type Command, type OptionSpec, type OptionValues } from '../command.js'
import { UsageError } from '../errors.js'

/**
 * The access keys in `path`: a missing file is the environment's problem (exit 3), a
 * malformed one the caller's (exit 2). A file others may read holds secrets they could sign
 * with: served anyway (the owner chose it), with a warning.
 */
async function readCredentials(path: string, warn: (line: string) => void): Promise<AccessKeys> {
  const text = await readFile(path, 'utf8')
  if (process.platform !== 'win32' && ((await stat(path)).mode & 0o077) !== 0) {
    warn(`warning: ${path} can be read by other users; its secrets let them sign as these keys (chmod 600 ${path})`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new UsageError(`--credentials ${path} is not valid JSON`)
  }
  try {
    return parseAccessKeys(json)
  } catch (error) {
    throw new UsageError(`--credentials ${path}: ${(error as Error).message.replace(/^credentials: /, '')}`)
  }
}

/** The `--port` and `--host` options of every serving command (serve-aws, serve-aliyun). */
export function listenOptions(defaultPort: number, hostRule: string): Readonly<Record<'port' | 'host', OptionSpec>> {
  return {
    port: { type: 'string', value: 'PORT', description: `TCP port (default ${defaultPort}; 0 picks a free one)` },
    host: { type: 'string', value: 'HOST', description: `address to listen on (default 127.0.0.1; ${hostRule})` },
  }
}

/** The port given with `--port` (0 to 65535), or `defaultPort`. */
export function portOption(values: OptionValues, defaultPort: number): number {
  return integerOption(stringValue(values, 'port'), 'port', 0, 65535) ?? defaultPort
}

export const serveAws: Command = {
  name: 'serve-aws', args: '', positionals: 0, needs: 'kms',
  summary: 'Serve the keystore over the AWS KMS protocol until Ctrl-C (for the AWS CLI and SDKs)',
  options: {
    ...listenOptions(DEFAULT_AWS_KMS_PORT, 'another than loopback needs --credentials'),
    credentials: {
      type: 'string', value: 'FILE',
      description: 'JSON access keys { "AKIA…": { "secretAccessKey": "…", "principal": "alice" } }: require SigV4 signatures from them',
    },
    region: { type: 'string', value: 'REGION', description: 'the region in ARNs (default: the keystore\'s), e.g. us-east-1' },
    account: { type: 'string', value: 'ACCOUNT', description: 'the 12-digit account in ARNs (default: the keystore\'s)' },
  },
  async run({ kms, values, io, signal }) {
    const credentialsFile = stringValue(values, 'credentials')
    const credentials = credentialsFile === undefined ? undefined : await readCredentials(credentialsFile, (line) => io.stderr.write(`${line}\n`))
    const port = portOption(values, DEFAULT_AWS_KMS_PORT)
    const host = stringValue(values, 'host')
    const region = stringValue(values, 'region')
    const accountId = stringValue(values, 'account')
    if (region !== undefined && !/^[a-z][a-z0-9-]{0,31}$/.test(region)) throw new UsageError('--region takes lower-case letters, digits and dashes, like us-east-1')
    if (accountId !== undefined && !/^\d{12}$/.test(accountId)) throw new UsageError('--account takes 12 digits, like 111122223333')
    if (host !== undefined && !isLoopbackHost(host) && credentials === undefined) {
      throw new UsageError(`refusing to serve on ${host} without --credentials: anyone who can reach it could use every key (use a loopback address, or require signatures)`)
    }
    await serveAwsKms({
      kms, port, log: (line) => io.stderr.write(`${line}\n`), signal,
      ...(host === undefined ? {} : { host }),
      ...(region === undefined ? {} : { region }),
      ...(accountId === undefined ? {} : { accountId }),
      ...(credentials === undefined ? {} : { credentials }),
    })
  },
}
