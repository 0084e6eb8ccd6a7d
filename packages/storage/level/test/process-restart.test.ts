import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ClassicLevel } from 'classic-level'
import { afterAll, expect, it } from 'vitest'
import { levelStorage } from '@strongroom/storage-level'

const location = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-restart-'))
afterAll(() => {
  fs.rmSync(location, { recursive: true, force: true })
})

const ACKNOWLEDGEMENTS = 40

/** Runs the child until it has acknowledged `count` commits, then SIGKILLs it mid-stream. */
function commitUntilKilled(count: number): Promise<Array<{ i: number; item: number; counter: number }>> {
  const script = fileURLToPath(new URL('./fixtures/commit-until-killed.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=source', script, location], {
    cwd: path.dirname(script),
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const acks: Array<{ i: number; item: number; counter: number }> = []
  let stdout = ''
  let stderr = ''
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const lines = stdout.split('\n')
      stdout = lines.pop()!
      for (const line of lines) {
        const [, i, item, counter] = line.split(' ').map(Number)
        acks.push({ i: i!, item: item!, counter: counter! })
      }
      if (acks.length >= count) child.kill('SIGKILL')
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(acks)
      else reject(new Error(`child exited with ${code}: ${stderr}`))
    })
  })
}

it('every commit acknowledged before the process was SIGKILLed is there after reopening', async () => {
  const acks = await commitUntilKilled(ACKNOWLEDGEMENTS)
  expect(acks.length).toBeGreaterThanOrEqual(ACKNOWLEDGEMENTS)

  const storage = levelStorage(new ClassicLevel(location))
  try {
    for (const { i, item } of acks) {
      const record = await storage.get(`item/${i}`)
      expect({ i, value: record && new TextDecoder().decode(record.value), revision: record?.revision }).toEqual({ i, value: `value ${i}`, revision: item })
    }
    // Atomicity across the kill: the counter names the last item stored, which is the last
    // acknowledged one or the one whose acknowledgement the kill cut off.
    const counter = (await storage.get('counter'))!
    const last = Number(new TextDecoder().decode(counter.value))
    const items = (await storage.scan({ prefix: 'item/', limit: 1000 })).records
    expect(items).toHaveLength(last + 1)
    const lastAck = acks[acks.length - 1]!
    expect(last === lastAck.i ? counter.revision === lastAck.counter : last === lastAck.i + 1).toBe(true)
    // The revision sequence continues past everything issued before the crash.
    const before = Math.max(counter.revision, ...items.map((r) => r.revision))
    const { revisions } = await storage.commit([{ type: 'put', key: 'after', value: new Uint8Array(0), expectedRevision: null }])
    expect(revisions.get('after')).toBeGreaterThan(before)
  } finally {
    await storage.close()
  }
})
