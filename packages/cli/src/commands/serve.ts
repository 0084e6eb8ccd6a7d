/**
 * serve-aws: the keystore over the AWS KMS protocol on loopback, so the AWS CLI and AWS SDKs
 * in any language can use it (`AWS_ENDPOINT_URL_KMS=http://127.0.0.1:4599`). Serves until
 * Ctrl-C.
 *
 * ```console
 * $ strongroom serve-aws --port 4599
 * Strongroom speaks AWS KMS at http://127.0.0.1:4599 (region local, account 000000000000)
 * ```
 */
import { DEFAULT_AWS_KMS_PORT, serveAwsKms } from '@strongroom/aws'
import { integerOption } from '../args.js'
import { stringValue, type Command } from '../command.js'

export const serveAws: Command = {
  name: 'serve-aws', args: '', positionals: 0, needs: 'kms',
  summary: 'Serve the keystore over the AWS KMS protocol on loopback until Ctrl-C (for the AWS CLI and SDKs)',
  options: {
    port: { type: 'string', value: 'PORT', description: `TCP port (default ${DEFAULT_AWS_KMS_PORT}; 0 picks a free one)` },
    host: { type: 'string', value: 'HOST', description: 'address to listen on (default 127.0.0.1; only loopback addresses are allowed)' },
  },
  async run({ kms, values, io, signal }) {
    const port = integerOption(stringValue(values, 'port'), 'port', 0, 65535) ?? DEFAULT_AWS_KMS_PORT
    const host = stringValue(values, 'host')
    await serveAwsKms({ kms, port, ...(host === undefined ? {} : { host }), log: (line) => io.stderr.write(`${line}\n`), signal })
  },
}
