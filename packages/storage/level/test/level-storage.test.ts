import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { ClassicLevel } from 'classic-level'
import { MemoryLevel } from 'memory-level'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import { KmsError, type StorageAdapter, type StorageChange } from '@strongroom/core'
import { storageConformanceSuite } from '@strongroom/storage-conformance/vitest'
import { levelStorage } from '@strongroom/storage-level'

// Real LevelDB files: one temporary directory per store, all removed at the end.
const base = fs.mkdtempSync(path.join(os.tmpdir(), 'strongroom-level-'))
let stores = 0
const nextLocation = () => path.join(base, String(stores++))

/** Root databases opened by these tests; closed after each test (the adapters may only own a sublevel). */
const roots = new Set<ClassicLevel<string, string>>()
/** Where each adapter's store lives, for the suite's `reopen` and for namespace siblings. */
const origins = new WeakMap<StorageAdapter, { db: ClassicLevel<string, string>; location: string; name: string | undefined }>()

function openRoot(location: string): ClassicLevel<string, string> {
  const db = new ClassicLevel(location)
  roots.add(db)
  return db
}

async function closeRoot(db: ClassicLevel<string, string>): Promise<void> {
  roots.delete(db)
  await db.close()
}

/** An adapter over the store at `location`, or over its sublevel `name`. */
function openStorage(location: string, name?: string): StorageAdapter {
  const db = openRoot(location)
  const storage = levelStorage(name === undefined ? db : db.sublevel(name))
  origins.set(storage, { db, location, name })
  return storage
}

afterEach(async () => {
  for (const db of [...roots]) await closeRoot(db)
})
afterAll(() => {
  fs.rmSync(base, { recursive: true, force: true })
})

storageConformanceSuite({
  name: 'classic-level',
  factory: async () => openStorage(nextLocation()),
  reopen: async (old) => {
    const { db, location, name } = origins.get(old)!
    await old.close()
    await closeRoot(db) // a sublevel adapter leaves its root open
    return openStorage(location, name)
  },
  namespaced: async () => {
    const storage = openStorage(nextLocation(), 'kms')
    // 'kms2' also tests that one sublevel name being a prefix of another does not leak.
    const sibling = levelStorage(origins.get(storage)!.db.sublevel('kms2'))
    return { storage, sibling }
  },
  // Two distinct sublevel objects with one name: they address the same keys, so they must
  // share one lock and one set of watchers.
  shared: async () => {
    const db = openRoot(nextLocation())
    return [levelStorage(db.sublevel('kms')), levelStorage(db.sublevel('kms'))]
  },
})

const bytes = (text: string) => new TextEncoder().encode(text)
const put = (key: string, value: string, expectedRevision: number | null) =>
  ({ type: 'put', key, value: bytes(value), expectedRevision }) as const

