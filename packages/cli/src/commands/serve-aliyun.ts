/**
 * serve-aliyun: the keystore over Alibaba Cloud KMS's OpenAPI (2016-01-20) on loopback, so
 * the official Alibaba Cloud SDKs (and anything signing Alibaba Cloud requests) can use
 * it. Requests must be signed with the AccessKey the banner prints: one made for this run,
 * unless STRONGROOM_ALIYUN_ACCESS_KEY_ID and STRONGROOM_ALIYUN_ACCESS_KEY_SECRET name one.
 * Serves until Ctrl-C.
 *
 * ```console
 * $ strongroom serve-aliyun --port 4600
 * Strongroom speaks Alibaba Cloud KMS at http://127.0.0.1:4600 (region local, account 000000000000)
 *   export ALIBABA_CLOUD_KMS_ENDPOINT=127.0.0.1:4600 ALIBABA_CLOUD_KMS_PROTOCOL=http ALIBABA_CLOUD_REGION_ID=local ALIBABA_CLOUD_ACCESS_KEY_ID=LTAI… ALIBABA_CLOUD_ACCESS_KEY_SECRET=…
 * ```
 */
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { DEFAULT_ALIYUN_KMS_PORT, isLoopbackHost, serveAliyunKms } from '@strongroom/aliyun'
import { flag, stringValue, type Command } from '../command.js'
import { EnvironmentError, UsageError } from '../errors.js'
import { listenOptions, portOption } from './serve.js'

/** An AccessKey for this run: an id shaped like Alibaba's (`LTAI…`) and a 30-character secret. */
function freshAccessKey(): { id: string; secret: string } {
  const alphanumeric = (bytes: number): string => randomBytes(bytes).toString('base64').replace(/[^A-Za-z0-9]/g, '')
  return { id: `LTAI${alphanumeric(24).slice(0, 20)}`, secret: alphanumeric(40).slice(0, 30) }
}

function readPem(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    throw new EnvironmentError(`cannot read --${option} ${path}`)
  }
}

export const serveAliyun: Command = {
  name: 'serve-aliyun', args: '', positionals: 0, needs: 'kms',
  summary: 'Serve the keystore over the Alibaba Cloud KMS protocol on loopback until Ctrl-C (for the Alibaba Cloud SDKs)',
  options: {
    ...listenOptions(DEFAULT_ALIYUN_KMS_PORT, 'others need --allow-remote'),
    'allow-remote': { type: 'boolean', description: 'allow an address other than loopback (requests are always signed)' },
    'tls-cert': { type: 'string', value: 'FILE', description: 'serve HTTPS with this certificate chain (PEM; with --tls-key)' },
    'tls-key': { type: 'string', value: 'FILE', description: 'the certificate\'s private key (PEM)' },
  },
  async run({ kms, values, io, signal }) {
    const port = portOption(values, DEFAULT_ALIYUN_KMS_PORT)
    const host = stringValue(values, 'host') ?? '127.0.0.1'
    if (!isLoopbackHost(host) && !flag(values, 'allow-remote')) {
      throw new UsageError(`--host ${host} is not a loopback address: add --allow-remote to serve beyond this machine`)
    }
    const certPath = stringValue(values, 'tls-cert')
    const keyPath = stringValue(values, 'tls-key')
    if ((certPath === undefined) !== (keyPath === undefined)) throw new UsageError('--tls-cert and --tls-key go together')
    const tls = certPath === undefined || keyPath === undefined ? undefined : { cert: readPem(certPath, 'tls-cert'), key: readPem(keyPath, 'tls-key') }
    const givenId = process.env['STRONGROOM_ALIYUN_ACCESS_KEY_ID']
    const givenSecret = process.env['STRONGROOM_ALIYUN_ACCESS_KEY_SECRET']
    if ((givenId === undefined) !== (givenSecret === undefined)) {
      throw new UsageError('set both STRONGROOM_ALIYUN_ACCESS_KEY_ID and STRONGROOM_ALIYUN_ACCESS_KEY_SECRET, or neither')
    }
    const accessKey = givenId !== undefined && givenSecret !== undefined ? { id: givenId, secret: givenSecret } : freshAccessKey()
    await serveAliyunKms({
      kms, port, host, allowRemote: flag(values, 'allow-remote'), credentials: { [accessKey.id]: { secret: accessKey.secret } },
      ...(tls === undefined ? {} : { tls }), log: (line) => io.stderr.write(`${line}\n`), signal,
    })
  },
}
