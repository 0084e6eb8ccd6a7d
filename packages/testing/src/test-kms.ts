/**
 * `createTestKms()`: a real Strongroom engine for tests, in one call — in memory, seeded
 * (the same calls give the same key ids, material and ciphertexts on every run), on a
 * manual clock you advance, with ready keys by name.
 *
 * ```ts
 * const { kms, clock, keys } = await createTestKms({ keys: { orders: {}, signing: { keySpec: 'EC_P256' } } })
 * await kms.encrypt({ keyId: 'alias/orders', plaintext })   // keys.orders.keyId is the same id
 * clock.advance(7 * DAY_MS)                                  // deletion windows, rotation: no waiting
 * ```
 *
 * Nothing here is a stand-in: it is the engine the product ships (same validation, error
 * codes, state machine, ciphertext format), only its storage, randomness and clock are
 * the test-friendly ones the engine already accepts.
 */
import { Kms, ManualClock, seededRandom, type CreateKeyRequest, type KeyMetadata, type KmsOptions } from '@strongroom/core'
import { memoryStorage } from '@strongroom/storage-memory'

/** What a ready key is made with: any `createKey` field but its id (the alias is `alias/<name>`). */
export type TestKeyRequest = Omit<CreateKeyRequest, 'keyId'>

export interface TestKmsOptions {
  /** Seed of the random source (ids, key material, nonces). Default `'strongroom-testing'`; the same seed gives the same run. */
  readonly seed?: string
  /** Where the manual clock starts. Default `2026-01-01T00:00:00.000Z`. */
  readonly now?: string | number | Date
  /** Keys to create up front, by name: `{ orders: {} }` makes an AES-256 key with the alias `alias/orders`. */
  readonly keys?: Readonly<Record<string, TestKeyRequest>>
  /** Region in resource names (ARNs). Default `local`, the engine's. */
  readonly region?: string
  /** Account id in resource names. Default `000000000000`. */
  readonly accountId?: string
  /** The audit trail, as `Kms.open` takes it (on by default; `false` turns it off). */
  readonly audit?: KmsOptions['audit']
}

export interface TestKms<Names extends string = string> {
  readonly kms: Kms
  /** The engine's clock: `clock.advance(ms)`, `clock.set(date)`. */
  readonly clock: ManualClock
  /** The ready keys' metadata, by the names you gave. */
  readonly keys: Readonly<Record<Names, KeyMetadata>>
  /** Closes the engine (a memory store needs nothing else). */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

export const DEFAULT_SEED = 'strongroom-testing'
export const DEFAULT_START = '2026-01-01T00:00:00.000Z'

/** A fresh in-memory engine with a seeded random source, a manual clock and the keys asked for. */
export async function createTestKms<Names extends string = string>(
  options: TestKmsOptions & { readonly keys?: Readonly<Record<Names, TestKeyRequest>> } = {},
): Promise<TestKms<Names>> {
  const clock = new ManualClock(options.now ?? DEFAULT_START)
  const kms = await Kms.open({
    storage: memoryStorage(),
    random: seededRandom(options.seed ?? DEFAULT_SEED),
    clock,
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.accountId === undefined ? {} : { accountId: options.accountId }),
    ...(options.audit === undefined ? {} : { audit: options.audit }),
  })
  const keys = {} as Record<Names, KeyMetadata>
  try {
    // One at a time, in the order given, so a seeded run always hands out the same ids.
    for (const [name, request] of Object.entries(options.keys ?? {}) as [Names, TestKeyRequest][]) {
      const { keyMetadata } = await kms.createKey({ description: name, ...request })
      await kms.createAlias({ aliasName: `alias/${name}`, keyId: keyMetadata.keyId })
      keys[name] = keyMetadata
    }
  } catch (error) {
    await kms.close()
    throw error
  }
  const close = () => kms.close()
  return { kms, clock, keys, close, [Symbol.asyncDispose]: close }
}