describe('levelStorage', () => {
  it('declares a durable, atomic, single-process store; name and durable are options', () => {
    const db = new MemoryLevel()
    expect(levelStorage(db).manifest).toEqual({ name: 'level', durable: true, atomic: true, sharedAcrossProcesses: false })
    expect(levelStorage(db, { name: 'browser-level', durable: false }).manifest).toEqual({
      name: 'browser-level', durable: false, atomic: true, sharedAcrossProcesses: false,
    })
  })

  it('lays records out as !records!<key> → revision ‖ value and keeps the sequence under !meta!', async () => {
    const db = openRoot(nextLocation())
    const storage = levelStorage(db, { closeDatabase: false })
    const { revisions } = await storage.commit([put('é/1', 'v', null), put('a', 'w', null)])
    const raw = await db.iterator({ keyEncoding: 'utf8', valueEncoding: 'view' }).all()
    expect(raw.map(([key]) => key)).toEqual(['!meta!sequence', '!records!a', '!records!é/1'])
    const [, a] = raw[1]!
    expect([...a]).toEqual([0, 0, 0, 0, 0, 0, 0, revisions.get('a')!, ...bytes('w')])
    // The sequence is beyond the reach of every scan.
    expect((await storage.scan({ prefix: '' })).records.map((r) => r.key)).toEqual(['a', 'é/1'])
  })

  it('returns a cursor only when more records follow', async () => {
    const storage = levelStorage(new MemoryLevel())
    await storage.commit(['p/1', 'p/2', 'p/3', 'q'].map((key) => put(key, key, null)))
    expect((await storage.scan({ prefix: 'p/', limit: 3 })).cursor).toBeUndefined()
    expect((await storage.scan({ prefix: 'p/', limit: 2 })).cursor).toBe('p/2')
  })

  it('opens a closed database on first use', async () => {
    const db = openRoot(nextLocation())
    await db.close()
    const storage = levelStorage(db, { closeDatabase: false })
    expect(await storage.get('k')).toBeUndefined()
    expect(db.status).toBe('open')
  })

  it('a LevelDB directory locked by another holder is KeystoreInUse (a stable code, not a storage failure), with the backend error as cause', async () => {
    const location = nextLocation()
    const holder = openRoot(location)
    await holder.open()
    const storage = levelStorage(openRoot(location))
    const error = await storage.get('k').catch((caught: unknown) => caught)
    expect(KmsError.is(error, 'KeystoreInUse')).toBe(true)
    expect((error as KmsError).message).toMatch(/in use by another process/)
    expect((error as KmsError).cause).toMatchObject({ code: 'LEVEL_DATABASE_NOT_OPEN', cause: { code: 'LEVEL_LOCKED' } })
  })

  it('a database closed underneath the adapter is StorageFailure, not Closed', async () => {
    const db = openRoot(nextLocation())
    const storage = levelStorage(db, { closeDatabase: false })
    await storage.commit([put('k', 'v', null)])
    await db.close()
    for (const attempt of [storage.get('k'), storage.scan({ prefix: '' }), storage.commit([put('x', 'v', null)])]) {
      const error = await attempt.catch((caught: unknown) => caught)
      expect(KmsError.is(error, 'StorageFailure')).toBe(true)
      expect((error as KmsError).cause).toMatchObject({ code: 'LEVEL_DATABASE_NOT_OPEN' })
    }
  })

  it('a failed write is StorageFailure, writes and announces nothing, and releases the lock', async () => {
    const db = new MemoryLevel()
    const storage = levelStorage(db)
    const { revisions } = await storage.commit([put('k', 'v1', null)])
    const changes: StorageChange[][] = []
    storage.watch!((c) => changes.push([...c]))
    let failing = true
    db.hooks.prewrite.add(() => {
      if (failing) throw new Error('disk on fire')
    })
    const error = await storage.commit([put('k', 'v2', revisions.get('k')!), put('j', 'v', null)]).catch((caught: unknown) => caught)
    expect(KmsError.is(error, 'StorageFailure')).toBe(true)
    expect((await storage.get('k'))?.revision).toBe(revisions.get('k'))
    expect(await storage.get('j')).toBeUndefined()
    expect(changes).toEqual([])
    failing = false
    const next = await storage.commit([put('k', 'v2', revisions.get('k')!)])
    expect(changes).toEqual([[{ key: 'k', revision: next.revisions.get('k') }]])
    await storage.close()
  })

  it('a stored value without a valid revision header is CorruptRecord', async () => {
    const db = new MemoryLevel()
    const storage = levelStorage(db)
    await db.put('!records!bad', new Uint8Array([1, 2, 3]), { keyEncoding: 'utf8', valueEncoding: 'view' })
    await expect(storage.get('bad')).rejects.toMatchObject({ code: 'CorruptRecord' })
    await expect(storage.scan({ prefix: '' })).rejects.toMatchObject({ code: 'CorruptRecord' })
    await storage.close()
  })

  it('closes the database by default, and leaves it open with closeDatabase: false', async () => {
    const owned = new MemoryLevel()
    await levelStorage(owned).close()
    expect(owned.status).toBe('closed')
    const shared = new MemoryLevel()
    await levelStorage(shared, { closeDatabase: false }).close()
    expect(shared.status).toBe('open')
  })

  it('fsyncs every commit by default; sync: false turns it off', async () => {
    for (const [options, sync] of [[{}, true], [{ sync: false }, false]] as const) {
      const db = new MemoryLevel()
      const batch = vi.spyOn(db, 'batch')
      await levelStorage(db, options).commit([put('k', 'v', null)])
      expect(batch).toHaveBeenCalledWith(expect.any(Array), expect.objectContaining({ sync }))
    }
  })

  it('an empty commit reads and writes nothing and announces nothing', async () => {
    const db = new MemoryLevel()
    const storage = levelStorage(db)
    const calls: unknown[] = []
    storage.watch!((c) => calls.push(c))
    const getMany = vi.spyOn(db, 'getMany')
    expect((await storage.commit([])).revisions.size).toBe(0)
    expect(getMany).not.toHaveBeenCalled()
    expect(calls).toEqual([])
  })

  it('a listener that throws neither fails the commit nor starves other listeners; its error is re-thrown', async () => {
    const storage = levelStorage(new MemoryLevel())
    const seen: string[] = []
    storage.watch!(() => {
      throw new Error('listener bug')
    })
    storage.watch!((changes) => seen.push(changes[0]!.key))
    // Capture the re-throw instead of letting it become an uncaught exception in the test run.
    const rethrown: Array<() => void> = []
    const spy = vi.spyOn(globalThis, 'queueMicrotask').mockImplementation((task) => rethrown.push(task))
    try {
      await storage.commit([put('k', 'v', null)])
    } finally {
      spy.mockRestore()
    }
    expect(seen).toEqual(['k'])
    expect(rethrown).toHaveLength(1)
    expect(() => rethrown[0]!()).toThrow('listener bug')
  })
})
