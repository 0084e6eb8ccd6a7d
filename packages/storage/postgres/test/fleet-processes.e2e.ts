/**
 * The fleet as separate processes: four child processes, each an engine with its own pool
 * on one PostgreSQL keystore, run a mixed load for a bounded time; then a checker verifies
 * that every acknowledged write exists, every ciphertext decrypts, the disabled key was not
 * used past the announced bound, and the audit trail verifies and holds every call. And a
 * process SIGKILLed while creating keys loses none it acknowledged.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { Kms, rawRootKey } from '@strongroom/core'
import { postgresStorage } from '@strongroom/storage-postgres'
import { POSTGRES_URL, probeServer, skipLoudly } from './server.js'

const server = await probeServer()
const ROOT_KEY_HEX = '5a'.repeat(32)
const WORKERS = 4
const DURATION_MS = 3000
/** The bound the README documents for a change to reach every engine. */
const STALENESS_BOUND_MS = 1000

type Line = { op: string; [field: string]: unknown }

/** Runs one worker; `killAfter` SIGKILLs it once that many keys were acknowledged. */
function runWorker(config: object, killAfter?: number): Promise<Line[]> {
  const script = fileURLToPath(new URL('./fixtures/fleet-worker.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', script], {
    cwd: path.dirname(script),
    env: { ...process.env, STRONGROOM_FLEET: JSON.stringify({ url: POSTGRES_URL, rootKeyHex: ROOT_KEY_HEX, ...config }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: Line[] = []
  let stdout = ''
  let stderr = ''
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const complete = stdout.split('\n')
      stdout = complete.pop()!
      for (const line of complete) lines.push(JSON.parse(line) as Line)
      if (killAfter !== undefined && lines.filter((l) => l.op === 'created').length >= killAfter) child.kill('SIGKILL')
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL' || code === 0) resolve(lines)
      else reject(new Error(`worker exited with ${code}: ${stderr}`))
    })
  })
}

if (server === undefined) {
  skipLoudly()
} else {
  const engines: Kms[] = []
  afterEach(async () => {
    for (const kms of engines.splice(0)) await kms.close()
    await server.dropSchemas()
  })
  afterAll(() => server.end())

  const openEngine = async (schema: string): Promise<Kms> => {
    const kms = await Kms.open({ storage: postgresStorage(server.pool(), { schema }), rootKey: rawRootKey(Uint8Array.from(Buffer.from(ROOT_KEY_HEX, 'hex'))) })
    engines.push(kms)
    return kms
  }

  describe('a fleet of processes on one PostgreSQL keystore', () => {
    it(`${WORKERS} processes under a mixed load: nothing acknowledged is lost, the disabled key is refused within ${STALENESS_BOUND_MS} ms, the audit trail is complete`, async () => {
      const schema = server.freshSchema()
      const setup = await openEngine(schema)
      const hotKeys = await Promise.all([0, 1, 2].map(async () => (await setup.createKey()).keyMetadata.keyId))
      const disabledKey = (await setup.createKey()).keyMetadata.keyId
      await setup.createAlias({ aliasName: 'alias/fleet-hot', keyId: hotKeys[0]! })
      await setup.createPolicy({ policyName: 'fleet', policyDocument: { Version: '1', Statement: [{ Effect: 'Allow', Action: 'kms:Encrypt', Resource: '*' }] } })
      await setup.close()

      const outputs = await Promise.all(
        Array.from({ length: WORKERS }, (_, worker) => runWorker({ schema, worker, mode: 'mixed', durationMs: DURATION_MS, hotKeys, disabledKey, disabler: 0 })),
      )
      const lines = outputs.flat()
      const of = (op: string): Line[] => lines.filter((line) => line.op === op)
      // One line a run, so a failure in CI says what the load was.
      const counts = Object.fromEntries(['enc', 'dec', 'rot', 'alias', 'policy', 'created', 'usedDisabledKey', 'error'].map((op) => [op, of(op).length]))
      console.log(`fleet of ${WORKERS}: ${JSON.stringify(counts)}; errors ${JSON.stringify(of('error'))}`)
      expect(outputs.every((output) => output.at(-1)?.op === 'done')).toBe(true)
      // Every engine appends to an audit chain of its own, so the trail is no point of
      // contention: a state change only races others for the records it changes, and wins
      // within the retry budget. No call fails, Conflict included.
      expect(of('error'), 'no call failed').toEqual([])
      expect(of('enc').length).toBeGreaterThan(20)
      expect(of('dec').every((line) => line.ok === true)).toBe(true)

      const disabledAt = of('disabled')[0]?.at as number
      expect(disabledAt).toBeDefined()
      const late = of('usedDisabledKey').filter((line) => (line.started as number) > disabledAt + STALENESS_BOUND_MS)
      expect(late, 'uses of the disabled key that started after the bound').toEqual([])

      const checker = await openEngine(schema)
      for (const line of of('enc')) {
        const { plaintext } = await checker.decrypt({ ciphertextBlob: Buffer.from(line.blob as string, 'base64'), encryptionContext: line.context as Record<string, string> })
        expect(new TextDecoder().decode(plaintext)).toBe(line.pt)
      }
      for (const line of of('created')) expect((await checker.describeKey({ keyId: line.keyId as string })).keyMetadata.keyState).toBe('Enabled')
      for (const line of of('rot')) {
        const { keyVersion } = await checker.describeKeyVersion({ keyId: line.keyId as string, keyVersionId: line.keyVersionId as string })
        expect(keyVersion.keyVersionId).toBe(line.keyVersionId)
      }
      expect(hotKeys).toContain((await checker.describeKey({ keyId: 'alias/fleet-hot' })).keyMetadata.keyId)
      expect((await checker.describeKey({ keyId: disabledKey })).keyMetadata.keyState).toBe('Disabled')

      const verification = await checker.audit.verify()
      expect(verification.ok).toBe(true)
      // One chain per engine: the setup, each worker, the checker's own (once it records).
      expect(verification.ok && verification.chains.length).toBeGreaterThanOrEqual(WORKERS + 1)
      // Every acknowledged encrypt of every process is in the one audit trail.
      let encrypts = 0
      for await (const json of checker.audit.export({ action: 'Encrypt' })) {
        const record = JSON.parse(json) as { result: string }
        if (record.result === 'Success') encrypts++
      }
      expect(encrypts).toBe(of('enc').length + of('usedDisabledKey').length)
    })

    it('a process SIGKILLed while creating keys loses none it acknowledged; the audit trail still verifies', async () => {
      const schema = server.freshSchema()
      await (await openEngine(schema)).close() // initialises the keystore
      const lines = await runWorker({ schema, worker: 9, mode: 'create' }, 15)
      const created = lines.filter((line) => line.op === 'created')
      expect(created.length).toBeGreaterThanOrEqual(15)
      const checker = await openEngine(schema)
      for (const line of created) {
        const keyId = line.keyId as string
        const { ciphertextBlob } = await checker.encrypt({ keyId, plaintext: new Uint8Array([1]) })
        expect((await checker.decrypt({ ciphertextBlob })).keyId).toBe(keyId)
      }
      expect((await checker.audit.verify()).ok).toBe(true)
    })
  })
}
