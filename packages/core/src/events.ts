/**
 * Typed lifecycle events. Listeners receive identifiers, states and times only: never
 * plaintext, data keys, key material or passphrases.
 *
 * ```ts
 * kms.events.on('keyStateChanged', (e) => log.info(`${e.keyId}: ${e.from} → ${e.to}`))
 * ```
 *
 * Events fire after the change is committed to storage. A listener that throws does not
 * undo or fail the operation; its error is re-thrown on a later tick so it is not lost.
 */
import { EventEmitter } from 'events'
// typed-emitter is a CommonJS types-only package; under NodeNext its default export sits on the namespace.
import type * as TypedEmitterTypes from 'typed-emitter'
import type { AuditRecord } from './audit.js'
import type { KeyRecord, KeyState } from './key-record.js'

export interface KeyCreatedEvent { readonly keyId: string; readonly keyVersionId?: string; readonly keyState: KeyState; readonly time: number }
export interface KeyStateChangedEvent {
  readonly keyId: string
  readonly from: KeyState
  readonly to: KeyState
  /** When the key will be purged, for PendingDeletion. */
  readonly deleteDate?: number
  readonly time: number
}
export interface KeyVersionCreatedEvent {
  readonly keyId: string
  readonly keyVersionId: string
  /** `automatic` when the rotation policy made it, `manual` for createKeyVersion. */
  readonly trigger: 'manual' | 'automatic'
  readonly time: number
}
export interface KeyUpdatedEvent {
  readonly keyId: string
  readonly change: 'description' | 'tags' | 'deletionProtection' | 'rotationPolicy' | 'keyPolicy'
  readonly time: number
}
export interface KeyPurgedEvent { readonly keyId: string; readonly time: number }
export interface AliasChangedEvent {
  readonly aliasName: string
  /** The key the alias now points at; absent when the alias was deleted. */
  readonly keyId?: string
  readonly previousKeyId?: string
  readonly time: number
}

/** A secret changed; never carries its value. */
export interface SecretChangedEvent {
  readonly secretName: string
  readonly change:
    | 'created' | 'value' | 'stages' | 'description' | 'tags' | 'rotationPolicy' | 'rotated'
    | 'deletionScheduled' | 'restored' | 'purged'
  /** The version a `created`, `value` or `rotated` change added. */
  readonly versionId?: string
  readonly time: number
}

export type KmsEvents = {
  keyCreated: (event: KeyCreatedEvent) => void
  keyStateChanged: (event: KeyStateChangedEvent) => void
  keyVersionCreated: (event: KeyVersionCreatedEvent) => void
  keyUpdated: (event: KeyUpdatedEvent) => void
  keyPurged: (event: KeyPurgedEvent) => void
  aliasChanged: (event: AliasChangedEvent) => void
  secretChanged: (event: SecretChangedEvent) => void
  /** Every audit record, once committed: for live sinks (a logger, a SIEM). */
  audit: (record: AuditRecord) => void
}

export type KmsEventEmitter = TypedEmitterTypes.default<KmsEvents>

export type PendingEvent = { [E in keyof KmsEvents]: { readonly name: E; readonly payload: Parameters<KmsEvents[E]>[0] } }[keyof KmsEvents]

export function createEventEmitter(): KmsEventEmitter {
  return new EventEmitter() as unknown as KmsEventEmitter
}

/** Emits committed events; a throwing listener cannot turn an acknowledged change into a failure. */
export function emitCommitted(emitter: KmsEventEmitter, events: readonly PendingEvent[]): void {
  for (const event of events) emitSafely(emitter, event.name, event.payload)
}

export function emitSafely(emitter: KmsEventEmitter, name: keyof KmsEvents, payload: unknown): void {
  try {
    ;(emitter.emit as (name: string, payload: unknown) => boolean)(name, payload)
  } catch (error) {
    setTimeout(() => {
      throw error
    }, 0)
  }
}

/** The keyStateChanged event of a change, or undefined when the state stayed the same. */
export function keyStateChange(before: KeyRecord, after: KeyRecord, time: number): PendingEvent | undefined {
  if (before.keyState === after.keyState) return undefined
  return {
    name: 'keyStateChanged',
    payload: {
      keyId: after.keyId, from: before.keyState, to: after.keyState, time,
      ...(after.deleteDate === undefined ? {} : { deleteDate: after.deleteDate }),
    },
  }
}
